// The audit log and the check of its hash chain.
import { AuditResolver } from './audit.resolver.js';

export const resolvers = [AuditResolver] as const;
