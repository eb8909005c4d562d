// Customers (personal data sealed and masked by field rules).
import { CustomerResolver } from './customer.resolver.js';

export const resolvers = [CustomerResolver] as const;

export { CustomerPayload, CustomerType } from './customer.type.js';
