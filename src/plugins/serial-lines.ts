/**
 * The serial lines of the process, owned by the host and lent to sessions (SDK 1.3,
 * docs/adr/0019-serial-lines-owned-by-the-host.md): one open port per line, shared by every session
 * on it whichever plugin speaks there, each session's for the time of its calls only.
 *
 * - A line is known by the port its path names (symbolic links resolved), so `/dev/serial/by-id/...`
 *   and `/dev/ttyUSB0` are one line. The first share opens the port with its settings; later
 *   shares must ask for the same settings or are refused (`misconfigured`, both named); the last
 *   share to close closes the port, and a share asked for while that close runs waits for it (the
 *   operating system keeps the port locked until then).
 * - A session's share is the holder of its line from the start of each of the session's calls to
 *   the end (`during`). Received bytes go to the holder only; bytes that arrive while nobody holds
 *   the line are dropped, and what the port has buffered is flushed when a holder takes it, so a
 *   session never hears what was said before its turn. Writes from anybody but the holder are
 *   refused (`busy`): a call that timed out cannot talk over the next one.
 * - A port that goes away (adapter unplugged) tells every share (`lost`) and is forgotten; the next
 *   share opens it again.
 */
import { realpathSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { SerialLineAccess, SerialLineService } from '../collectors/sdk/conformance.js';
import {
  CollectorError,
  withSignal,
  type SerialLine,
  type SerialLineListener,
  type SerialLineSettings,
} from '../collectors/sdk/index.js';
import type { Logger } from '../shared/logger.js';

/** "9600 baud 8E1" */
export const framing = (s: SerialLineSettings): string =>
  `${s.baudRate} baud ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;

/** The port a path names: a symbolic link (by-id names, test links) resolved, or the path as given. */
export function canonicalPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/** The serialisation key of a line: the same for every plugin's sessions on it. */
export const lineKey = (path: string): string => `serial:${canonicalPath(path)}`;

/** How long to wait for the operating system to confirm that a port is open or closed. */
const PORT_SETTLE_MS = 2000;

const settled = (work: Promise<unknown>) =>
  Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, PORT_SETTLE_MS).unref())]);

/** One session's share of a line. */
class Share implements SerialLine {
  closed = false;

  constructor(
    readonly line: OpenLine,
    readonly owner: Access,
    readonly listener: SerialLineListener,
  ) {}

  get settings(): SerialLineSettings {
    return this.line.settings;
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.line.write(this, bytes);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.owner.forget(this);
    return this.line.leave(this);
  }
}

/** An open port and the shares on it. */
class OpenLine {
  readonly port: SerialPort;
  readonly opened: Promise<void>;
  readonly shares = new Set<Share>();
  holder?: Share;
  /** Why the port is gone, once it is. */
  gone?: string;

  constructor(
    readonly canonical: string,
    readonly settings: SerialLineSettings,
    private readonly lines: SerialLines,
  ) {
    const { path, baudRate, dataBits, parity, stopBits } = settings;
    this.port = new SerialPort({ path, baudRate, dataBits, parity, stopBits, autoOpen: false });
    this.opened = new Promise<void>((resolve, reject) => this.port.open((e) => (e ? reject(e) : resolve())));
    this.opened.catch(() => this.lines.forget(this));
    this.port.on('data', (chunk: Buffer) => {
      const holder = this.holder;
      if (holder) this.lines.deliver(holder, () => holder.listener.data(chunk));
    });
    // Our own close removes this listener first: a 'close' heard here is the port going away.
    this.port.on('close', (error?: { disconnected?: boolean; message?: string } | null) => {
      this.lines.forget(this);
      this.gone = error?.disconnected
        ? `serial line ${path} disconnected`
        : `serial line ${path} closed${error?.message ? `: ${error.message}` : ''}`;
      for (const share of [...this.shares]) this.lines.deliver(share, () => share.listener.lost(this.gone!));
    });
    // Write errors reach the writer and a lost port ends in 'close'; the listener keeps the rest from being thrown.
    this.port.on('error', () => {});
  }

  /**
   * The share becomes the one the line talks to; what arrived before is not its business, so the
   * port's input is flushed before its call goes on.
   */
  take(share: Share): Promise<void> {
    this.holder = share;
    if (!this.port.isOpen) return Promise.resolve();
    return new Promise<void>((resolve) => this.port.flush(() => resolve()));
  }

  release(share: Share): void {
    if (this.holder === share) this.holder = undefined;
  }

  write(share: Share, bytes: Uint8Array): Promise<void> {
    const where = this.settings.path;
    if (share.closed) return Promise.reject(new CollectorError('unreachable', `serial line ${where} is closed`));
    if (this.gone) return Promise.reject(new CollectorError('unreachable', this.gone));
    if (this.holder !== share)
      return Promise.reject(
        new CollectorError('busy', `serial line ${where} written outside the session's call: it is not its turn`),
      );
    if (!this.port.isOpen) return Promise.reject(new CollectorError('unreachable', `serial line ${where} is not open`));
    // Resolves when the bytes are on the wire (tcdrain), which at 2400 baud is tens of ms later.
    return new Promise<void>((resolve, reject) =>
      this.port.write(Buffer.from(bytes), (error) => {
        if (error) return reject(new CollectorError('unreachable', `cannot send on ${where}: ${error.message}`));
        this.port.drain((e) =>
          e ? reject(new CollectorError('unreachable', `cannot send on ${where}: ${e.message}`)) : resolve(),
        );
      }),
    );
  }

  /** The last one to leave closes the port. */
  leave(share: Share): Promise<void> {
    this.release(share);
    if (!this.shares.delete(share) || this.shares.size) return Promise.resolve();
    return this.lines.shutDown(this);
  }

  async shutdown(): Promise<void> {
    await settled(this.opened);
    if (this.gone || !this.port.isOpen) return;
    this.port.removeAllListeners('close');
    // A port whose adapter is gone may never confirm the close.
    await settled(new Promise<void>((resolve) => this.port.close(() => resolve())));
  }
}

/** One session's access to the lines: what its context's `serialLine` opens, and its turns. */
class Access implements SerialLineAccess {
  private readonly shares = new Set<Share>();
  private calls = 0;

  constructor(
    private readonly lines: SerialLines,
    /** The session's serialisation key; lines whose key differs are refused. Unkeyed: any line. */
    private readonly key: string | undefined,
  ) {}

  readonly open = async (
    settings: SerialLineSettings,
    listener: SerialLineListener,
    signal: AbortSignal,
  ): Promise<SerialLine> => {
    if (this.key !== undefined && lineKey(settings.path) !== this.key)
      throw new CollectorError(
        'misconfigured',
        `the session opened serial line ${settings.path}, but its device is on ${this.key.replace(/^serial:/, '')}: a collector declares its devices' lines with serialLine(device)`,
      );
    const share = await this.lines.join(settings, this, listener, signal);
    this.shares.add(share);
    if (this.calls > 0) await share.line.take(share);
    return share;
  };

  async during<T>(call: () => Promise<T>): Promise<T> {
    this.calls++;
    try {
      await Promise.all([...this.shares].map((share) => share.line.take(share)));
      return await call();
    } finally {
      if (--this.calls === 0) for (const share of this.shares) share.line.release(share);
    }
  }

  forget(share: Share): void {
    this.shares.delete(share);
  }

  async release(): Promise<void> {
    await Promise.all([...this.shares].map((share) => share.close()));
  }
}

/** The host's serial lines; see the top of this file. */
export class SerialLines implements SerialLineService {
  /** Open lines by the port their path names, and closes still in progress. */
  private readonly lines = new Map<string, OpenLine>();
  private readonly closing = new Map<string, Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Access for one session; with `key`, only the line that key names (its device's). */
  session(key?: string): Access {
    return new Access(this, key);
  }

  /** Runs plugin code handed bytes or news of a loss; a throw there is the plugin's bug, not the port's. */
  deliver(share: Share, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.logger.warn({ err: error, line: share.settings.path }, 'a serial line listener threw');
    }
  }

  forget(line: OpenLine): void {
    if (this.lines.get(line.canonical) === line) this.lines.delete(line.canonical);
  }

  shutDown(line: OpenLine): Promise<void> {
    const current = this.lines.get(line.canonical) === line;
    this.forget(line);
    const closed = line.shutdown();
    // A line that failed was forgotten already, and a newer one may be open on the port by now:
    // only the current line's close holds the port.
    if (current) {
      this.closing.set(line.canonical, closed);
      void closed.finally(() => this.closing.get(line.canonical) === closed && this.closing.delete(line.canonical));
    }
    return closed;
  }

  async join(
    settings: SerialLineSettings,
    owner: Access,
    listener: SerialLineListener,
    signal: AbortSignal,
  ): Promise<Share> {
    const where = settings.path;
    const canonical = canonicalPath(where);
    await withSignal(this.closing.get(canonical) ?? Promise.resolve(), signal);
    let line = this.lines.get(canonical);
    if (line && framing(line.settings) !== framing(settings))
      throw new CollectorError(
        'misconfigured',
        `${where} is open at ${framing(line.settings)} for another meter, this one is set to ${framing(settings)}: meters on one line need the same serial settings`,
      );
    if (!line) {
      line = new OpenLine(canonical, { ...settings }, this);
      this.lines.set(canonical, line);
    }
    const share = new Share(line, owner, listener);
    line.shares.add(share);
    try {
      await withSignal(line.opened, signal);
    } catch (error) {
      share.closed = true;
      await line.leave(share);
      if (signal.aborted) throw error;
      const message = (error as Error)?.message ?? String(error);
      // serialport's lock: another program (or another Metergraph process) has the port.
      const kind = /lock/i.test(message) ? 'busy' : 'unreachable';
      throw new CollectorError(kind, `cannot open ${where}: ${message}`, { cause: error });
    }
    return share;
  }

  /** Closes every line (the host is stopping); the sessions still on them hear that they are lost. */
  async stop(): Promise<void> {
    const open = [...this.lines.values()];
    for (const line of open)
      for (const share of [...line.shares]) this.deliver(share, () => share.listener.lost('the host is stopping'));
    await Promise.all(open.map((line) => Promise.all([...line.shares].map((share) => share.close()))));
    await Promise.all([...this.closing.values()]);
  }
}
