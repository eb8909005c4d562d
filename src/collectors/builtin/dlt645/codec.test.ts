import { describe, expect, it } from 'vitest';
import {
  bcdToDecimal,
  Control,
  decimalToBcd,
  decodeDateTime,
  decodeFrame,
  decodeRelayReply,
  decodeRelayRequest,
  describeError,
  encodeAddress,
  encodeDateTime,
  encodeFrame,
  readRequest,
  relayRequest,
  RelayOperation,
  timeSyncRequest,
  WILDCARD_ADDRESS,
} from './codec.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const show = (buf: Buffer) =>
  buf
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?=.)/g, '$1 ');

/**
 * Golden frames written by hand from DL/T 645-2007, each with its checksum arithmetic
 * (CS = sum of all bytes from the first 68 through the data, mod 256).
 */
describe('DL/T 645-2007 golden frames', () => {
  it('read total forward active energy (DI 00 01 00 00) from the wildcard address', () => {
    // 68 + 6xAA + 68 + 11 + 04 + (00+33)(00+33)(01+33)(00+33)
    // = 104 + 1020 + 104 + 17 + 4 + 51 + 51 + 52 + 51 = 1454; 1454 mod 256 = 174 = AE
    const frame = encodeFrame(readRequest(WILDCARD_ADDRESS, 0x00010000), { preamble: 0 });
    expect(show(frame)).toBe('68 AA AA AA AA AA AA 68 11 04 33 33 34 33 AE 16');
  });

  it('read the same from meter 123456789012, address sent low byte first, with FE preamble', () => {
    // address 12 34 56 78 90 12 -> bytes 12 90 78 56 34 12
    // 104 + (18+144+120+86+52+18) + 104 + 17 + 4 + 205 = 872; 872 mod 256 = 104 = 68
    const frame = encodeFrame(readRequest('123456789012', 0x00010000));
    expect(show(frame)).toBe('FE FE FE FE 68 12 90 78 56 34 12 68 11 04 33 33 34 33 68 16');
  });

  it('decodes a normal reply: 123456.78 kWh', () => {
    // data: DI 00 01 00 00 then 78 56 34 12 (low byte first), each +33 -> 33 33 34 33 AB 89 67 45
    // 646 (68, address, 68) + 91 (145) + 08 + 205 + (171+137+103+69) = 1484; mod 256 = 204 = CC
    const result = decodeFrame(hex('FE FE 68 12 90 78 56 34 12 68 91 08 33 33 34 33 AB 89 67 45 CC 16'));
    expect(result.kind).toBe('frame');
    if (result.kind !== 'frame') return;
    expect(result.consumed).toBe(22);
    expect(result.frame.address).toBe('123456789012');
    expect(result.frame.control).toBe(0x91);
    expect(show(result.frame.data)).toBe('00 00 01 00 78 56 34 12');
    expect(bcdToDecimal(result.frame.data.subarray(4), 2)).toBe('123456.78');
  });

  it('decodes an error reply: no requested data', () => {
    // 646 + D1 (209) + 01 + (02+33 = 35 -> 53) = 909; mod 256 = 141 = 8D
    const result = decodeFrame(hex('68 12 90 78 56 34 12 68 D1 01 35 8D 16'));
    expect(result.kind === 'frame' && result.frame.control).toBe(0xd1);
    if (result.kind !== 'frame') return;
    expect(describeError(result.frame.data[0]!)).toBe('no requested data');
  });

  it('builds the broadcast time sync for 2026-11-26 10:30:45 local time', () => {
    // data ss mm hh DD MM YY = 45 30 10 26 11 26, +33 -> 78 63 43 59 44 59
    // 208 + 6x153 + 08 + 06 + (120+99+67+89+68+89) = 1672; mod 256 = 136 = 88
    const frame = encodeFrame(timeSyncRequest({ year: 2026, month: 11, day: 26, hour: 10, minute: 30, second: 45 }), {
      preamble: 0,
    });
    expect(show(frame)).toBe('68 99 99 99 99 99 99 68 08 06 78 63 43 59 44 59 88 16');
  });

  it('builds the read-address request', () => {
    // 208 + 1020 + 13 (19) + 00 = 1247; mod 256 = 223 = DF
    expect(
      show(
        encodeFrame(
          { address: WILDCARD_ADDRESS, control: Control.READ_ADDRESS, data: Buffer.alloc(0) },
          { preamble: 0 },
        ),
      ),
    ).toBe('68 AA AA AA AA AA AA 68 13 00 DF 16');
  });
});

/**
 * Event records (appendix A, table A.4): a count (3 bytes BCD) at 03 xx xx 00 and the N-th last
 * record at 03 xx xx NN, each record starting with its start and end times YYMMDDhhmmss, sent
 * low byte first (ss mm hh DD MM YY). Meter 123456789012, whose address, with both 68s, sums to
 * 104 + (18+144+120+86+52+18) + 104 = 646.
 */
describe('DL/T 645-2007 event record frames', () => {
  it('asks for the number of meter cover openings (DI 03 30 0D 00)', () => {
    // DI sent 00 0D 30 03, +33 -> 33 40 63 36
    // 646 + 11 (17) + 04 + (51+64+99+54) = 935; mod 256 = 167 = A7
    const frame = encodeFrame(readRequest('123456789012', 0x03300d00), { preamble: 0 });
    expect(show(frame)).toBe('68 12 90 78 56 34 12 68 11 04 33 40 63 36 A7 16');
  });

  it('decodes the count reply: 3 openings', () => {
    // data: DI 00 0D 30 03 then 03 00 00 (XXXXXX, low byte first), +33 -> 33 40 63 36 36 33 33
    // 646 + 91 (145) + 07 + 268 + (54+51+51) = 1222; mod 256 = 198 = C6
    const result = decodeFrame(hex('FE FE 68 12 90 78 56 34 12 68 91 07 33 40 63 36 36 33 33 C6 16'));
    expect(result.kind).toBe('frame');
    if (result.kind !== 'frame') return;
    expect(show(result.frame.data)).toBe('00 0D 30 03 03 00 00');
    expect(bcdToDecimal(result.frame.data.subarray(4), 0)).toBe('3');
  });

  it('decodes the last power-down record (DI 03 11 00 01): down at 10:30:45, back at 11:02:03', () => {
    // DI 01 00 11 03 +33 -> 34 33 44 36
    // start 2026-11-26 10:30:45 = 45 30 10 26 11 26, +33 -> 78 63 43 59 44 59
    // end   2026-11-26 11:02:03 = 03 02 11 26 11 26, +33 -> 36 35 44 59 44 59
    // 646 + 145 + 10 (16) + (52+51+68+54) + (120+99+67+89+68+89) + (54+53+68+89+68+89)
    // = 646 + 145 + 16 + 225 + 532 + 421 = 1985; mod 256 = 193 = C1
    const result = decodeFrame(
      hex('68 12 90 78 56 34 12 68 91 10 34 33 44 36 78 63 43 59 44 59 36 35 44 59 44 59 C1 16'),
    );
    expect(result.kind).toBe('frame');
    if (result.kind !== 'frame') return;
    const data = result.frame.data;
    expect(show(data.subarray(0, 4))).toBe('01 00 11 03');
    expect(decodeDateTime(data.subarray(4, 10))).toEqual({
      year: 2026,
      month: 11,
      day: 26,
      hour: 10,
      minute: 30,
      second: 45,
    });
    expect(decodeDateTime(data.subarray(10, 16))).toEqual({
      year: 2026,
      month: 11,
      day: 26,
      hour: 11,
      minute: 2,
      second: 3,
    });
  });

  it('decodes the last cover-open record (DI 03 30 0D 01) of a cover still open: 60 bytes, end time zero', () => {
    // DI 01 0D 30 03 +33 -> 34 40 63 36
    // start 2026-11-26 09:15:00 = 00 15 09 26 11 26, +33 -> 33 48 3C 59 44 59
    // end 00 00 00 00 00 00 and the twelve 4-byte energies (zero here): 54 bytes of 00 -> 33
    // L = 4 + 60 = 64 = 40
    // 646 + 145 + 64 + (52+64+99+54) + (51+72+60+89+68+89) + 54 x 51
    // = 646 + 145 + 64 + 269 + 429 + 2754 = 4307; mod 256 = 211 = D3
    const frame = hex(`68 12 90 78 56 34 12 68 91 40 34 40 63 36 33 48 3C 59 44 59 ${'33 '.repeat(54)} D3 16`);
    const result = decodeFrame(frame);
    expect(result.kind).toBe('frame');
    if (result.kind !== 'frame') return;
    const record = result.frame.data.subarray(4);
    expect(record.length).toBe(60);
    expect(decodeDateTime(record.subarray(0, 6))).toEqual({
      year: 2026,
      month: 11,
      day: 26,
      hour: 9,
      minute: 15,
      second: 0,
    });
    expect(decodeDateTime(record.subarray(6, 12))).toBe('zero');
  });
});

describe('date and time YYMMDDhhmmss', () => {
  it('encodes ss first and round-trips', () => {
    const local = { year: 2027, month: 2, day: 28, hour: 23, minute: 59, second: 58 };
    expect(show(encodeDateTime(local))).toBe('58 59 23 28 02 27');
    expect(decodeDateTime(encodeDateTime(local))).toEqual(local);
  });

  it('refuses bytes that are not BCD or not a date', () => {
    expect(decodeDateTime(hex('45 30 10 26 1A 26'))).toBeUndefined(); // month nibble A
    expect(decodeDateTime(hex('00 00 00 31 11 26'))).toBeUndefined(); // 31 November
    expect(decodeDateTime(hex('00 00 00 29 02 27'))).toBeUndefined(); // 29 February 2027
    expect(decodeDateTime(hex('00 00 24 01 01 27'))).toBeUndefined(); // hour 24
    expect(decodeDateTime(hex('60 00 00 01 01 27'))).toBeUndefined(); // second 60
    expect(decodeDateTime(hex('00 00 00 00 01 27'))).toBeUndefined(); // day 0
    expect(decodeDateTime(hex('FF FF FF FF FF FF'))).toBeUndefined();
    expect(decodeDateTime(hex('00 00 00 29 02 28'))).toEqual({
      year: 2028,
      month: 2,
      day: 29,
      hour: 0,
      minute: 0,
      second: 0,
    });
  });
});

describe('malformed input', () => {
  const good = hex('68 12 90 78 56 34 12 68 91 08 33 33 34 33 AB 89 67 45 CC 16');

  it('reports a checksum error and how much to skip', () => {
    const bad = Buffer.from(good);
    bad[18] = 0xcd;
    expect(decodeFrame(bad)).toEqual({ kind: 'error', error: 'bad-checksum', consumed: 20 });
  });

  it('reports a missing end byte', () => {
    const bad = Buffer.from(good);
    bad[19] = 0x17;
    expect(decodeFrame(bad)).toMatchObject({ kind: 'error', error: 'bad-end' });
  });

  it('waits for the rest of a partial frame', () => {
    expect(decodeFrame(good.subarray(0, 12))).toEqual({ kind: 'incomplete' });
    expect(decodeFrame(hex('FE FE FE'))).toEqual({ kind: 'incomplete' });
  });

  it('skips garbage before a frame', () => {
    const result = decodeFrame(Buffer.concat([hex('00 13 37'), good]));
    expect(result).toMatchObject({ kind: 'frame', consumed: 23 });
  });

  it('rejects a non-BCD address', () => {
    const bad = hex('68 1A 90 78 56 34 12 68 91 00');
    const frame = Buffer.concat([bad, Buffer.from([bad.reduce((s, b) => (s + b) & 0xff, 0), 0x16])]);
    expect(decodeFrame(frame)).toMatchObject({ kind: 'error', error: 'bad-address' });
  });

  it('refuses to encode a bad address', () => {
    expect(() => encodeAddress('12345')).toThrow(RangeError);
  });
});

describe('BCD values', () => {
  it('round-trips signed and unsigned values', () => {
    expect(bcdToDecimal(decimalToBcd('220.1', 2, 1), 1)).toBe('220.1');
    expect(bcdToDecimal(decimalToBcd('-1.234', 3, 3, true), 3, true)).toBe('-1.234');
    expect(bcdToDecimal(decimalToBcd('0.5', 3, 4, true), 4, true)).toBe('0.5000');
    expect(bcdToDecimal(hex('00 00 00 00'), 2)).toBe('0.00');
  });

  it('refuses nibbles that are not digits', () => {
    expect(bcdToDecimal(hex('7A 56'), 2)).toBeUndefined();
  });
});

/**
 * Relay control (control code 1C), built by hand from the standard. Request data, 16 bytes:
 * PA P0 P1 P2 C0 C1 C2 C3 N1 N2 N3..N8 = password level, password (low byte first), operator code
 * (low byte first), operation (1A trip, 1B permit close, 2A alarm, 2B alarm release, 3A keep
 * power, 3B keep power release), reserved 00, validity deadline ss mm hh DD MM YY (BCD); every data
 * byte +0x33 on the wire; CS = sum from the first 68 through the data, mod 256.
 */
describe('DL/T 645-2007 relay control golden frames', () => {
  const request = {
    passwordLevel: 0x02,
    password: '123456', // P2 P1 P0 = 12 34 56: sent 56 34 12
    operatorCode: '12345678', // C3..C0 = 12 34 56 78: sent 78 56 34 12
    operation: RelayOperation.TRIP,
    validUntil: { year: 2026, month: 11, day: 26, hour: 20, minute: 15, second: 30 }, // 30 15 20 26 11 26
  };

  it('trip meter 000000000001 until 2026-11-26 20:15:30', () => {
    // data          02 56 34 12 78 56 34 12 1A 00 30 15 20 26 11 26
    // +0x33 (wire)  35 89 67 45 AB 89 67 45 4D 33 63 48 53 59 44 59
    // CS: 68 + 01 + 5x00 + 68 = 0xD1 (209); 1C + 10 = 0x2C (44);
    //     data on the wire 53+137+103+69+171+137+103+69+77+51+99+72+83+89+68+89 = 1470 (0x5BE);
    //     209 + 44 + 1470 = 1723 = 0x6BB; mod 256 = 0xBB
    const frame = encodeFrame(relayRequest('000000000001', request), { preamble: 0 });
    expect(show(frame)).toBe('68 01 00 00 00 00 00 68 1C 10 35 89 67 45 AB 89 67 45 4D 33 63 48 53 59 44 59 BB 16');
  });

  it('permit close: N1 1B instead of 1A, so the data on the wire and the checksum are one more (4E, BC)', () => {
    const frame = encodeFrame(relayRequest('000000000001', { ...request, operation: RelayOperation.PERMIT_CLOSE }), {
      preamble: 2,
    });
    expect(show(frame)).toBe(
      'FE FE 68 01 00 00 00 00 00 68 1C 10 35 89 67 45 AB 89 67 45 4E 33 63 48 53 59 44 59 BC 16',
    );
  });

  it('the meter decodes the request back to its parts', () => {
    const bytes = hex('68 01 00 00 00 00 00 68 1C 10 35 89 67 45 AB 89 67 45 4D 33 63 48 53 59 44 59 BB 16');
    const decoded = decodeFrame(bytes);
    if (decoded.kind !== 'frame') throw new Error(decoded.kind);
    expect(decoded.frame.control).toBe(Control.RELAY);
    expect(decodeRelayRequest(decoded.frame.data)).toEqual(request);
    // Too short, or a deadline that is not a date: not a relay request.
    expect(decodeRelayRequest(decoded.frame.data.subarray(0, 15))).toBeUndefined();
    expect(decodeRelayRequest(Buffer.concat([decoded.frame.data.subarray(0, 10), Buffer.alloc(6)]))).toBeUndefined();
  });

  it('normal reply 9C without data', () => {
    // 68 + 01 + 68 + 9C + 00 = 104 + 1 + 104 + 156 + 0 = 365 = 0x16D; mod 256 = 0x6D
    const bytes = hex('68 01 00 00 00 00 00 68 9C 00 6D 16');
    expect(show(encodeFrame({ address: '000000000001', control: 0x9c, data: Buffer.alloc(0) }, { preamble: 0 }))).toBe(
      show(bytes),
    );
    const decoded = decodeFrame(bytes);
    if (decoded.kind !== 'frame') throw new Error(decoded.kind);
    expect(decodeRelayReply(decoded.frame)).toEqual({ kind: 'done' });
  });

  it('error reply DC with status 04: password error or unauthorised', () => {
    // error byte 04 + 33 = 37; 68 + 01 + 68 + DC + 01 + 37 = 104 + 1 + 104 + 220 + 1 + 55 = 485 = 0x1E5 -> E5
    const bytes = hex('68 01 00 00 00 00 00 68 DC 01 37 E5 16');
    expect(
      show(encodeFrame({ address: '000000000001', control: 0xdc, data: Buffer.from([0x04]) }, { preamble: 0 })),
    ).toBe(show(bytes));
    const decoded = decodeFrame(bytes);
    if (decoded.kind !== 'frame') throw new Error(decoded.kind);
    expect(decodeRelayReply(decoded.frame)).toEqual({
      kind: 'refused',
      status: 0x04,
      reason: 'password error or unauthorised',
    });
    // A reply to another function is not a relay reply.
    expect(decodeRelayReply({ address: '000000000001', control: 0x91, data: Buffer.alloc(4) })).toBeUndefined();
  });
});
