/**
 * The serial lines of `modbus-rtu`: one open port, that is one modbus-serial client, per path in
 * the process, shared by the sessions of every meter on the line (docs/adr/0006). The first session
 * to connect opens it, the others join it, the last to leave closes it; a session connecting while
 * that close is in progress waits for it, since the port stays locked until it is done.
 *
 * Sharing one client is safe because the host never runs two sessions of one line at the same time
 * (they have the same resourceKey): each session sets its unit id and reply timeout on the client
 * before each request, and nothing else talks on the line until the reply or the timeout.
 *
 * `dlt645-2007-serial` shares its lines the same way (../dlt645/serial.ts). The two are not one
 * helper on purpose: a built-in collector imports only the SDK and its own folder, and a helper in
 * the SDK would become public API for vendors. What they share differs besides (there, raw bytes
 * fanned out to every session, each picking its meter's frames; here, one client that matches each
 * reply to its request), and what is alike is small: a map by path, a set of users, a wait for a
 * close in progress.
 */
import ModbusSerial from 'modbus-serial';
import { withSignal } from '../../sdk/index.js';

// modbus-serial is CommonJS; its module object carries the client class both as itself and as `default`.
const ModbusRTU = ModbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

/** The settings every meter on one line must agree on. */
export interface LineSettings {
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
  dataBits: 8;
  stopBits: 1 | 2;
}

/** What a session hears from its line. */
export interface LineEvents {
  /** The port went away (adapter unplugged, driver closed it): calls in flight must fail now. */
  lost(reason: string): void;
  /** An error the port reported; the line carries on (a lost port also ends in `lost`). */
  error(error: unknown): void;
}

/** A session's share of a line. */
export interface LineShare {
  /** The line's client, shared: set the unit id and timeout before each request. */
  readonly client: ModbusClient;
  /** Leave the line; the last session to leave closes the port. Safe to call twice, never throws. */
  leave(): Promise<void>;
}

/** "9600 baud 8E1" */
const framing = (s: LineSettings): string =>
  `${s.baudRate} baud ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;

/** How long to wait for the operating system to confirm that a port is open or closed. */
const PORT_SETTLE_MS = 2000;

class SharedLine {
  readonly client: ModbusClient = new ModbusRTU();
  readonly opened: Promise<void>;
  private readonly users = new Set<LineEvents>();
  private gone = false;

  constructor(readonly settings: LineSettings) {
    const { path, baudRate, parity, dataBits, stopBits } = settings;
    this.client.on('error', (error: unknown) => {
      for (const user of [...this.users]) user.error(error);
    });
    // Our own close removes this listener first: a 'close' heard here is the port going away.
    this.client.on('close', () => {
      this.gone = true;
      this.forget();
      for (const user of [...this.users]) user.lost(`serial line ${path} closed`);
    });
    this.opened = this.client.connectRTUBuffered(path, { baudRate, parity, dataBits, stopBits });
    this.opened.catch(() => this.forget());
  }

  private forget() {
    if (lines.get(this.settings.path) === this) lines.delete(this.settings.path);
  }

  join(user: LineEvents) {
    this.users.add(user);
  }

  leave(user: LineEvents): Promise<void> {
    if (!this.users.delete(user) || this.users.size) return Promise.resolve();
    const current = lines.get(this.settings.path) === this;
    this.forget();
    const closed = this.shutdown();
    // A line that failed was forgotten already, and a newer line may be open on the path by now:
    // only the current line's close holds the path.
    if (current) {
      const path = this.settings.path;
      closing.set(path, closed);
      void closed.finally(() => closing.get(path) === closed && closing.delete(path));
    }
    return closed;
  }

  private async shutdown(): Promise<void> {
    const settled = (work: Promise<unknown>) =>
      Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, PORT_SETTLE_MS).unref())]);
    await settled(this.opened);
    if (this.gone || !this.client.isOpen) return;
    // A port whose adapter is gone may never confirm the close.
    await settled(new Promise<void>((resolve) => this.client.close(() => resolve())));
  }
}

/** Open lines by path, and closes still in progress. */
const lines = new Map<string, SharedLine>();
const closing = new Map<string, Promise<void>>();

/**
 * Joins the line at `settings.path`, opening it if no session has it open. Rejects with the reason
 * when the line is open with other serial settings, or when the port cannot be opened.
 */
export async function joinLine(settings: LineSettings, events: LineEvents, signal: AbortSignal): Promise<LineShare> {
  const where = settings.path;
  await withSignal(closing.get(where) ?? Promise.resolve(), signal);
  let line = lines.get(where);
  if (line && framing(line.settings) !== framing(settings))
    throw new Error(
      `${where} is open at ${framing(line.settings)} for another meter, this one is set to ${framing(settings)}: meters on one line need the same serial settings`,
    );
  if (!line) {
    line = new SharedLine(settings);
    lines.set(where, line);
  }
  const shared = line;
  shared.join(events);
  try {
    await withSignal(shared.opened, signal);
  } catch (error) {
    await shared.leave(events);
    if (signal.aborted) throw error;
    throw new Error(`cannot reach ${where}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  let left = false;
  return {
    client: shared.client,
    leave: async () => {
      if (left) return;
      left = true;
      await shared.leave(events);
    },
  };
}
