// Sessions: customer login, token refresh, logout.
import { SessionResolver } from './session.resolver.js';

export const resolvers = [SessionResolver] as const;
