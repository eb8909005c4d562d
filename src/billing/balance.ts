import { Dec } from '../shared/decimal.js';

/**
 * A customer's account (ADR 0016): what they paid less what they were billed, in CNY to the fen.
 *
 * - `paid` is the exact sum of their payments; a reversal is a negative payment, so it is counted
 *   by the same sum and nothing is ever deleted.
 * - `billed` is the exact sum of the totals of their ISSUED bills. A later version of a cycle's
 *   bill carries the cycle's whole amount and, once issued, makes the earlier one SUPERSEDED, which
 *   no longer counts: each cycle is counted once, at its latest issued amount. Drafts and approved
 *   bills are not owed yet.
 * - `balance = paid - billed`: positive is credit, negative is owed.
 *
 * Both sums are of amounts already in fen: nothing is rounded here.
 */
export interface AccountTotals {
  paid: string;
  billed: string;
}

export function balanceOf(totals: AccountTotals): string {
  return new Dec(totals.paid).minus(totals.billed).toFixed(2);
}

/** Whether `balance` is strictly below `threshold` (both in CNY). */
export function isBelow(balance: string, threshold: string): boolean {
  return new Dec(balance).lt(threshold);
}
