/**
 * The DL/T 645-2007 master side over any byte stream: framing, one request at a time, matching
 * replies, and turning replies into point values. The collectors differ only in the {@link Transport}
 * that carries the bytes (a TCP connection to a transparent gateway, a local serial line).
 */
import {
  badValue,
  withSignal,
  z,
  type CollectorSession,
  type DeviceEvent,
  type PointRequest,
  type PointValue,
  type RelayCommand,
  type RelayResult,
  type SessionContext,
} from '../../sdk/index.js';
import {
  bcdToDecimal,
  Control,
  decodeRelayReply,
  decodeDateTime,
  decodeDi,
  decodeFrame,
  describeError,
  encodeFrame,
  ERROR_BIT,
  formatDi,
  fromBcdByte,
  readRequest,
  relayRequest,
  RelayOperation,
  REPLY_BIT,
  timeSyncRequest,
  type DecodeFailure,
  type DecodeResult,
  type Frame,
  type LocalDateTime,
} from './codec.js';
import {
  DI_LAST_DAILY_FREEZE_TIME,
  DI_TIME,
  EVENT_COUNT_LENGTH,
  EVENT_RECORD_KINDS,
  EVENT_RECORDS_KEPT,
  EVENT_TIMES_LENGTH,
  dataItem,
  type EventRecordKind,
} from './data-identifiers.js';

/** Settings of the meter itself, the same whatever carries the bytes. */
export const meterFields = {
  /** 12-digit meter address. */
  address: z.string().regex(/^\d{12}$/, 'must be 12 decimal digits'),
  /** How long to wait for each reply, counted from the end of the request. */
  responseTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  /** FE wake-up bytes before each request. */
  preamble: z.number().int().min(0).max(4).default(4),
  /** The meter keeps local time in this offset from UTC (China: +480). */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
  /**
   * Relay control (trip / permit close): the password PA level of `relayPassword`, 0-9 (meters
   * commonly take level 2 or 4 for remote control).
   */
  relayPasswordLevel: z.number().int().min(0).max(9).default(2),
  /**
   * The password P2P1P0 as 6 hex digits as the meter's documentation writes it, e.g. "123456".
   * A secret: never logged, shown through the API as redacted. Without it, relay commands are
   * refused before anything is sent.
   */
  relayPassword: z
    .string()
    .regex(/^[0-9A-Fa-f]{6}$/, 'must be 6 hex digits')
    .optional(),
  /** The operator code C3..C0 as 8 hex digits, recorded by the meter with the command. */
  relayOperatorCode: z
    .string()
    .regex(/^[0-9A-Fa-f]{8}$/, 'must be 8 hex digits')
    .default('00000000'),
  /** A relay command is void this many minutes after it was sent (N3..N8, the meter's local time). */
  relayValidityMinutes: z.number().int().min(1).max(1440).default(5),
};
export type MeterSettings = z.infer<z.ZodObject<typeof meterFields>>;

export const pointSchema = z.object({
  /** Data identifier as written in the standard, DI3..DI0, e.g. "00010000". */
  di: z.string().regex(/^[0-9A-Fa-f]{8}$/, 'must be 8 hex digits such as 00010000'),
  /** For data blocks: which value of the block (0 = total, 1-4 = tariffs). */
  index: z.number().int().min(0).max(15).default(0),
});
export type Dlt645Point = z.infer<typeof pointSchema>;

/** The session was cut off from the meter: the whole call fails, not single points. */
export class ConnectionLost extends Error {}

/** What the session hears from an open link. */
export interface LinkEvents {
  data(chunk: Buffer): void;
  /** The link is gone (peer closed, adapter unplugged); `reason` is shown to operators. */
  closed(reason: string): void;
}

/** An open byte stream to the meter. */
export interface ByteLink {
  /** Resolves once the bytes have left, so that the reply timeout does not include sending them. */
  write(bytes: Buffer): Promise<void>;
  /** Releases the link; must not throw. */
  close(): Promise<void>;
}

/** How a collector reaches its meters. */
export interface Transport {
  /** For messages, e.g. "10.0.0.5:8899" or "/dev/ttyUSB0". */
  where: string;
  /** Opens the link; on rejection (also when `signal` fires) nothing may stay open. */
  open(signal: AbortSignal, events: LinkEvents): Promise<ByteLink>;
}

/**
 * The answer to reading one DI: its data (after the DI), the meter's refusal (an error reply), or
 * no usable answer (silence, a corrupt frame).
 */
type DiReply =
  { kind: 'data'; data: Buffer } | { kind: 'refused'; reason: string } | { kind: 'failed'; reason: string };

type Outcome =
  | { kind: 'reply'; frame: Frame }
  | { kind: 'corrupt'; error: DecodeFailure }
  | { kind: 'timeout'; noise: boolean; otherAnswer: boolean };

/** The request being answered: fed every decoded frame until it settles. */
interface Exchange {
  offer(result: Exclude<DecodeResult, { kind: 'incomplete' }>): void;
  lost(error: ConnectionLost): void;
}

/**
 * Decode failures that mean "this 68 was not the start of a frame": line noise or wake-up bytes
 * that happened to contain 0x68. The decoder skips one byte; the real reply may still follow.
 */
const RESYNC: readonly DecodeFailure[] = ['bad-start', 'too-long'];

/** One meter on a link. Requests are strictly one at a time (the host guarantees it per line). */
export class Dlt645Session implements CollectorSession<Dlt645Point> {
  private link?: ByteLink;
  private lost?: ConnectionLost;
  private pending: Buffer = Buffer.alloc(0);
  private exchange?: Exchange;

  constructor(
    private readonly meter: MeterSettings,
    private readonly transport: Transport,
    private readonly ctx: SessionContext,
  ) {}

  async connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    this.lost = undefined;
    this.link = await this.transport.open(signal, {
      data: (chunk) => this.onData(chunk),
      closed: (reason) => this.onClosed(new ConnectionLost(reason)),
    });
  }

  private onClosed(error: ConnectionLost) {
    this.lost ??= error;
    this.exchange?.lost(error);
  }

  private onData(chunk: Buffer) {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const result = decodeFrame(this.pending);
      if (result.kind === 'incomplete') return;
      this.pending = this.pending.subarray(result.consumed);
      // Without a request in flight, whatever arrives (a neighbour's traffic, a late reply) is dropped.
      this.exchange?.offer(result);
    }
  }

  /**
   * Sends one request and waits for the frame `isAnswer` accepts, a corrupt frame, or the timeout.
   * Requests (our own echo on a two-wire line, another master) and replies from other meters on the
   * line are not answers: they are skipped and the wait goes on.
   */
  private transact(request: Frame, isAnswer: (reply: Frame) => boolean, signal: AbortSignal): Promise<Outcome> {
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    const link = this.link;
    if (!link || this.lost) return Promise.reject(this.lost ?? new ConnectionLost('not connected'));
    this.pending = Buffer.alloc(0); // drop what is left of earlier traffic
    const address = this.meter.address;
    const timeoutMs = this.meter.responseTimeoutMs;
    return new Promise<Outcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let noise = false;
      let otherAnswer = false;
      const settle = (finish: () => void) => {
        if (this.exchange !== exchange) return;
        this.exchange = undefined;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        finish();
      };
      const onAbort = () => settle(() => reject(signal.reason ?? new Error('aborted')));
      const exchange: Exchange = {
        offer: (result) => {
          if (result.kind === 'error') {
            if (RESYNC.includes(result.error)) noise = true;
            else settle(() => resolve({ kind: 'corrupt', error: result.error }));
            return;
          }
          const frame = result.frame;
          if (frame.address !== address || !(frame.control & REPLY_BIT)) return;
          if (isAnswer(frame)) settle(() => resolve({ kind: 'reply', frame }));
          // Our meter answering something else: most likely a late reply to a request that timed out.
          else otherAnswer = true;
        },
        lost: (error) => settle(() => reject(error)),
      };
      this.exchange = exchange;
      signal.addEventListener('abort', onAbort, { once: true });
      link.write(encodeFrame(request, { preamble: this.meter.preamble })).then(
        () => {
          if (this.exchange === exchange)
            timer = setTimeout(() => settle(() => resolve({ kind: 'timeout', noise, otherAnswer })), timeoutMs);
        },
        (error: unknown) =>
          settle(() =>
            reject(new ConnectionLost(`cannot send to ${this.transport.where}: ${(error as Error)?.message ?? error}`)),
          ),
      );
    });
  }

  /** Reads one DI; returns its data bytes (after the DI) or the reason it failed. */
  private async readDi(di: number, signal: AbortSignal): Promise<Buffer | string> {
    const reply = await this.requestDi(di, signal);
    return reply.kind === 'data' ? reply.data : reply.reason;
  }

  /** Reads one DI, telling the meter's refusal apart from getting no usable answer. */
  private async requestDi(di: number, signal: AbortSignal): Promise<DiReply> {
    const outcome = await this.transact(
      readRequest(this.meter.address, di),
      // An error reply carries no DI; a normal one must name the DI asked for.
      ({ control, data }) =>
        (control & 0x1f) === Control.READ_DATA &&
        (!!(control & ERROR_BIT) || (data.length >= 4 && decodeDi(data.subarray(0, 4)) === di)),
      signal,
    );
    if (outcome.kind === 'timeout') {
      const limit = `no reply within ${this.meter.responseTimeoutMs} ms`;
      if (outcome.otherAnswer) return { kind: 'failed', reason: `${limit} (the meter answered another request)` };
      if (outcome.noise)
        return { kind: 'failed', reason: `${limit} (line noise received: check baud rate and parity)` };
      return { kind: 'failed', reason: limit };
    }
    if (outcome.kind === 'corrupt') return { kind: 'failed', reason: `malformed reply: ${outcome.error}` };
    const { control, data } = outcome.frame;
    if (control & ERROR_BIT) return { kind: 'refused', reason: `meter error: ${describeError(data[0] ?? 0)}` };
    return { kind: 'data', data: data.subarray(4) };
  }

  /** An instant to the meter's local wall-clock time. */
  private localTime(at: Date): LocalDateTime {
    const local = new Date(at.getTime() + this.meter.utcOffsetMinutes * 60_000);
    return {
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
      hour: local.getUTCHours(),
      minute: local.getUTCMinutes(),
      second: local.getUTCSeconds(),
    };
  }

  /** A meter-local wall-clock time to an instant. */
  private wallClock(local: LocalDateTime): Date {
    const ms = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
    return new Date(ms - this.meter.utcOffsetMinutes * 60_000);
  }

  /** Meter-local wall clock parts mm hh DD MM YY (BCD, low byte first) to an instant. */
  private instant(parts: number[]): Date | undefined {
    const [minute = 0, hour = 0, day = 1, month = 1, yy = 0] = parts;
    const at = this.wallClock({ year: 2000 + yy, month, day, hour, minute, second: 0 });
    return Number.isFinite(at.getTime()) ? at : undefined;
  }

  /** Time of the N-th last daily freeze (N = 1: the most recent), or why it is unknown. */
  private async freezeTime(n: number, signal: AbortSignal): Promise<Date | string> {
    const raw = await this.readDi(DI_LAST_DAILY_FREEZE_TIME - 1 + n, signal);
    if (typeof raw === 'string') return `freeze time unavailable: ${raw}`;
    const parts = [...raw.subarray(0, 5)].map(fromBcdByte);
    return parts.length === 5 && parts.every((p) => p !== undefined)
      ? (this.instant(parts as number[]) ?? 'bad freeze time')
      : 'freeze time is not valid BCD';
  }

  /**
   * The value a forward active energy register (total or tariff 1-4, DI 00 01 TT 00) froze at
   * `at`. The meter keeps its last 62 daily freezes as blocks 05 06 01 NN (total, T1..T4), NN = 1
   * the most recent, with their times in 05 06 00 NN: count days back from the last freeze and
   * check that the freeze found is the one asked for.
   */
  private async frozenAt(
    point: PointRequest<Dlt645Point>,
    at: Date,
    signal: AbortSignal,
    read: (di: number) => Promise<Buffer | string>,
    lastFreeze: () => Promise<Date | string>,
  ): Promise<PointValue> {
    const di = Number.parseInt(point.settings.di, 16);
    const tariff = (di >>> 8) & 0xff;
    if ((di & 0xffff00ff) !== 0x00010000 || tariff > 4)
      return badValue(point.id, `no daily frozen value for data identifier ${formatDi(di)}`, at);
    const last = await lastFreeze();
    if (typeof last === 'string') return badValue(point.id, last, at);
    const back = Math.round((last.getTime() - at.getTime()) / 86_400_000);
    if (back < 0 || back > 61) return badValue(point.id, `the meter holds no daily freeze at ${at.toISOString()}`, at);
    const found = back === 0 ? last : await this.freezeTime(back + 1, signal);
    if (typeof found === 'string') return badValue(point.id, found, at);
    if (found.getTime() !== at.getTime())
      return badValue(point.id, `the meter froze at ${found.toISOString()}, not at ${at.toISOString()}`, at);
    const bytes = await read(0x05060100 + back + 1);
    if (typeof bytes === 'string') return badValue(point.id, bytes, at);
    const start = tariff * 4;
    const value = bytes.length >= start + 4 ? bcdToDecimal(bytes.subarray(start, start + 4), 2, false) : undefined;
    if (value === undefined) return badValue(point.id, 'frozen value missing or not valid BCD', at);
    return { pointId: point.id, value, unit: 'kWh', quality: 'good', measuredAt: at };
  }

  async read(points: PointRequest<Dlt645Point>[], signal: AbortSignal): Promise<PointValue[]> {
    const values: PointValue[] = [];
    const blocks = new Map<number, Buffer | string>();
    const block = async (di: number) => {
      if (!blocks.has(di)) blocks.set(di, await this.readDi(di, signal));
      return blocks.get(di)!;
    };
    let freezeTime: Date | string | undefined;
    const lastFreeze = async () => (freezeTime ??= await this.freezeTime(1, signal));
    for (const point of points) {
      if (point.at) {
        values.push(await this.frozenAt(point, point.at, signal, block, lastFreeze));
        continue;
      }
      const di = Number.parseInt(point.settings.di, 16);
      const item = dataItem(di);
      const now = this.ctx.now();
      if (!item) {
        values.push(badValue(point.id, `data identifier ${formatDi(di)} is not supported`, now));
        continue;
      }
      const bytes = await block(di);
      if (typeof bytes === 'string') {
        values.push(badValue(point.id, bytes, now));
        continue;
      }
      const start = point.settings.index * item.length;
      if (bytes.length < start + item.length) {
        values.push(
          badValue(point.id, `reply has ${bytes.length} data bytes, expected at least ${start + item.length}`, now),
        );
        continue;
      }
      const value = bcdToDecimal(bytes.subarray(start, start + item.length), item.decimals, item.signed);
      if (value === undefined) {
        values.push(badValue(point.id, 'value is not valid BCD', now));
        continue;
      }
      let measuredAt = now;
      if (item.count) {
        // Frozen values carry the meter's freeze time, not the time we read them.
        const frozenAt = await lastFreeze();
        if (typeof frozenAt === 'string') {
          values.push(badValue(point.id, frozenAt, now));
          continue;
        }
        measuredAt = frozenAt;
      }
      values.push({ pointId: point.id, value, unit: item.unit, quality: 'good', measuredAt });
    }
    return values;
  }

  /**
   * The meter's cover-open, terminal-cover-open and power-down records that began after `since`,
   * oldest first. Per kind: the event count, then the records from the newest (N = 1) back, at
   * most as many as counted and the 10 a meter keeps, stopping at the first that began at or before
   * `since`. A kind the meter refuses (error reply) has no events. No usable answer rejects the
   * whole call: returning the other kinds' events would let the host move past the missed ones.
   */
  async readEvents(since: Date | undefined, signal: AbortSignal): Promise<DeviceEvent[]> {
    const events: DeviceEvent[] = [];
    for (const kind of EVENT_RECORD_KINDS) events.push(...(await this.readEventKind(kind, since, signal)));
    return events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.type.localeCompare(b.type));
  }

  private async readEventKind(
    kind: EventRecordKind,
    since: Date | undefined,
    signal: AbortSignal,
  ): Promise<DeviceEvent[]> {
    const logger = this.ctx.logger;
    const counted = await this.requestDi(kind.countDi, signal);
    if (counted.kind === 'failed') throw new Error(`${kind.name} count (${formatDi(kind.countDi)}): ${counted.reason}`);
    if (counted.kind === 'refused') {
      logger.debug('dlt645 meter keeps no such event records', { event: kind.name, reason: counted.reason });
      return [];
    }
    const count =
      counted.data.length >= EVENT_COUNT_LENGTH
        ? bcdToDecimal(counted.data.subarray(0, EVENT_COUNT_LENGTH), 0)
        : undefined;
    if (count === undefined) {
      logger.warn('dlt645 event count unreadable', { event: kind.name, data: counted.data.toString('hex') });
      return [];
    }
    const events: DeviceEvent[] = [];
    const records = Math.min(Number(count), EVENT_RECORDS_KEPT);
    for (let n = 1; n <= records; n++) {
      const di = kind.countDi + n;
      const reply = await this.requestDi(di, signal);
      if (reply.kind === 'failed') throw new Error(`${kind.name} record ${formatDi(di)}: ${reply.reason}`);
      if (reply.kind === 'refused') {
        logger.debug('dlt645 event record refused', { event: kind.name, di: formatDi(di), reason: reply.reason });
        break;
      }
      const event = this.eventRecord(kind, reply.data);
      if (typeof event === 'string') {
        logger.warn('dlt645 event record skipped', { event: kind.name, di: formatDi(di), reason: event });
        continue;
      }
      if (since && event.occurredAt.getTime() <= since.getTime()) break;
      events.push(event);
    }
    return events;
  }

  /** The start and end times at the head of an event record; the rest of the record is not used. */
  private eventRecord(kind: EventRecordKind, data: Buffer): DeviceEvent | string {
    if (data.length < EVENT_TIMES_LENGTH)
      return `record has ${data.length} data bytes, expected at least ${EVENT_TIMES_LENGTH}`;
    const start = decodeDateTime(data.subarray(0, 6));
    if (start === undefined || start === 'zero')
      return `start time ${data.subarray(0, 6).toString('hex')} is not a valid date`;
    const event: DeviceEvent = { type: kind.type, occurredAt: this.wallClock(start) };
    const end = decodeDateTime(data.subarray(6, 12));
    // All zeros: the event has not ended (power still down, cover still open).
    if (end === 'zero') return event;
    const endedAt = end && this.wallClock(end);
    if (endedAt && endedAt.getTime() >= event.occurredAt.getTime()) return { ...event, endedAt };
    this.ctx.logger.debug('dlt645 event end time ignored', {
      event: kind.name,
      end: data.subarray(6, 12).toString('hex'),
    });
    return event;
  }

  /**
   * Relay control (control code 1C): the operation with the meter's password and operator code,
   * valid for `relayValidityMinutes` of the meter's local time. The normal reply 9C confirms it;
   * the error reply DC is the meter's refusal (wrong password, not authorised...); silence or a
   * corrupt frame leaves it unknown whether the relay switched.
   */
  async controlRelay(command: RelayCommand, signal: AbortSignal): Promise<RelayResult> {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    const password = this.meter.relayPassword;
    if (!password) return { status: 'refused', reason: 'no relay password is set for this meter (relayPassword)' };
    const request = relayRequest(this.meter.address, {
      passwordLevel: this.meter.relayPasswordLevel,
      password,
      operatorCode: this.meter.relayOperatorCode,
      operation: RelayOperation[command],
      validUntil: this.localTime(new Date(this.ctx.now().getTime() + this.meter.relayValidityMinutes * 60_000)),
    });
    const outcome = await this.transact(request, (reply) => decodeRelayReply(reply) !== undefined, signal);
    if (outcome.kind === 'timeout')
      return { status: 'no-answer', reason: `no reply within ${this.meter.responseTimeoutMs} ms` };
    if (outcome.kind === 'corrupt') return { status: 'no-answer', reason: `malformed reply: ${outcome.error}` };
    const reply = decodeRelayReply(outcome.frame)!;
    return reply.kind === 'done'
      ? { status: 'confirmed' }
      : { status: 'refused', reason: `meter error: ${reply.reason}` };
  }

  async probe(signal: AbortSignal): Promise<boolean> {
    return typeof (await this.readDi(DI_TIME, signal)) !== 'string';
  }

  async syncTime(at: Date, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    const link = this.link;
    if (!link || this.lost) throw this.lost ?? new ConnectionLost('not connected');
    const frame = timeSyncRequest(this.localTime(at));
    // Broadcasts get no reply: done once the frame has left.
    await withSignal(link.write(encodeFrame(frame, { preamble: this.meter.preamble })), signal);
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.onClosed(new ConnectionLost('session closed'));
    await link
      ?.close()
      .catch((error: unknown) =>
        this.ctx.logger.debug('dlt645 link close failed', { where: this.transport.where, error: String(error) }),
      );
  }
}
