import {
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config/config.js';
import { AppError, ErrorCode } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { staticCost } from './query-limits.js';

/**
 * Root fields whose work does not show in the shape of the operation, added to its static cost:
 * a password hash per login, up to 5000 rows per import, a round trip to a meter, the whole audit
 * chain recomputed.
 */
export const FIELD_WEIGHTS: Readonly<Record<string, number>> = {
  login: 250,
  refreshToken: 100,
  importArchive: 2000,
  readMeterNow: 500,
  verifyAuditLog: 2000,
  // Every bill of the unit and period with its lines, and each area's line loss.
  settlementReport: 500,
  // Every KPI of a unit over up to a year: collection by meter-day, each area's line loss, people.
  kpis: 500,
};

/** The root fields an operation asks for, through fragments too. */
function rootFields(document: DocumentNode, selectionSet: SelectionSetNode, seen = new Set<string>()): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFields(document, selection.selectionSet, seen);
    const name = selection.name.value;
    if (seen.has(name)) return [];
    seen.add(name);
    const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
    return fragment?.kind === Kind.FRAGMENT_DEFINITION ? rootFields(document, fragment.selectionSet, seen) : [];
  });
}

/**
 * What an operation costs against a rate-limit budget, given its static cost (with its variables):
 * that cost (at least 1) plus the weights of its root fields.
 */
export function budgetCost(staticCostOfOperation: number, document: DocumentNode, operation: OperationDefinitionNode) {
  const weights = rootFields(document, operation.selectionSet).reduce((sum, f) => sum + (FIELD_WEIGHTS[f] ?? 0), 0);
  // At least 1, so that a budget also bounds the number of requests (introspection costs 0 to the cost rule).
  return Math.max(1, Math.ceil(staticCostOfOperation)) + weights;
}

/** What an operation costs against a rate-limit budget: its static cost with its variables, plus weights. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables?: Readonly<Record<string, unknown>> | null,
) {
  return budgetCost(staticCost(schema, document, operation, variables), document, operation);
}

export interface RateLimits {
  /**
   * Takes `cost` points from the caller's budget for the window: a signed-in user's own, otherwise
   * their address's. Throws RATE_LIMITED (HTTP 429, `retryAfter` seconds) when it does not cover them.
   */
  charge(who: { userId?: number; ip?: string }, cost: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Budgets per user and per address, in memory (one process) or in Redis when REDIS_URL is set, so
 * that several processes share them. Should Redis fail, each process falls back to its own memory.
 */
export function createRateLimits(config: Config, logger: Logger): RateLimits | undefined {
  const { enabled, windowSeconds, userPoints, anonymousPoints } = config.rateLimit;
  if (!enabled) return undefined;
  // No offline queue: while Redis is unreachable a command fails at once and the in-memory
  // insurance answers, instead of requests waiting for a reconnect.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { enableOfflineQueue: false }) : undefined;
  redis?.on('error', (error) => logger.warn({ err: error }, 'rate limits: Redis unavailable, counting in memory'));
  const limiter = (kind: string, points: number): RateLimiterAbstract => {
    const options = { keyPrefix: `metergraph:rate:${kind}`, points, duration: windowSeconds };
    return redis
      ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) })
      : new RateLimiterMemory(options);
  };
  const perUser = limiter('user', userPoints);
  const perAddress = limiter('address', anonymousPoints);

  const charge: RateLimits['charge'] = async ({ userId, ip }, cost) => {
    const [budget, key] = userId !== undefined ? [perUser, `${userId}`] : [perAddress, ip ?? 'unknown'];
    try {
      await budget.consume(key, cost);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) {
        // The store failed and so did its insurance: an outage of the limiter must not become one of the API.
        logger.error({ err: rejection }, 'rate limits: could not count');
        return;
      }
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      logger.warn({ event: 'rate_limited', userId, ip, cost, retryAfter }, 'rate limited');
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Rate limit exceeded: this operation costs ${cost} and the budget of ${
          userId !== undefined ? 'this user' : 'this address'
        } for the current ${windowSeconds} s is spent; retry in ${retryAfter} s`,
        { retryAfter, http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) } },
      );
    }
  };

  return {
    charge,
    close: async () => {
      redis?.disconnect();
    },
  };
}
