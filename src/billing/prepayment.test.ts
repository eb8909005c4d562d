import { describe, expect, it } from 'vitest';
import {
  evaluatePrepayment,
  PrepaymentAction as A,
  PrepaymentState as S,
  type PrepaymentSettings,
} from './prepayment.js';

const prepaid: PrepaymentSettings = { prepaid: true, lowBalanceAlert: '20', tripBelow: '0' };
const step = (state: S, balance: string, settings = prepaid) => evaluatePrepayment(state, balance, settings);

describe('prepayment state machine', () => {
  it('NORMAL: stays above the alert, notifies below it, trips below tripBelow', () => {
    expect(step(S.NORMAL, '20.00')).toEqual({ state: S.NORMAL, action: null });
    expect(step(S.NORMAL, '19.99')).toEqual({ state: S.LOW_BALANCE, action: A.NOTIFY_LOW_BALANCE });
    expect(step(S.NORMAL, '0.00')).toEqual({ state: S.LOW_BALANCE, action: A.NOTIFY_LOW_BALANCE });
    expect(step(S.NORMAL, '-0.01')).toEqual({ state: S.TRIPPED, action: A.TRIP });
  });

  it('LOW_BALANCE: stays silent while low, trips below tripBelow, recovers at the alert', () => {
    expect(step(S.LOW_BALANCE, '5.00')).toEqual({ state: S.LOW_BALANCE, action: null });
    expect(step(S.LOW_BALANCE, '-3.00')).toEqual({ state: S.TRIPPED, action: A.TRIP });
    expect(step(S.LOW_BALANCE, '20.00')).toEqual({ state: S.NORMAL, action: null });
  });

  it('TRIPPED: stays while below, permits to reconnect at tripBelow or above', () => {
    expect(step(S.TRIPPED, '-50.00')).toEqual({ state: S.TRIPPED, action: null });
    expect(step(S.TRIPPED, '0.00')).toEqual({ state: S.PERMITTED, action: A.PERMIT_CLOSE });
    expect(step(S.TRIPPED, '100.00')).toEqual({ state: S.PERMITTED, action: A.PERMIT_CLOSE });
  });

  it('PERMITTED: stays while under the alert, NORMAL at it, trips again below tripBelow', () => {
    expect(step(S.PERMITTED, '10.00')).toEqual({ state: S.PERMITTED, action: null });
    expect(step(S.PERMITTED, '20.00')).toEqual({ state: S.NORMAL, action: null });
    expect(step(S.PERMITTED, '-1.00')).toEqual({ state: S.TRIPPED, action: A.TRIP });
  });

  it('without an alert there is no low-balance state', () => {
    const noAlert = { ...prepaid, lowBalanceAlert: null };
    expect(step(S.NORMAL, '0.00', noAlert)).toEqual({ state: S.NORMAL, action: null });
    expect(step(S.NORMAL, '-0.01', noAlert)).toEqual({ state: S.TRIPPED, action: A.TRIP });
    expect(step(S.TRIPPED, '0.00', noAlert)).toEqual({ state: S.PERMITTED, action: A.PERMIT_CLOSE });
    expect(step(S.PERMITTED, '0.00', noAlert)).toEqual({ state: S.NORMAL, action: null });
  });

  it('honours a negative tripBelow (credit allowed)', () => {
    const credit = { prepaid: true, lowBalanceAlert: '0', tripBelow: '-50' };
    expect(step(S.NORMAL, '-10.00', credit)).toEqual({ state: S.LOW_BALANCE, action: A.NOTIFY_LOW_BALANCE });
    expect(step(S.LOW_BALANCE, '-50.00', credit)).toEqual({ state: S.LOW_BALANCE, action: null });
    expect(step(S.LOW_BALANCE, '-50.01', credit)).toEqual({ state: S.TRIPPED, action: A.TRIP });
  });

  it('a customer who is no longer prepaid is NORMAL, and a tripped meter is permitted', () => {
    const off = { ...prepaid, prepaid: false };
    expect(step(S.TRIPPED, '-100.00', off)).toEqual({ state: S.NORMAL, action: A.PERMIT_CLOSE });
    for (const s of [S.NORMAL, S.LOW_BALANCE, S.PERMITTED])
      expect(step(s, '-100.00', off)).toEqual({ state: S.NORMAL, action: null });
  });

  it('is idempotent: a second evaluation with the same balance never acts again', () => {
    const balances = ['-100.00', '-0.01', '0.00', '0.01', '19.99', '20.00', '500.00'];
    const settings: PrepaymentSettings[] = [
      prepaid,
      { ...prepaid, lowBalanceAlert: null },
      { ...prepaid, prepaid: false },
      { prepaid: true, lowBalanceAlert: '0', tripBelow: '-50' },
    ];
    for (const s of settings)
      for (const start of Object.values(S))
        for (const balance of balances) {
          const first = step(start, balance, s);
          const second = step(first.state, balance, s);
          expect(second.action, `${start} ${balance} ${JSON.stringify(s)}`).toBeNull();
          // At most one more quiet step (PERMITTED settling) and then a fixed point.
          expect(step(second.state, balance, s)).toEqual({ state: second.state, action: null });
        }
  });
});
