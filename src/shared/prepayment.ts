/**
 * The names of prepayment's states and actions, shared by the pure rules (src/billing/prepayment.ts),
 * the stored rows and the API, which must agree on them.
 */
export enum PrepaymentState {
  NORMAL = 'NORMAL',
  LOW_BALANCE = 'LOW_BALANCE',
  TRIPPED = 'TRIPPED',
  PERMITTED = 'PERMITTED',
}

export enum PrepaymentAction {
  NOTIFY_LOW_BALANCE = 'NOTIFY_LOW_BALANCE',
  TRIP = 'TRIP',
  PERMIT_CLOSE = 'PERMIT_CLOSE',
}
