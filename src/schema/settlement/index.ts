// Settlement runs and bills (draft, approved, issued), and the bill computation the jobs run.
import { BillResolver, SettlementRunResolver } from './settlement.resolver.js';

export const resolvers = [SettlementRunResolver, BillResolver] as const;

export { computeBills } from './bill-computation.js';
export { writeDrafts } from './bill-writer.js';
export { loadCustomersToBill } from './customers-to-bill.js';
export { PERIOD, visibleBills } from './settlement.service.js';
export { SettlementFailureType, SettlementRunType } from './settlement.type.js';
