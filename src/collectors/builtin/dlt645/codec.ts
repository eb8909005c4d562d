/**
 * DL/T 645-2007 frame codec, written from the standard.
 *
 * Frame: [FE...] 68 A0..A5 68 C L D0..Dn CS 16
 * - optional FE wake-up bytes before the frame (ignored when decoding);
 * - A0..A5: the 12-digit meter address in BCD, low byte first; AA..AA is the wildcard address and
 *   99..99 the broadcast address (time sync);
 * - C: control code (bit 7 direction: 1 = reply; bit 6: 1 = error reply; bit 5: 1 = more data
 *   follows; bits 0-4 the function: 0x11 read data, 0x13 read address, 0x08 broadcast time sync,
 *   0x1C relay control);
 * - L: data length; every data byte is sent +0x33 (mod 256);
 * - CS: sum of all bytes from the first 68 to the last data byte, mod 256; then 16.
 * Data identifiers (DI) are 4 bytes sent DI0 first; values are BCD, low byte first.
 */

export const Control = {
  BROADCAST_TIME: 0x08,
  READ_DATA: 0x11,
  READ_ADDRESS: 0x13,
  RELAY: 0x1c,
} as const;

export const REPLY_BIT = 0x80;
export const ERROR_BIT = 0x40;
export const FOLLOWS_BIT = 0x20;
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';
export const BROADCAST_ADDRESS = '999999999999';

const START = 0x68;
const END = 0x16;
const PREAMBLE = 0xfe;
const OFFSET = 0x33;
const HEADER = 10; // 68 + 6 address + 68 + C + L

export interface Frame {
  /** 12 characters: BCD digits, or AAAAAAAAAAAA (wildcard). */
  address: string;
  control: number;
  /** Data field after removing the +0x33 offset. */
  data: Buffer;
}

export type DecodeFailure = 'bad-start' | 'bad-checksum' | 'bad-end' | 'bad-address' | 'too-long';

export type DecodeResult =
  | { kind: 'frame'; frame: Frame; consumed: number }
  | { kind: 'error'; error: DecodeFailure; consumed: number }
  | { kind: 'incomplete' };

/** Error status bits of an error reply (control | 0x40), DL/T 645-2007 table 7.3. */
export const ERROR_BITS: [number, string][] = [
  [0x01, 'other error'],
  [0x02, 'no requested data'],
  [0x04, 'password error or unauthorised'],
  [0x08, 'communication rate cannot be changed'],
  [0x10, 'annual time zones exceeded'],
  [0x20, 'daily time slots exceeded'],
  [0x40, 'tariffs exceeded'],
];

export function describeError(status: number): string {
  const reasons = ERROR_BITS.filter(([bit]) => status & bit).map(([, text]) => text);
  return reasons.length ? reasons.join(', ') : `error status 0x${status.toString(16).padStart(2, '0')}`;
}

export function encodeAddress(address: string): Buffer {
  if (address === WILDCARD_ADDRESS) return Buffer.alloc(6, 0xaa);
  if (!/^\d{12}$/.test(address)) throw new RangeError(`address must be 12 decimal digits, got "${address}"`);
  const bytes = Buffer.alloc(6);
  for (let i = 0; i < 6; i++) {
    // byte i holds digits (10 - 2i, 11 - 2i): the last two digits go first
    const pair = address.slice(10 - 2 * i, 12 - 2 * i);
    bytes[i] = (Number(pair[0]) << 4) | Number(pair[1]);
  }
  return bytes;
}

export function decodeAddress(bytes: Buffer): string | undefined {
  if (bytes.length !== 6) return undefined;
  if (bytes.every((b) => b === 0xaa)) return WILDCARD_ADDRESS;
  let text = '';
  for (let i = 5; i >= 0; i--) {
    const hi = bytes[i]! >> 4;
    const lo = bytes[i]! & 0x0f;
    if (hi > 9 || lo > 9) return undefined;
    text += `${hi}${lo}`;
  }
  return text;
}

export function checksum(bytes: Buffer): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

export interface EncodeOptions {
  /** FE wake-up bytes to send before the frame (0-4, default 4). */
  preamble?: number;
}

export function encodeFrame(frame: Frame, options: EncodeOptions = {}): Buffer {
  if (frame.data.length > 200) throw new RangeError('data field longer than 200 bytes');
  const body = Buffer.alloc(HEADER + frame.data.length);
  body[0] = START;
  encodeAddress(frame.address).copy(body, 1);
  body[7] = START;
  body[8] = frame.control;
  body[9] = frame.data.length;
  for (let i = 0; i < frame.data.length; i++) body[HEADER + i] = (frame.data[i]! + OFFSET) & 0xff;
  const preamble = Buffer.alloc(Math.max(0, Math.min(4, options.preamble ?? 4)), PREAMBLE);
  return Buffer.concat([preamble, body, Buffer.from([checksum(body), END])]);
}

/**
 * Decodes the first frame in `buffer`. Leading FE bytes and garbage before a 68 are skipped and
 * counted in `consumed`, so a stream reader can drop them and continue.
 */
export function decodeFrame(buffer: Buffer): DecodeResult {
  let start = 0;
  while (start < buffer.length && buffer[start] !== START) start++;
  if (start === buffer.length) {
    return start === 0 || buffer.every((b) => b === PREAMBLE)
      ? { kind: 'incomplete' }
      : { kind: 'error', error: 'bad-start', consumed: start };
  }
  const rest = buffer.subarray(start);
  if (rest.length < HEADER) return { kind: 'incomplete' };
  if (rest[7] !== START) return { kind: 'error', error: 'bad-start', consumed: start + 1 };
  const length = rest[9]!;
  if (length > 200) return { kind: 'error', error: 'too-long', consumed: start + 1 };
  const total = HEADER + length + 2;
  if (rest.length < total) return { kind: 'incomplete' };
  const body = rest.subarray(0, HEADER + length);
  if (rest[total - 1] !== END) return { kind: 'error', error: 'bad-end', consumed: start + total };
  if (checksum(body) !== rest[total - 2]) return { kind: 'error', error: 'bad-checksum', consumed: start + total };
  const address = decodeAddress(body.subarray(1, 7));
  if (!address) return { kind: 'error', error: 'bad-address', consumed: start + total };
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = (body[HEADER + i]! - OFFSET) & 0xff;
  return { kind: 'frame', frame: { address, control: rest[8]!, data }, consumed: start + total };
}

/** DI as written in the standard (DI3 DI2 DI1 DI0, e.g. 0x00010000) to the 4 bytes sent, DI0 first. */
export function encodeDi(di: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(di >>> 0, 0);
  return bytes;
}

export function decodeDi(bytes: Buffer): number {
  return bytes.readUInt32LE(0);
}

export const formatDi = (di: number) => di.toString(16).padStart(8, '0').toUpperCase();

/** "Read data" request for one data identifier. */
export function readRequest(address: string, di: number): Frame {
  return { address, control: Control.READ_DATA, data: encodeDi(di) };
}

/** A meter's wall-clock time: meters keep local time without a zone. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * Date and time as the standard writes it, YYMMDDhhmmss, sent low byte first: 6 BCD bytes
 * ss mm hh DD MM YY (the broadcast time sync, the start and end times of event records).
 */
export function encodeDateTime(local: LocalDateTime): Buffer {
  return Buffer.from([local.second, local.minute, local.hour, local.day, local.month, local.year % 100].map(toBcdByte));
}

/**
 * The 6 bytes ss mm hh DD MM YY back to a wall-clock time (years 2000-2099). `zero` when every
 * byte is 00: event records keep that as the end time of an event that has not ended. Undefined
 * when a byte is not BCD or the date does not exist.
 */
export function decodeDateTime(bytes: Buffer): LocalDateTime | 'zero' | undefined {
  if (bytes.length !== 6) return undefined;
  if (bytes.every((b) => b === 0)) return 'zero';
  const parts = [...bytes].map(fromBcdByte);
  if (parts.some((p) => p === undefined)) return undefined;
  const [second, minute, hour, day, month, yy] = parts as number[];
  const local = { year: 2000 + yy!, month: month!, day: day!, hour: hour!, minute: minute!, second: second! };
  if (local.month < 1 || local.month > 12 || local.day < 1 || local.hour > 23 || local.minute > 59) return undefined;
  if (local.second > 59) return undefined;
  // Day 31 of a 30-day month (or 29 February of a common year) would roll over into the next month.
  const check = new Date(Date.UTC(local.year, local.month - 1, local.day));
  return check.getUTCDate() === local.day ? local : undefined;
}

/** Broadcast time sync: data is ss mm hh DD MM YY in BCD, the meter's local time. */
export function timeSyncRequest(local: LocalDateTime): Frame {
  return { address: BROADCAST_ADDRESS, control: Control.BROADCAST_TIME, data: encodeDateTime(local) };
}

export function toBcdByte(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 99) throw new RangeError(`${n} does not fit one BCD byte`);
  return ((Math.floor(n / 10) << 4) | (n % 10)) & 0xff;
}

export function fromBcdByte(b: number): number | undefined {
  const hi = b >> 4;
  const lo = b & 0x0f;
  return hi > 9 || lo > 9 ? undefined : hi * 10 + lo;
}

/**
 * BCD value, low byte first, to a decimal string with `decimals` places. With `signed`, the top
 * bit of the most significant byte is the sign (currents, powers, power factor).
 * Returns undefined when a nibble is not a decimal digit.
 */
export function bcdToDecimal(bytes: Buffer, decimals: number, signed = false): string | undefined {
  const copy = Buffer.from(bytes);
  let negative = false;
  if (signed && copy.length) {
    negative = (copy[copy.length - 1]! & 0x80) !== 0;
    copy[copy.length - 1]! &= 0x7f;
  }
  let digits = '';
  for (let i = copy.length - 1; i >= 0; i--) {
    const v = fromBcdByte(copy[i]!);
    if (v === undefined) return undefined;
    digits += String(v).padStart(2, '0');
  }
  const int = digits.slice(0, digits.length - decimals).replace(/^0+(?=\d)/, '') || '0';
  const frac = decimals ? digits.slice(digits.length - decimals) : '';
  const text = frac ? `${int}.${frac}` : int;
  return negative && /[1-9]/.test(digits) ? `-${text}` : text;
}

/** Decimal string to BCD, low byte first, in `length` bytes (the simulator's side). */
export function decimalToBcd(value: string, length: number, decimals: number, signed = false): Buffer {
  const negative = value.startsWith('-');
  const [int = '0', frac = ''] = value.replace(/^-/, '').split('.');
  const digits = (int + frac.padEnd(decimals, '0').slice(0, decimals)).padStart(length * 2, '0');
  if (digits.length > length * 2) throw new RangeError(`${value} does not fit ${length} BCD bytes`);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const pair = digits.slice(digits.length - 2 * (i + 1), digits.length - 2 * i);
    bytes[i] = toBcdByte(Number(pair));
  }
  if (signed && negative) bytes[length - 1]! |= 0x80;
  return bytes;
}

/** N1 of a relay control command (control code 1C, 跳合闸、报警、保电 in DL/T 645-2007). */
export const RelayOperation = {
  TRIP: 0x1a,
  PERMIT_CLOSE: 0x1b,
  ALARM: 0x2a,
  ALARM_RELEASE: 0x2b,
  KEEP_POWER: 0x3a,
  KEEP_POWER_RELEASE: 0x3b,
} as const;
export type RelayOperationName = keyof typeof RelayOperation;

/** The data of a relay control request, as written by people (high digits first). */
export interface RelayRequest {
  /** PA: the password level (authority) the password belongs to, e.g. 2 or 4. */
  passwordLevel: number;
  /** P2P1P0 as 6 hex digits, as the meter's documentation writes it ("123456"); sent P0 first. */
  password: string;
  /** C3C2C1C0 as 8 hex digits ("12345678"); sent C0 first. */
  operatorCode: string;
  /** N1, one of {@link RelayOperation}. */
  operation: number;
  /** N3..N8: the command is void after this meter-local time. */
  validUntil: LocalDateTime;
}

const RELAY_DATA_LENGTH = 16; // PA + P0..P2 + C0..C3 + N1 + N2 + N3..N8

/** Hex digits written high first ("123456") to bytes sent low first (56 34 12). */
function hexLowFirst(hex: string, bytes: number): Buffer {
  if (!new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`).test(hex)) throw new RangeError(`expected ${bytes * 2} hex digits`);
  return Buffer.from(hex, 'hex').reverse();
}

const lowFirstHex = (bytes: Buffer) => Buffer.from(bytes).reverse().toString('hex').toUpperCase();

/**
 * Relay control request (control code 1C), data PA P0 P1 P2 C0 C1 C2 C3 N1 N2 N3..N8: password
 * level, password, operator code, operation, a reserved 00 and the validity deadline ss mm hh DD
 * MM YY in BCD. (Each data byte goes +0x33 on the wire, like every data field: {@link encodeFrame}.)
 */
export function relayRequest(address: string, request: RelayRequest): Frame {
  if (!Number.isInteger(request.passwordLevel) || request.passwordLevel < 0 || request.passwordLevel > 0xff)
    throw new RangeError('password level must be one byte');
  const data = Buffer.concat([
    Buffer.from([request.passwordLevel]),
    hexLowFirst(request.password, 3),
    hexLowFirst(request.operatorCode, 4),
    Buffer.from([request.operation, 0x00]),
    encodeDateTime(request.validUntil),
  ]);
  return { address, control: Control.RELAY, data };
}

/** The meter's side: a relay control request's data back to its parts; undefined when malformed. */
export function decodeRelayRequest(data: Buffer): RelayRequest | undefined {
  if (data.length !== RELAY_DATA_LENGTH) return undefined;
  const validUntil = decodeDateTime(data.subarray(10, 16));
  if (!validUntil || validUntil === 'zero') return undefined;
  return {
    passwordLevel: data[0]!,
    password: lowFirstHex(data.subarray(1, 4)),
    operatorCode: lowFirstHex(data.subarray(4, 8)),
    operation: data[8]!,
    validUntil,
  };
}

/** How a meter answered a relay control request. */
export type RelayReply = { kind: 'done' } | { kind: 'refused'; status: number; reason: string };

/**
 * A reply to a relay control request: the normal reply 9C has no data; the error reply DC carries
 * one error status byte (table 7.3: bit 2 is "password error or unauthorised"). Undefined when the
 * frame is not a reply to a relay command.
 */
export function decodeRelayReply(frame: Frame): RelayReply | undefined {
  if ((frame.control & 0x1f) !== Control.RELAY || !(frame.control & REPLY_BIT)) return undefined;
  if (!(frame.control & ERROR_BIT)) return { kind: 'done' };
  const status = frame.data[0] ?? 0;
  return { kind: 'refused', status, reason: describeError(status) };
}
