// API keys for programs: create, list, revoke.
import { ApiKeyResolver } from './api-key.resolver.js';

export const resolvers = [ApiKeyResolver] as const;
