/**
 * # Metergraph collector SDK
 *
 * The contract between Metergraph and a collector plugin: the code that speaks one protocol
 * (DL/T 645, Modbus, MQTT, a vendor's own) to meters and gateways. A plugin is an npm package (or a
 * local folder) whose default export is the value returned by {@link defineCollector}; it imports
 * nothing from Metergraph but this SDK. Every member below says what it guarantees and what a
 * throw (a rejection) means.
 *
 * What the host guarantees to a plugin (and the conformance kit checks the plugin's side):
 * - settings are validated against the plugin's `deviceSchema` and `pointSchema` before use: a
 *   session only ever sees valid settings, with their defaults;
 * - calls on one session never overlap, and two sessions that share a serial line or a gateway
 *   never run at the same time (a serial line is kept apart across plugins: {@link SerialLine});
 * - `read` and `subscribe` are called only after `connect` resolved; `close` is always called;
 * - every call receives an `AbortSignal` that fires at its timeout; a plugin must stop work and
 *   release resources when it fires. `subscribe` has no timeout: its signal fires when the host
 *   stops the subscription, and it does not keep the device's line from other sessions;
 * - what a push plugin delivers to its sink is checked: a malformed value becomes a bad value with
 *   the reason, a malformed event is dropped; a failed or ended subscription is started again
 *   after a growing pause;
 * - a rejection is read by its kind ({@link CollectorError}): retriable failures are tried again
 *   after a growing pause, permanent ones not until the device's settings change.
 *
 * What a plugin promises:
 * - a point that cannot be read is a {@link PointValue} with `quality: 'bad'` and a `reason`, not a
 *   thrown error; a throw means the whole device failed, and says how with a {@link CollectorError}
 *   (a plain `Error` counts as `unreachable`);
 * - values are decimal strings ("12345.67"), never JavaScript numbers, so nothing is lost to floats;
 * - `measuredAt` is the meter's own timestamp when the protocol carries one (frozen readings),
 *   otherwise the time the value was read.
 *
 * The SDK is versioned with semver ({@link SDK_VERSION}); a plugin declares the range it supports in
 * its package.json (`"metergraph": { "sdk": "^1.3.0" }`) and the host refuses a plugin outside it.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { standardSchemaOf, type SettingsOf, type SettingsSchema, type StandardSchemaV1 } from './settings.js';

export {
  COLLECTOR_ERROR_KINDS,
  CollectorError,
  errorKind,
  isCollectorError,
  isRetriable,
  RETRIABLE_ERROR_KINDS,
  type CollectorErrorKind,
} from './errors.js';
export {
  describeIssues,
  isStandardSchema,
  parseSettings,
  settingsIssue,
  standardSchemaOf,
  validateSettings,
  type JsonSchema,
  type SettingsIssue,
  type SettingsOf,
  type SettingsResult,
  type SettingsSchema,
  type StandardSchemaV1,
} from './settings.js';

/**
 * Version of this contract, the one source of it: `packages/collector-sdk/package.json` says the
 * same (a test ties them). Additions raise the minor version, anything that could break a plugin
 * the major version. A definition carries the version it was made with; the host accepts the same
 * major version.
 */
export const SDK_VERSION = '1.3.0';

/**
 * zod 4, re-exported so that plugins written for 1.0 to 1.2 keep working. Since 1.3 a schema may be
 * any Standard Schema validator or a JSON Schema ({@link SettingsSchema}): a new plugin needs no
 * particular validation library, nor this one's major version.
 */
export { z };

/**
 * Marks a value as a collector definition made by this SDK (checked by the host). A global symbol,
 * so that it is recognised across copies of the SDK and thread boundaries; it changes with the
 * major version.
 */
export const COLLECTOR_BRAND: unique symbol = Symbol.for('metergraph.collector.v1') as never;

/** Text shown to people, in English and optionally Chinese. */
export interface LocalizedText {
  /** English, always given. */
  readonly en: string;
  /** Simplified Chinese, shown instead when the reader asks for it. */
  readonly zh?: string;
}

/** What a plugin is, as {@link CollectorDefinition.describe} tells the host and administrators see it. */
export interface CollectorDescription {
  /** Stable id, lowercase letters, digits and dashes, unique among loaded plugins, e.g. `dlt645-2007`. */
  readonly id: string;
  /** The name shown to administrators. */
  readonly displayName: LocalizedText;
  /** `poll`: the host calls `read` on schedule; `push`: the plugin delivers values through `subscribe`. */
  readonly mode: 'poll' | 'push';
  /**
   * How devices are reached, shown to administrators. Access is serialised per device's line
   * ({@link CollectorDefinition.serialLine}) or resource key, not by this.
   */
  readonly transport: 'tcp' | 'serial' | 'broker' | 'http' | 'virtual';
  /**
   * Optional capabilities beyond reading. `timeSync`: sessions implement `syncTime`. `events`
   * (since 1.1): poll sessions implement `readEvents` and the host reads the device's event records
   * after a successful read. `relayControl` (since 1.2): sessions implement `controlRelay`; without
   * the flag the host never calls it and answers relay commands for the plugin's meters as
   * unsupported.
   */
  readonly capabilities?: { readonly timeSync?: boolean; readonly relayControl?: boolean; readonly events?: boolean };
}

/**
 * Event types the host turns into alarms (the abnormality catalogue of Chinese collection
 * systems). A plugin maps its protocol's event records onto these; other types are logged and kept.
 */
export const EVENT_TYPES = [
  'METER_COVER_OPEN',
  'TERMINAL_COVER_OPEN',
  'POWER_OFF',
  'CLOCK_DEVIATION',
  'REVERSE_ENERGY',
  'VOLTAGE_LOSS',
  'CURRENT_LOSS',
  'PHASE_IMBALANCE',
] as const;
/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Commands to a meter's load switch (relay), as DL/T 645-2007 names them (control code 1C):
 * - `TRIP`: open the relay (disconnect the customer), e.g. a prepaid balance ran out;
 * - `PERMIT_CLOSE`: allow the relay to close again. Most meters then wait for the customer to press
 *   the button; some close at once. Either way the command is done once the meter accepted it;
 * - `ALARM` / `ALARM_RELEASE`: start / stop the meter's warning (buzzer, LED) before a trip;
 * - `KEEP_POWER` / `KEEP_POWER_RELEASE`: protect the supply (no trip, whatever is commanded) /
 *   lift that protection.
 * Since 1.2 the host sends `TRIP` and `PERMIT_CLOSE`; the other four are named so that a plugin's
 * mapping is complete, and a plugin that cannot do one answers it as refused.
 */
export const RELAY_COMMANDS = [
  'TRIP',
  'PERMIT_CLOSE',
  'ALARM',
  'ALARM_RELEASE',
  'KEEP_POWER',
  'KEEP_POWER_RELEASE',
] as const;
/** One of {@link RELAY_COMMANDS}. */
export type RelayCommand = (typeof RELAY_COMMANDS)[number];

/**
 * How a relay command went (since 1.2):
 * - `confirmed`: the meter acknowledged the command (DL/T 645: the normal reply 9C);
 * - `refused`: the meter answered with an error (wrong password, not authorised, keep-power set...)
 *   or the plugin cannot carry out this command; `reason` says which, in words for operators;
 * - `no-answer`: the command was sent but no usable reply came (silence past the response timeout,
 *   a corrupt frame): the relay may or may not have switched, so the operator should check.
 * A session that cannot reach the device at all throws instead, as `read` does.
 * `state` is optional: the relay's position after the command when the device tells it.
 */
export type RelayResult =
  | { readonly status: 'confirmed'; readonly state?: 'open' | 'closed' | 'permitted' }
  | { readonly status: 'refused'; readonly reason: string }
  | { readonly status: 'no-answer'; readonly reason: string };

/**
 * Why `result` is not a {@link RelayResult}, or undefined when it is one. The host checks every
 * result with it (a plugin's answer crosses a thread boundary); plugins may use it in their tests.
 * Never throws.
 */
export function relayResultProblem(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return 'the result is not an object';
  const r = result as Record<string, unknown>;
  if (r.status === 'confirmed') {
    if (r.state !== undefined && !['open', 'closed', 'permitted'].includes(r.state as string))
      return `unknown relay state ${String(r.state)}`;
    return undefined;
  }
  if (r.status !== 'refused' && r.status !== 'no-answer') return `unknown status ${String(r.status)}`;
  if (typeof r.reason !== 'string' || !r.reason) return `${r.status} without a reason`;
  return undefined;
}

/** Register codes Metergraph stores; a point maps a protocol quantity onto one of them. */
export const REGISTER_CODES = [
  'FORWARD_ACTIVE_TOTAL',
  'FORWARD_ACTIVE_T1',
  'FORWARD_ACTIVE_T2',
  'FORWARD_ACTIVE_T3',
  'FORWARD_ACTIVE_T4',
  'REVERSE_ACTIVE_TOTAL',
  'FORWARD_REACTIVE_TOTAL',
  'REVERSE_REACTIVE_TOTAL',
  'MAX_DEMAND_FORWARD_ACTIVE',
] as const;
/** One of {@link REGISTER_CODES}. */
export type RegisterCode = (typeof REGISTER_CODES)[number];

/**
 * One quantity to read from a device. `id` is chosen by the host and echoed in the value;
 * `settings` are plugin-specific, validated with `pointSchema` (defaults filled in).
 */
export interface PointRequest<PointSettings = unknown> {
  /** The host's id of the point; the value for it carries the same `pointId`. */
  readonly id: string;
  /** The register the value is stored as; instantaneous quantities (voltage, power) have none. */
  readonly register?: RegisterCode;
  /** The point's settings as `pointSchema` gives them. */
  readonly settings: PointSettings;
  /**
   * Since 1.1: when set, read the value the device froze (recorded) at this time, e.g. the daily
   * frozen value at local 00:00, and give it that `measuredAt`. A plugin without stored values
   * answers with a bad value (`badValue(id, 'no frozen values', at)`), never with the current one.
   */
  readonly at?: Date;
}

/** `good`: stored as read; `suspect`: stored and flagged; `bad`: not stored, raises a reading failure. */
export type Quality = 'good' | 'suspect' | 'bad';

/** A value read from a device. */
export interface PointValue {
  /** The `id` of the {@link PointRequest}. */
  readonly pointId: string;
  /** Decimal string, e.g. "12345.67"; absent when quality is bad. */
  readonly value?: string;
  /** Unit of `value` after scaling, e.g. "kWh", "V", "A", "kW". */
  readonly unit?: string;
  /** How far the value can be trusted. */
  readonly quality: Quality;
  /** Why the value is bad or suspect, e.g. "checksum error", "exception 0x02 illegal data address". */
  readonly reason?: string;
  /** When the meter measured (or froze) the value. */
  readonly measuredAt: Date;
}

/** Something the device reported or the plugin noticed, e.g. a cover-open event or a clock deviation. */
export interface DeviceEvent {
  /** One of {@link EVENT_TYPES} where one fits. */
  readonly type: string;
  /** When it began, by the device's clock: with the type, it identifies the event (reading it twice is harmless). */
  readonly occurredAt: Date;
  /** When it ended (power restored, cover closed), if the device recorded that. Since 1.1. */
  readonly endedAt?: Date;
  /** What else the device recorded, kept with the event (never secrets). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Where pushed values go (`mode: 'push'`). Both methods return at once and never throw; what they
 * are given is checked by the host (see the top of this module).
 */
export interface ValueSink {
  /** Values of the subscription's points, as they come; one call may carry any subset. */
  values(values: PointValue[]): void;
  /** An event the device reported. */
  event(event: DeviceEvent): void;
}

/** Logging from inside a plugin; goes to the host's structured log with the plugin attached. Never throws. */
export interface CollectorLogger {
  /** Protocol traffic and other detail, off in production. */
  debug(message: string, detail?: Record<string, unknown>): void;
  /** Things operators may want to know happened (a line opened, a meter answered again). */
  info(message: string, detail?: Record<string, unknown>): void;
  /** Something went wrong but the plugin carries on (a record skipped, a retry). */
  warn(message: string, detail?: Record<string, unknown>): void;
  /** Something the plugin cannot handle. Failures of a call are its rejection, not a log line. */
  error(message: string, detail?: Record<string, unknown>): void;
}

/**
 * How a serial line is framed (since 1.3). Every session on one `path` must use the same settings:
 * the host opens the port once, with the settings of the first session that asked for it.
 */
export interface SerialLineSettings {
  /** The serial device, e.g. `/dev/ttyUSB0` (a symbolic link such as `/dev/serial/by-id/...` is the port it names). */
  readonly path: string;
  /** Bits per second, e.g. 2400 (DL/T 645) or 9600 (Modbus RTU). */
  readonly baudRate: number;
  /** Data bits per character: 8 for Modbus RTU and DL/T 645. */
  readonly dataBits: 5 | 6 | 7 | 8;
  /** Parity bit: DL/T 645 uses even; Modbus RTU even unless the meter says otherwise. */
  readonly parity: 'none' | 'even' | 'odd';
  /** Stop bits: 1, or 2 for Modbus RTU without parity. */
  readonly stopBits: 1 | 2;
}

/** What a session hears from its serial line (since 1.3). The host calls these; they must not throw. */
export interface SerialLineListener {
  /**
   * Bytes received while one of this session's calls runs, in order, in chunks of any size (a
   * frame may be split or two frames joined). Bytes that arrive between the session's calls, or
   * during another session's, are never delivered. Bytes received during a call but before the
   * session wrote its request may still be the late answer to somebody else's: match answers to
   * requests.
   */
  data(bytes: Uint8Array): void;
  /**
   * The port went away (adapter unplugged, driver error) or the host is stopping. Calls in flight
   * should fail now; every later `write` rejects. The next `connect` may open the line again.
   */
  lost(reason: string): void;
}

/**
 * A session's share of a serial line, owned and opened by the host (since 1.3). One port per path
 * serves every session on it, whichever plugin: a Modbus RTU meter and a DL/T 645 meter on one
 * RS-485 line take turns on it. The line is the session's alone during each of its calls
 * (`connect`, `read`, `close`...) and nobody's in between.
 */
export interface SerialLine {
  /** The settings the line was opened with. */
  readonly settings: SerialLineSettings;
  /**
   * Sends bytes; resolves once they have left the port (so that a reply timeout started then does
   * not count the sending). Rejects with a {@link CollectorError}: `unreachable` when the port is
   * gone, `busy` when called outside the session's calls (a timer left running, a call that
   * already timed out): the line then belongs to another session.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Gives the share back; the last share on a path closes the port. Never throws; safe to call
   * twice. The host also closes what a session left open when the session is closed.
   */
  close(): Promise<void>;
}

/** What the host gives a session. */
export interface SessionContext {
  /** Logging with the device attached. */
  readonly logger: CollectorLogger;
  /** The host's clock; use it instead of `new Date()` so tests can control time. */
  now(): Date;
  /**
   * Since 1.3, for collectors that declare {@link CollectorDefinition.serialLine}: opens (joins)
   * the device's serial line. Call it in `connect` and close the line in `close`. Rejects with a
   * {@link CollectorError}: `misconfigured` when the line is already open with other settings (the
   * message names both) or is not the line `serialLine(device)` named, `busy` when another program
   * holds the port, `unreachable` when the port cannot be opened. Absent on hosts before 1.3.
   */
  readonly serialLine?: (
    settings: SerialLineSettings,
    listener: SerialLineListener,
    signal: AbortSignal,
  ) => Promise<SerialLine>;
}

/**
 * A connection to one device (a meter, or a gateway with the meters behind it), made by
 * {@link CollectorDefinition.createSession}. The host drives it: one call at a time, each with an
 * `AbortSignal` that fires at the call's timeout (stop work, release what the call took, and
 * reject). What a rejection means, for every method that says nothing else: the call failed as a
 * whole; its kind ({@link CollectorError}, a plain `Error` being `unreachable`) decides when the
 * host tries again. The host closes the session after a failure.
 */
export interface CollectorSession<PointSettings = unknown> {
  /**
   * Opens the transport (socket, serial line, client). Rejects when the device cannot be reached
   * (`unreachable`, `busy`...) or its settings cannot work (`misconfigured`); the host then calls
   * `close` and nothing else.
   */
  connect(signal: AbortSignal): Promise<void>;
  /**
   * Poll mode: reads the points, one value per point in any order. A point that cannot be read is
   * a bad value with its reason, not a rejection; reject only when the device failed as a whole
   * (connection lost, no answer to anything).
   */
  read?(points: PointRequest<PointSettings>[], signal: AbortSignal): Promise<PointValue[]>;
  /**
   * Push mode: delivers values (and events) to the sink until the signal fires, then returns. No
   * call timeout applies and the device's line is not held meanwhile. Rejecting, or returning
   * before the signal fired, ends the subscription: the host closes the session and subscribes
   * again after a pause that grows with each failure (a permanent kind waits until the settings
   * change).
   */
  subscribe?(points: PointRequest<PointSettings>[], sink: ValueSink, signal: AbortSignal): Promise<void>;
  /**
   * Since 1.1, poll mode with capability `events`: the events the device recorded that began after
   * `since` (when undefined: all it still holds), oldest first. Return what you could read; the host
   * keeps each (type, occurredAt) of a meter once, drops events dated in the future or before the
   * meter was installed, and raises alarms for the new ones. A rejection costs the events of this
   * read only (the values are kept); the host asks again next time from the same `since`.
   */
  readEvents?(since: Date | undefined, signal: AbortSignal): Promise<DeviceEvent[]>;
  /**
   * Since 1.2, with capability `relayControl`: send one relay command to the device and say how it
   * went ({@link RelayResult}). Called only after `connect` resolved, as an urgent call that goes
   * ahead of scheduled reads waiting for the same line, never at the same time as another call on
   * the line. The call timeout (`signal`) applies as to every call: keep your own reply timeout
   * below it, and answer `no-answer` when it passes rather than letting the signal fire.
   * Secrets the command needs (passwords, operator codes) come from the device settings: never log
   * them, never put them in a `reason`. A rejection means the command could not be sent at all;
   * the operator is told it failed.
   */
  controlRelay?(command: RelayCommand, signal: AbortSignal): Promise<RelayResult>;
  /** Optional cheap reachability check ("is anybody there"): false for silence, a rejection when the transport failed. */
  probe?(signal: AbortSignal): Promise<boolean>;
  /** Optional, capability `timeSync`: sets the device clock to `at`. A rejection: the clock was not set. */
  syncTime?(at: Date, signal: AbortSignal): Promise<void>;
  /**
   * Releases everything (sockets, timers, serial lines). Always called, also after a failed
   * connect, and may be called twice. Must not throw: a rejection is logged and ignored, and the
   * host closes the serial lines the session left open anyway.
   */
  close(): Promise<void>;
}

/** The settings of one device as the host stores them, validated with `deviceSchema`. */
export interface Device<DeviceSettings = unknown> {
  /** Host id of the device (a meter or a gateway). */
  readonly id: string;
  /** The device's settings as `deviceSchema` gives them (defaults filled in). */
  readonly settings: DeviceSettings;
}

/**
 * What a plugin declares, given to {@link defineCollector}. The host calls `describe`,
 * `resourceKey` and `serialLine` when it loads the plugin or starts a session: they must be cheap
 * and must not throw (a throw there fails the plugin's load, or the session as `unreachable`).
 */
export interface CollectorDefinition<
  DS extends SettingsSchema = SettingsSchema,
  PS extends SettingsSchema = SettingsSchema,
> {
  /** What the plugin is; called at load time. A malformed description makes `defineCollector` throw. */
  describe(): CollectorDescription;
  /**
   * Schema of a device's settings (address, host/port, serial parameters...): any Standard Schema
   * validator or a JSON Schema (since 1.3; zod before). Invalid settings never reach the plugin:
   * administrators see the problems with their paths.
   */
  readonly deviceSchema: DS;
  /** Schema of a point's settings (data identifier, register address, scale...), as `deviceSchema`. */
  readonly pointSchema: PS;
  /**
   * Which devices share one physical resource (a gateway socket, a bus): devices with the same key
   * are never accessed at the same time. Default: one key per device. Ignored when `serialLine` is
   * given.
   */
  resourceKey?(device: Device<SettingsOf<DS>>): string;
  /**
   * Since 1.3: the serial line a device is on, for collectors that reach their devices through
   * `ctx.serialLine`. The host then keeps every session on that line apart, whichever plugin it
   * belongs to (its key is the port the path names), and lets the session open only that line.
   */
  serialLine?(device: Device<SettingsOf<DS>>): SerialLineSettings;
  /**
   * A session for one device; no I/O here (that is `connect`'s). A throw fails the session before
   * it starts, as `unreachable` unless it is a {@link CollectorError} of another kind.
   */
  createSession(device: Device<SettingsOf<DS>>, ctx: SessionContext): CollectorSession<SettingsOf<PS>>;
}

/** A settings schema as a branded definition carries it: a Standard Schema validator (JSON Schema wrapped). */
export type StandardSettingsSchema<S extends SettingsSchema> = S extends StandardSchemaV1
  ? S
  : StandardSchemaV1<unknown, Record<string, unknown>>;

/** A definition as the host receives it: branded and versioned, its schemas Standard Schema validators. */
export type BrandedCollector<
  DS extends SettingsSchema = SettingsSchema,
  PS extends SettingsSchema = SettingsSchema,
> = Omit<CollectorDefinition<DS, PS>, 'deviceSchema' | 'pointSchema'> & {
  readonly deviceSchema: StandardSettingsSchema<DS>;
  readonly pointSchema: StandardSettingsSchema<PS>;
  readonly [COLLECTOR_BRAND]: { sdkVersion: string };
};

const ID_PATTERN = /^[a-z][a-z0-9-]{1,63}$/;

/**
 * Declares a collector plugin. Export the result as the package's default export. Returns a
 * frozen copy, branded with {@link SDK_VERSION}, its JSON Schemas turned into validators. Throws a
 * TypeError at load time when the id is malformed, `createSession` is missing or a schema is neither
 * kind, so that mistakes show up in the plugin's own tests.
 */
export function defineCollector<DS extends SettingsSchema, PS extends SettingsSchema>(
  definition: CollectorDefinition<DS, PS>,
): BrandedCollector<DS, PS> {
  const description = definition.describe();
  if (!ID_PATTERN.test(description.id)) {
    throw new TypeError(`collector id "${description.id}" must be lowercase letters, digits and dashes (2-64)`);
  }
  if (typeof definition.createSession !== 'function') throw new TypeError('createSession must be a function');
  return Object.freeze({
    ...definition,
    // A JSON Schema becomes a validator here, once: the host and its worker threads then speak
    // Standard Schema only, whatever the plugin used.
    deviceSchema: standardSchemaOf(definition.deviceSchema) as StandardSettingsSchema<DS>,
    pointSchema: standardSchemaOf(definition.pointSchema) as StandardSettingsSchema<PS>,
    [COLLECTOR_BRAND]: { sdkVersion: SDK_VERSION },
  });
}

/** True when `value` was made by {@link defineCollector} of a compatible SDK major version. Never throws. */
export function isCollector(value: unknown): value is BrandedCollector {
  if (typeof value !== 'object' || value === null) return false;
  const brand = (value as Record<symbol, unknown>)[COLLECTOR_BRAND] as { sdkVersion?: unknown } | undefined;
  return typeof brand?.sdkVersion === 'string' && brand.sdkVersion.split('.')[0] === SDK_VERSION.split('.')[0];
}

/** A bad value with a reason, e.g. `badValue(point.id, 'no reply within 2000 ms', ctx.now())`. */
export function badValue(pointId: string, reason: string, measuredAt: Date): PointValue {
  return { pointId, quality: 'bad', reason, measuredAt };
}

/**
 * `promise`, unless `signal` fires first: then rejects with the signal's reason. The work behind
 * `promise` goes on: stop it yourself when the signal fires (close the socket, clear the timer).
 */
export function withSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
