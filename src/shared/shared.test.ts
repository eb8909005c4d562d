import { describe, expect, it } from 'vitest';
import { formatDecimal, parseDecimal, toMoney } from './decimal.js';
import { fromGlobalId, toGlobalId } from './global-id.js';

describe('decimal', () => {
  it('keeps energy exact where floats would not', () => {
    expect(parseDecimal('0.1').plus('0.2').toFixed()).toBe('0.3');
    expect(formatDecimal('123456.7800')).toBe('123456.78');
    expect(() => parseDecimal('1e5')).toThrow();
  });

  it('rounds money half up to the fen', () => {
    expect(toMoney('0.005')).toBe('0.01');
    expect(toMoney('0.0049')).toBe('0.00');
    expect(toMoney('-0.005')).toBe('-0.01');
    expect(toMoney('12')).toBe('12.00');
  });
});

describe('global ids', () => {
  it('round-trips and rejects garbage', () => {
    expect(fromGlobalId(toGlobalId('Meter', 42))).toEqual({ type: 'Meter', id: '42' });
    expect(fromGlobalId('not base64 !')).toBeNull();
    expect(fromGlobalId(Buffer.from('Meter:1;drop').toString('base64url'))).toBeNull();
  });
});
