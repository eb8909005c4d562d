/**
 * Modbus RTU over the host's serial line (SDK 1.3 `ctx.serialLine`): a "port" that modbus-serial
 * drives like its own (open, close, write, isOpen; 'data' with one whole reply per event, 'close').
 *
 * The line hands over bytes in chunks of any size, so the port frames replies itself: after each
 * request it expects a reply from the request's unit with its function code (or the exception
 * code), of the length the request implies, with a valid CRC. Bytes before that (another meter's
 * late reply, noise, an adapter's echo) are skipped, and whatever was left from before the request
 * is dropped when it is sent.
 */
import { EventEmitter } from 'node:events';
import type { SerialLine } from '../../sdk/index.js';

/** CRC-16/MODBUS of `bytes`. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** Length of the reply to an RTU request, or undefined when the function's reply length varies. */
function replyLength(request: Buffer): number | undefined {
  const count = request.length >= 6 ? request.readUInt16BE(4) : 0;
  switch (request[1]) {
    case 1:
    case 2:
      return 5 + Math.ceil(count / 8);
    case 3:
    case 4:
      return 5 + 2 * count;
    case 5:
    case 6:
    case 15:
    case 16:
      return 8;
    default:
      return undefined;
  }
}

const EXCEPTION_LENGTH = 5;
/** Longest RTU frame; more waiting than that is noise. */
const MAX_FRAME = 256;

export class RtuLinePort extends EventEmitter {
  isOpen = false;
  private line?: SerialLine;
  private pending: Buffer = Buffer.alloc(0);
  private expected?: { unit: number; fn: number; length?: number };
  // modbus-serial numbers its transactions on the port it drives.
  _transactionIdRead = 1;
  _transactionIdWrite = 1;

  /** The line to talk on; the session opens it (the port's `open` only says it is ready). */
  attach(line: SerialLine): void {
    this.line = line;
  }

  open(callback: (error?: Error | null) => void): void {
    this.isOpen = this.line !== undefined;
    callback(this.isOpen ? null : new Error('no serial line'));
  }

  close(callback?: () => void): void {
    this.isOpen = false;
    callback?.();
  }

  write(data: Buffer): void {
    this.pending = Buffer.alloc(0);
    this.expected = { unit: data[0]!, fn: data[1]!, length: replyLength(data) };
    // A failed write leaves the request unanswered: modbus-serial's timeout reports it.
    this.line?.write(data).catch((error: unknown) => this.emit('error', error));
  }

  /** Bytes from the line. */
  receive(bytes: Uint8Array): void {
    const expected = this.expected;
    if (!expected) return;
    this.pending = Buffer.concat([this.pending, bytes]).subarray(-2 * MAX_FRAME);
    for (let start = 0; start + EXCEPTION_LENGTH <= this.pending.length; start++) {
      if (this.pending[start] !== expected.unit) continue;
      const fn = this.pending[start + 1];
      const length = fn === (expected.fn | 0x80) ? EXCEPTION_LENGTH : fn === expected.fn ? expected.length : undefined;
      if (length === undefined || start + length > this.pending.length) continue;
      const frame = this.pending.subarray(start, start + length);
      if (crc16(frame.subarray(0, -2)) !== frame.readUInt16LE(length - 2)) continue;
      this.pending = Buffer.alloc(0);
      this.expected = undefined;
      this.emit('data', Buffer.from(frame));
      return;
    }
  }

  /** The line is gone: calls in flight fail through modbus-serial's 'close'. */
  lost(): void {
    this.isOpen = false;
    this.emit('close');
  }
}
