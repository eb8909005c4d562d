// Customers' accounts: payments and their reversals, balances, prepayment (settings, notices, relay
// commands).
import { CustomerAccountResolver, PaymentResolver, PrepaymentEventResolver } from './account.resolver.js';

export const resolvers = [PaymentResolver, PrepaymentEventResolver, CustomerAccountResolver] as const;

export { balancesChanged } from './prepayment.service.js';
