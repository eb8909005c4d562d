import { PrepaymentAction, PrepaymentState } from '../shared/prepayment.js';
import { isBelow } from './balance.js';

/**
 * Prepayment (预付费) as a state machine over a customer's balance (ADR 0016).
 *
 * ```
 *            balance < lowBalanceAlert             balance < tripBelow
 *   NORMAL ------------------------> LOW_BALANCE ---------------------> TRIPPED
 *     ^        (NOTIFY_LOW_BALANCE)       |            (TRIP)             |
 *     |                                   | balance < tripBelow (TRIP)    | balance >= tripBelow
 *     |  balance >= lowBalanceAlert       v                               v   (PERMIT_CLOSE)
 *     +------------------------------------------------------------- PERMITTED
 * ```
 * - NORMAL -> TRIPPED directly when one change takes the balance below `tripBelow`.
 * - LOW_BALANCE -> NORMAL when a top-up lifts the balance to the alert or above (no command).
 * - PERMITTED: the meter may be reconnected; most prepaid meters close only when the customer
 *   presses the button. It stays PERMITTED while the balance is still under the alert (the permit
 *   notice told the customer), becomes NORMAL at the alert or above, TRIPPED again below `tripBelow`.
 * - A customer who is no longer prepaid is NORMAL; if their meter was tripped it gets PERMIT_CLOSE.
 *
 * "Below" is strict: a balance equal to a threshold is not below it. Every step is a function of
 * (state, balance, settings) and evaluating again with the same balance yields no action: an
 * issued bill or a payment seen twice never sends a second trip or notice.
 */
export { PrepaymentAction, PrepaymentState };

export interface PrepaymentSettings {
  prepaid: boolean;
  /** CNY; null: no low-balance notice. Never below `tripBelow`. */
  lowBalanceAlert: string | null;
  /** CNY; the relay trips when the balance falls below it. */
  tripBelow: string;
}

export interface PrepaymentStep {
  state: PrepaymentState;
  /** What to do for this step: a notice, or a relay command (which also notifies). */
  action: PrepaymentAction | null;
}

export function evaluatePrepayment(
  state: PrepaymentState,
  balance: string,
  settings: PrepaymentSettings,
): PrepaymentStep {
  const tripped = state === PrepaymentState.TRIPPED;
  if (!settings.prepaid)
    return tripped
      ? { state: PrepaymentState.NORMAL, action: PrepaymentAction.PERMIT_CLOSE }
      : { state: PrepaymentState.NORMAL, action: null };
  if (isBelow(balance, settings.tripBelow))
    return tripped ? { state, action: null } : { state: PrepaymentState.TRIPPED, action: PrepaymentAction.TRIP };
  if (tripped) return { state: PrepaymentState.PERMITTED, action: PrepaymentAction.PERMIT_CLOSE };
  const low = settings.lowBalanceAlert !== null && isBelow(balance, settings.lowBalanceAlert);
  if (!low) return { state: PrepaymentState.NORMAL, action: null };
  if (state === PrepaymentState.NORMAL)
    return { state: PrepaymentState.LOW_BALANCE, action: PrepaymentAction.NOTIFY_LOW_BALANCE };
  // LOW_BALANCE stays; PERMITTED stays until the balance reaches the alert.
  return { state, action: null };
}
