/**
 * `dlt645-2007-serial`: DL/T 645-2007 meters on a local serial line (an RS-485 adapter such as
 * /dev/ttyUSB0), several meters per line told apart by address. The DL/T 645 logic is the shared
 * session of ./session.ts; this file only opens and shares serial ports.
 */
import { SerialPort } from 'serialport';
import { defineCollector, withSignal, z } from '../../sdk/index.js';
import { Dlt645Session, meterFields, pointSchema, type ByteLink, type LinkEvents, type Transport } from './session.js';

export const serialDeviceSchema = z.object({
  /** Serial device, e.g. /dev/ttyUSB0. */
  path: z.string().min(1),
  /** DL/T 645-2007 meters usually talk at 2400 baud (older ones at 1200, some at 9600). */
  baudRate: z.number().int().min(300).max(115_200).default(2400),
  /** The standard frames every byte as 8 data bits, even parity, 1 stop bit. */
  dataBits: z.literal(8).default(8),
  parity: z.enum(['none', 'even', 'odd']).default('even'),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  ...meterFields,
});
export type Dlt645SerialDevice = z.infer<typeof serialDeviceSchema>;

type LineSettings = Pick<Dlt645SerialDevice, 'path' | 'baudRate' | 'dataBits' | 'parity' | 'stopBits'>;

const framing = (s: LineSettings) => `${s.baudRate} baud ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;

/** How long to wait for the operating system to confirm that a port is open or closed. */
const PORT_SETTLE_MS = 2000;

/**
 * One open serial port, shared by every session of the meters on it. A tty hands each incoming
 * byte to only one of the file descriptors reading it, and serialport locks the port besides: two
 * sessions opening the same line on their own would fail or steal each other's replies. The host
 * already lets only one of them talk at a time (same resourceKey), so each session hears all the
 * traffic and picks out the replies from its own meter.
 */
class SharedLine {
  readonly port: SerialPort;
  readonly opened: Promise<void>;
  private readonly users = new Set<LinkEvents>();
  private gone?: string;

  constructor(readonly settings: LineSettings) {
    this.port = new SerialPort({
      path: settings.path,
      baudRate: settings.baudRate,
      dataBits: settings.dataBits,
      parity: settings.parity,
      stopBits: settings.stopBits,
      autoOpen: false,
    });
    this.opened = new Promise<void>((resolve, reject) =>
      this.port.open((error) => (error ? reject(error) : resolve())),
    );
    this.opened.catch(() => this.forget());
    this.port.on('data', (chunk: Buffer) => {
      for (const user of [...this.users]) user.data(chunk);
    });
    this.port.on('close', (error?: { disconnected?: boolean; message?: string } | null) => {
      this.forget();
      this.gone = error?.disconnected
        ? `serial line ${settings.path} disconnected`
        : `serial line ${settings.path} closed${error?.message ? `: ${error.message}` : ''}`;
      for (const user of [...this.users]) user.closed(this.gone);
    });
    // Write errors reach the writer's callback and a lost port ends in 'close'; the listener keeps
    // the rest from being thrown.
    this.port.on('error', () => {});
  }

  private forget() {
    if (lines.get(this.settings.path) === this) lines.delete(this.settings.path);
  }

  join(user: LinkEvents) {
    this.users.add(user);
  }

  /** The last one to leave closes the port; a later session on the path waits for that to finish. */
  leave(user: LinkEvents): Promise<void> {
    if (!this.users.delete(user) || this.users.size) return Promise.resolve();
    this.forget();
    const closed = this.shutdown();
    closing.set(this.settings.path, closed);
    void closed.finally(() => closing.get(this.settings.path) === closed && closing.delete(this.settings.path));
    return closed;
  }

  private async shutdown(): Promise<void> {
    const settled = (work: Promise<unknown>) =>
      Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, PORT_SETTLE_MS).unref())]);
    await settled(this.opened);
    if (!this.port.isOpen) return;
    // A port whose adapter is gone may never confirm the close.
    await settled(new Promise<void>((resolve) => this.port.close(() => resolve())));
  }

  write(bytes: Buffer): Promise<void> {
    if (this.gone || !this.port.isOpen)
      return Promise.reject(new Error(this.gone ?? `serial line ${this.settings.path} is not open`));
    // Resolves when the bytes are on the wire (tcdrain), which at 2400 baud is tens of ms later.
    return new Promise<void>((resolve, reject) =>
      this.port.write(bytes, (error) => (error ? reject(error) : this.port.drain((e) => (e ? reject(e) : resolve())))),
    );
  }
}

/** Open lines by path, and closes still in progress (the port's lock is held until they finish). */
const lines = new Map<string, SharedLine>();
const closing = new Map<string, Promise<void>>();

function serialTransport(settings: LineSettings): Transport {
  const where = settings.path;
  return {
    where,
    open: async (signal, events) => {
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
        throw new Error(`cannot open ${where}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
      let left = false;
      const link: ByteLink = {
        write: (bytes) => shared.write(bytes),
        close: async () => {
          if (left) return;
          left = true;
          await shared.leave(events);
        },
      };
      return link;
    },
  };
}

/** DL/T 645-2007 meters on a local serial line (RS-485). */
export const dlt645Serial = defineCollector({
  describe: () => ({
    id: 'dlt645-2007-serial',
    displayName: { en: 'DL/T 645-2007 (serial)', zh: 'DL/T 645-2007 (串口 RS-485)' },
    mode: 'poll',
    transport: 'serial',
    capabilities: { timeSync: true, events: true, relayControl: true },
  }),
  deviceSchema: serialDeviceSchema,
  pointSchema,
  // One serial line carries one frame at a time, whichever meter it is for.
  resourceKey: (device) => `serial:${device.settings.path}`,
  createSession: (device, ctx) => new Dlt645Session(device.settings, serialTransport(device.settings), ctx),
});
