import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { AppError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { staticCost } from './query-limits.js';
import { createRateLimits, FIELD_WEIGHTS, operationCost } from './rate-limit.js';

const schema = buildSchema(`
  type User { id: ID! name: String! }
  type Query { me: User users(first: Int): [User!]! }
  type Mutation { login(username: String!): User readMeterNow(id: ID!): User }
`);
const cost = (query: string, name?: string) => {
  const document = parse(query);
  return operationCost(schema, document, getOperationAST(document, name)!);
};
const config = (env: Record<string, string> = {}) =>
  loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'x'.repeat(40),
    AUDIT_KEY: 'a'.repeat(40),
    RATE_LIMIT: 'true',
    RATE_LIMIT_USER_POINTS: '100',
    RATE_LIMIT_ANONYMOUS_POINTS: '100',
    ...env,
  });
const logger = createLogger('silent');

describe('operation cost', () => {
  it('is the static cost of the operation plus the weights of its root fields', () => {
    // me: an object (2) with one scalar nested (1.5 x 1)
    expect(cost(`{ me { id } }`)).toBe(4);
    // a list of 10: ten times the object
    expect(cost(`{ users(first: 10) { id } }`)).toBe(35);
    expect(cost(`mutation { login(username: "a") { id } }`)).toBe(4 + FIELD_WEIGHTS.login!);
    // Introspection is free to the cost limit, not to the budgets.
    expect(cost(`{ __schema { types { name } } }`)).toBe(1);
  });

  it('counts a page size passed in a variable like one written in the document', () => {
    const document = parse(`query($n: Int) { users(first: $n) { id } }`);
    const operation = getOperationAST(document)!;
    expect(operationCost(schema, document, operation, { n: 10 })).toBe(cost(`{ users(first: 10) { id } }`));
    expect(operationCost(schema, document, operation, {})).toBe(cost(`{ users { id } }`));
  });

  it('finds weighed fields behind fragments and counts only the operation that runs', () => {
    const doc = `
      query Cheap { me { id } }
      mutation Heavy { ...M ... on Mutation { readMeterNow(id: "1") { id } } }
      fragment M on Mutation { login(username: "a") { id } }`;
    expect(cost(doc, 'Cheap')).toBe(4);
    const document = parse(doc);
    const shape = Math.ceil(staticCost(schema, document, getOperationAST(document, 'Heavy')!));
    expect(shape).toBeGreaterThan(4);
    expect(cost(doc, 'Heavy')).toBe(shape + FIELD_WEIGHTS.login! + FIELD_WEIGHTS.readMeterNow!);
  });
});

describe('budgets', () => {
  it('are off unless enabled, and off by default under NODE_ENV=test only', () => {
    expect(createRateLimits(config({ RATE_LIMIT: '' }), logger)).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: '/tmp/wt-hardening/rl' }).rateLimit.enabled).toBe(true);
  });

  it('count per user and per address apart, and refuse with a retry time once spent', async () => {
    const limits = createRateLimits(config(), logger)!;
    await limits.charge({ userId: 1 }, 60);
    const refused = await limits.charge({ userId: 1 }, 60).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).extensions).toMatchObject({ code: 'RATE_LIMITED', http: { status: 429 } });
    expect((refused as AppError).extensions.retryAfter).toBeGreaterThanOrEqual(1);
    await limits.charge({ userId: 2 }, 60);
    await limits.charge({ ip: '10.0.0.1' }, 60);
    await limits.charge({ ip: '10.0.0.2' }, 60);
    await limits.close();
  });

  it('keep counting in memory when Redis cannot be reached', async () => {
    const limits = createRateLimits(config({ REDIS_URL: 'redis://127.0.0.1:1' }), logger)!;
    await limits.charge({ userId: 1 }, 60);
    await expect(limits.charge({ userId: 1 }, 60)).rejects.toBeInstanceOf(AppError);
    await limits.close();
  });
});
