// Work that runs without a request: settlement runs and re-bills after corrections, the periodic
// verification sweep. The composition (app.ts) starts and stops them; the API reaches them only
// through an interface of its kernel (Context.settlements, a SettlementRunner).
export { SettlementJobs } from './settlement-jobs.js';
export type { RunContext } from './settlement-run.js';
export { VerificationSweep, type VerificationSweepOptions } from './verification-sweep.js';
