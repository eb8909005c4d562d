import { connect as tcpConnect, type Socket } from 'node:net';
import {
  badValue,
  defineCollector,
  withSignal,
  z,
  type CollectorSession,
  type PointRequest,
  type PointValue,
  type SessionContext,
} from '../../sdk/index.js';
import {
  bcdToDecimal,
  Control,
  decodeDi,
  decodeFrame,
  describeError,
  encodeFrame,
  ERROR_BIT,
  formatDi,
  fromBcdByte,
  readRequest,
  REPLY_BIT,
  timeSyncRequest,
  type DecodeResult,
  type Frame,
} from './codec.js';
import { DI_LAST_DAILY_FREEZE_TIME, DI_TIME, dataItem } from './data-identifiers.js';

export const deviceSchema = z.object({
  /** Transparent TCP gateway (or a meter with a TCP port). */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** 12-digit meter address. */
  address: z.string().regex(/^\d{12}$/, 'must be 12 decimal digits'),
  responseTimeoutMs: z.number().int().min(100).max(30_000).default(2000),
  /** FE wake-up bytes before each request. */
  preamble: z.number().int().min(0).max(4).default(4),
  /** The meter keeps local time in this offset from UTC (China: +480). */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
});
export type Dlt645Device = z.infer<typeof deviceSchema>;

export const pointSchema = z.object({
  /** Data identifier as written in the standard, DI3..DI0, e.g. "00010000". */
  di: z.string().regex(/^[0-9A-Fa-f]{8}$/, 'must be 8 hex digits such as 00010000'),
  /** For data blocks: which value of the block (0 = total, 1-4 = tariffs). */
  index: z.number().int().min(0).max(15).default(0),
});
export type Dlt645Point = z.infer<typeof pointSchema>;

class ConnectionLost extends Error {}

/** One meter reached through a TCP connection. Requests are strictly one at a time. */
class Dlt645Session implements CollectorSession<Dlt645Point> {
  private socket?: Socket;
  private pending = Buffer.alloc(0);
  private waiter?: (result: DecodeResult | ConnectionLost) => void;

  constructor(
    private readonly device: Dlt645Device,
    private readonly ctx: SessionContext,
  ) {}

  async connect(signal: AbortSignal): Promise<void> {
    const socket = tcpConnect({ host: this.device.host, port: this.device.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('close', () => this.waiter?.(new ConnectionLost('connection closed by the peer')));
    socket.on('error', () => {});
    await withSignal(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      }),
      signal,
    );
  }

  private onData(chunk: Buffer) {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const result = decodeFrame(this.pending);
      if (result.kind === 'incomplete') return;
      this.pending = this.pending.subarray(result.consumed);
      this.waiter?.(result);
    }
  }

  /** Sends one request and waits for the reply from our meter, or a decode error, or the timeout. */
  private transact(request: Frame, signal: AbortSignal): Promise<DecodeResult | 'timeout'> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new ConnectionLost('not connected'));
    this.pending = Buffer.alloc(0); // drop late replies to an earlier request
    return withSignal(
      new Promise<DecodeResult | 'timeout'>((resolve, reject) => {
        const timer = setTimeout(() => finish('timeout'), this.device.responseTimeoutMs);
        const finish = (result: DecodeResult | 'timeout' | ConnectionLost) => {
          clearTimeout(timer);
          this.waiter = undefined;
          if (result instanceof ConnectionLost) reject(result);
          else resolve(result);
        };
        this.waiter = (result) => {
          // A frame from another meter on the same line is not our answer: keep waiting.
          if (
            !(result instanceof ConnectionLost) &&
            result.kind === 'frame' &&
            result.frame.address !== this.device.address
          )
            return;
          finish(result);
        };
        socket.write(encodeFrame(request, { preamble: this.device.preamble }));
      }),
      signal,
    ).finally(() => (this.waiter = undefined));
  }

  /** Reads one DI; returns its data bytes (after the DI) or the reason it failed. */
  private async readDi(di: number, signal: AbortSignal): Promise<Buffer | string> {
    const reply = await this.transact(readRequest(this.device.address, di), signal);
    if (reply === 'timeout') return `no reply within ${this.device.responseTimeoutMs} ms`;
    if (reply.kind === 'error') return `malformed reply: ${reply.error}`;
    if (reply.kind !== 'frame') return 'incomplete reply';
    const { control, data } = reply.frame;
    if (control === (Control.READ_DATA | REPLY_BIT | ERROR_BIT)) return `meter error: ${describeError(data[0] ?? 0)}`;
    if ((control & ~0x20) !== (Control.READ_DATA | REPLY_BIT))
      return `unexpected control code 0x${control.toString(16)}`;
    if (data.length < 4 || decodeDi(data.subarray(0, 4)) !== di) return 'reply is for another data identifier';
    return data.subarray(4);
  }

  /** Meter-local wall clock parts (BCD, low byte first) to an instant. */
  private instant(parts: number[]): Date | undefined {
    const [mi = 0, hh = 0, dd = 1, mo = 1, yy = 0] = parts;
    const ms = Date.UTC(2000 + yy, mo - 1, dd, hh, mi) - this.device.utcOffsetMinutes * 60_000;
    return Number.isFinite(ms) ? new Date(ms) : undefined;
  }

  async read(points: PointRequest<Dlt645Point>[], signal: AbortSignal): Promise<PointValue[]> {
    const values: PointValue[] = [];
    const blocks = new Map<number, Buffer | string>();
    let freezeTime: Date | string | undefined;
    for (const point of points) {
      const di = Number.parseInt(point.settings.di, 16);
      const item = dataItem(di);
      const now = this.ctx.now();
      if (!item) {
        values.push(badValue(point.id, `data identifier ${formatDi(di)} is not supported`, now));
        continue;
      }
      if (!blocks.has(di)) blocks.set(di, await this.readDi(di, signal));
      const bytes = blocks.get(di)!;
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
        if (freezeTime === undefined) {
          const raw = await this.readDi(DI_LAST_DAILY_FREEZE_TIME, signal);
          const parts = typeof raw === 'string' ? undefined : [...raw.subarray(0, 5)].map(fromBcdByte);
          freezeTime =
            parts && parts.every((p) => p !== undefined)
              ? (this.instant(parts as number[]) ?? 'bad freeze time')
              : 'freeze time unavailable';
        }
        if (typeof freezeTime === 'string') {
          values.push(badValue(point.id, freezeTime, now));
          continue;
        }
        measuredAt = freezeTime;
      }
      values.push({ pointId: point.id, value, unit: item.unit, quality: 'good', measuredAt });
    }
    return values;
  }

  async probe(signal: AbortSignal): Promise<boolean> {
    return typeof (await this.readDi(DI_TIME, signal)) !== 'string';
  }

  async syncTime(at: Date, signal: AbortSignal): Promise<void> {
    const local = new Date(at.getTime() + this.device.utcOffsetMinutes * 60_000);
    const frame = timeSyncRequest({
      year: local.getUTCFullYear(),
      month: local.getUTCMonth() + 1,
      day: local.getUTCDate(),
      hour: local.getUTCHours(),
      minute: local.getUTCMinutes(),
      second: local.getUTCSeconds(),
    });
    if (signal.aborted) throw signal.reason;
    this.socket?.write(encodeFrame(frame, { preamble: this.device.preamble })); // broadcasts get no reply
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** DL/T 645-2007 meters over a transparent TCP gateway. */
export default defineCollector({
  describe: () => ({
    id: 'dlt645-2007-tcp',
    displayName: { en: 'DL/T 645-2007 over TCP', zh: 'DL/T 645-2007 (TCP 透传)' },
    mode: 'poll',
    transport: 'tcp',
    capabilities: { timeSync: true },
  }),
  deviceSchema,
  pointSchema,
  // Meters behind one gateway share its line: one request at a time.
  resourceKey: (device) => `tcp:${device.settings.host}:${device.settings.port}`,
  createSession: (device, ctx) => new Dlt645Session(device.settings, ctx),
});
