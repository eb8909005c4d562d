import { describe, expect, it } from 'vitest';
import { decodeRegisters, formatScaled, rawValue, REGISTER_COUNT } from './decode.js';

describe('Modbus register decoding', () => {
  it('knows how many registers each type spans', () => {
    expect(REGISTER_COUNT).toEqual({ uint16: 1, int16: 1, uint32: 2, int32: 2, float32: 2 });
  });

  it('reads 16-bit integers, signed and unsigned', () => {
    expect(decodeRegisters([0x08fd], { type: 'uint16', scale: '0.1', decimals: 1 })).toEqual({
      ok: true,
      value: '230.1',
    });
    expect(decodeRegisters([0xffff], { type: 'uint16', decimals: 0 })).toEqual({ ok: true, value: '65535' });
    // 0xFB2E = 64302 = 65536 - 1234
    expect(decodeRegisters([0xfb2e], { type: 'int16', decimals: 0 })).toEqual({ ok: true, value: '-1234' });
    expect(decodeRegisters([0xfb2e], { type: 'int16', scale: '0.01' })).toEqual({ ok: true, value: '-12.34' });
    expect(decodeRegisters([0x8000], { type: 'int16', decimals: 0 })).toEqual({ ok: true, value: '-32768' });
    expect(decodeRegisters([0x7fff], { type: 'int16', decimals: 0 })).toEqual({ ok: true, value: '32767' });
  });

  it('scales a uint32 exactly, in both word orders', () => {
    // 123456789 = 0x075BCD15
    expect(decodeRegisters([0x075b, 0xcd15], { type: 'uint32', scale: '0.01' })).toEqual({
      ok: true,
      value: '1234567.89',
    });
    expect(decodeRegisters([0xcd15, 0x075b], { type: 'uint32', wordOrder: 'little', scale: '0.01' })).toEqual({
      ok: true,
      value: '1234567.89',
    });
    // The largest uint32 with a scale whose float product would not be exact.
    expect(decodeRegisters([0xffff, 0xffff], { type: 'uint32', scale: '0.001', decimals: 3 })).toEqual({
      ok: true,
      value: '4294967.295',
    });
    expect(decodeRegisters([0x0000, 0x0007], { type: 'uint32', scale: '0.1', decimals: 6 })).toEqual({
      ok: true,
      value: '0.700000',
    });
  });

  it('reads negative int32 values', () => {
    // -12345 = 0xFFFFCFC7
    expect(decodeRegisters([0xffff, 0xcfc7], { type: 'int32', scale: '0.001', decimals: 3 })).toEqual({
      ok: true,
      value: '-12.345',
    });
    expect(decodeRegisters([0xcfc7, 0xffff], { type: 'int32', wordOrder: 'little', decimals: 0 })).toEqual({
      ok: true,
      value: '-12345',
    });
    expect(decodeRegisters([0x8000, 0x0000], { type: 'int32', decimals: 0 })).toEqual({
      ok: true,
      value: '-2147483648',
    });
  });

  it('reads float32 values, word-swapped too', () => {
    // 200.0 = 0x43480000: sign 0, exponent 0x86 (2^7), mantissa 1.5625 → 128 × 1.5625
    expect(decodeRegisters([0x4348, 0x0000], { type: 'float32' })).toEqual({ ok: true, value: '200.00' });
    expect(decodeRegisters([0x0000, 0x4348], { type: 'float32', wordOrder: 'little' })).toEqual({
      ok: true,
      value: '200.00',
    });
    // -2.5 = 0xC0200000
    expect(decodeRegisters([0xc020, 0x0000], { type: 'float32', decimals: 1 })).toEqual({ ok: true, value: '-2.5' });
    // 230.1 is not exact as float32 (0x4366199A = 230.100006103515625); one rounding gives it back.
    expect(decodeRegisters([0x4366, 0x199a], { type: 'float32', decimals: 1 })).toEqual({ ok: true, value: '230.1' });
    expect(decodeRegisters([0x4366, 0x199a], { type: 'float32', decimals: 6 })).toEqual({
      ok: true,
      value: '230.100006',
    });
    // 98765.43 as float32 is 98765.4296875 (0x47C0E6B7).
    expect(decodeRegisters([0x47c0, 0xe6b7], { type: 'float32' })).toEqual({ ok: true, value: '98765.43' });
    // A float in Wh scaled to kWh.
    expect(decodeRegisters([0x4348, 0x0000], { type: 'float32', scale: '0.001', decimals: 3 })).toEqual({
      ok: true,
      value: '0.200',
    });
  });

  it('turns NaN, infinity and wrong register counts into reasons', () => {
    expect(decodeRegisters([0x7fc0, 0x0000], { type: 'float32' })).toEqual({
      ok: false,
      reason: 'value is not a number (float32 NaN)',
    });
    expect(decodeRegisters([0x7f80, 0x0000], { type: 'float32' })).toEqual({
      ok: false,
      reason: 'value is infinite (float32)',
    });
    expect(decodeRegisters([0x0001], { type: 'uint32' })).toEqual({
      ok: false,
      reason: 'expected 2 register(s) for uint32, got 1',
    });
    expect(decodeRegisters([0x1_0000], { type: 'uint16' })).toMatchObject({ ok: false });
    expect(decodeRegisters([1], { type: 'uint16', scale: '1e3' })).toEqual({
      ok: false,
      reason: 'scale "1e3" is not a decimal string',
    });
  });

  it('rounds half up once and never prints a negative zero', () => {
    expect(formatScaled(5n, '0.001', 2)).toBe('0.01'); // 0.005
    expect(formatScaled(-5n, '0.001', 2)).toBe('-0.01');
    expect(formatScaled(-4n, '0.001', 2)).toBe('0.00');
    expect(formatScaled(0n, '-1', 0)).toBe('0');
    expect(formatScaled(12n, '10', 0)).toBe('120');
    expect(formatScaled(-0, '1', 1)).toBe('0.0');
  });

  it('exposes the raw value: bigint for integers, number for float32', () => {
    expect(rawValue([0xffff, 0xfffe], 'int32')).toBe(-2n);
    expect(rawValue([0xffff], 'uint16')).toBe(65535n);
    expect(rawValue([0x3f80, 0x0000], 'float32')).toBe(1);
  });
});
