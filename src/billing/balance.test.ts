import { describe, expect, it } from 'vitest';
import { balanceOf, isBelow } from './balance.js';

describe('account balance', () => {
  it('is paid less billed, exact to the fen', () => {
    expect(balanceOf({ paid: '0', billed: '0' })).toBe('0.00');
    expect(balanceOf({ paid: '0.00', billed: '123.45' })).toBe('-123.45');
    expect(balanceOf({ paid: '200', billed: '123.45' })).toBe('76.55');
    // Sums that floats get wrong stay exact.
    expect(balanceOf({ paid: '0.30', billed: '0.10' })).toBe('0.20');
    expect(balanceOf({ paid: '0.1', billed: '0.3' })).toBe('-0.20');
    expect(balanceOf({ paid: '999999999999.99', billed: '0.01' })).toBe('999999999999.98');
  });

  it('compares strictly: a balance equal to a threshold is not below it', () => {
    expect(isBelow('-0.01', '0')).toBe(true);
    expect(isBelow('0.00', '0')).toBe(false);
    expect(isBelow('10.00', '10')).toBe(false);
    expect(isBelow('9.99', '10')).toBe(true);
  });
});
