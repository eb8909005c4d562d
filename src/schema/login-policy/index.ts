// Login policies (networks, hours, lockout) per role or unit, and clearing a lockout.
import { LoginPolicyResolver } from './login-policy.resolver.js';

export const resolvers = [LoginPolicyResolver] as const;
