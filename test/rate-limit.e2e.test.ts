import { request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/orm/entities/index.js';
import { onlyError, startServerPair, startTestServer, type GqlResult, type TestServer } from './harness.js';
import { claimsOf } from './support/tokens.js';

/**
 * Cost budgets per window: per signed-in user, and per client address for requests without a
 * token. Off by default under NODE_ENV=test; these servers turn them on.
 */
const BUDGETS = {
  RATE_LIMIT: 'true',
  RATE_LIMIT_WINDOW_SECONDS: '60',
  RATE_LIMIT_USER_POINTS: '2000',
  RATE_LIMIT_ANONYMOUS_POINTS: '1000',
};
// 100 objects with one nested object each: a static cost of 725, so the third in a window is refused.
const PAGE = `{ meters(first: 100) { nodes { id } } }`;
const BAD_LOGIN = `mutation { login(input: { username: "nobody", password: "wrong-password" }) { accessToken } }`;

/** A POST from a chosen loopback address, so that tests can act as different clients. */
function postFrom(
  server: TestServer,
  localAddress: string,
  query: string,
  token?: string,
): Promise<GqlResult<unknown> & { retryAfterHeader?: string }> {
  const url = new URL(`${server.url}/graphql`);
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            retryAfterHeader: res.headers['retry-after'] as string | undefined,
            ...(JSON.parse(text) as object),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function expectLimited(res: GqlResult<unknown> & { retryAfterHeader?: string }) {
  expect(res.status).toBe(429);
  expect(res.data ?? null).toBeNull();
  const error = onlyError(res);
  expect(error.extensions?.code).toBe('RATE_LIMITED');
  const retryAfter = error.extensions?.retryAfter as number;
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.retryAfterHeader).toBe(String(retryAfter));
  // Nothing but the code and the retry time reaches the client.
  expect(Object.keys(error.extensions!).sort()).toEqual(['code', 'retryAfter']);
}

describe('rate limits on one server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: BUDGETS });
  });
  afterAll(async () => server?.stop());

  it('refuses a user past their budget with RATE_LIMITED, 429 and retryAfter, and changes nothing', async () => {
    const manager1 = await server.login('manager1');
    const manager2 = await server.login('manager2');
    expect((await server.gql(PAGE, {}, manager1)).errors).toBeUndefined();
    expect((await server.gql(PAGE, {}, manager1)).errors).toBeUndefined();
    expectLimited(await postFrom(server, '127.0.0.1', PAGE, manager1));

    // A mutation is refused before it runs: the session it would end stays.
    const before = await server.em().findOneOrFail(User, { username: 'manager1' });
    expectLimited(
      await postFrom(server, '127.0.0.1', `mutation { logoutEverywhere { revokedRefreshTokens } }`, manager1),
    );
    const after = await server.em().findOneOrFail(User, { username: 'manager1' });
    expect(after.tokenVersion).toBe(before.tokenVersion);

    // Over WebSocket too, for queries and subscriptions.
    for (const query of [PAGE, `subscription { readingRecorded { value } }`]) {
      const sub = server.subscribe(manager1, query);
      await sub.done;
      await sub.client.dispose();
      const errors = [...sub.received.flatMap((r: { errors?: unknown[] }) => r.errors ?? []), ...sub.errors];
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } });
    }

    // Another user, from the same address, has a budget of their own.
    expect((await server.gql(PAGE, {}, manager2)).errors).toBeUndefined();
    expect((await postFrom(server, '127.0.0.1', PAGE, manager2)).status).toBe(200);
  });

  it('counts requests without a token per client address, logins weighing more', async () => {
    // Each failed login costs its shape plus the login weight (about 255): the fourth is refused.
    for (let i = 0; i < 3; i++) {
      const res = await postFrom(server, '127.0.0.2', BAD_LOGIN);
      expect(onlyError(res).extensions?.code).toBe('UNAUTHENTICATED');
    }
    expectLimited(await postFrom(server, '127.0.0.2', BAD_LOGIN));
    // Spent: even the cheapest request from that address waits.
    expectLimited(await postFrom(server, '127.0.0.2', `{ __typename }`));
    // Another address is not affected, and neither is a signed-in user at the throttled address.
    expect((await postFrom(server, '127.0.0.3', BAD_LOGIN)).status).toBe(200);
    const reader = await server.login('reader1');
    expect((await postFrom(server, '127.0.0.2', `{ me { username } }`, reader)).data).toEqual({
      me: { username: 'reader1' },
    });
  });
});

describe('rate limits shared through Redis by two server processes', () => {
  const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let a: TestServer;
  let b: TestServer;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ a, b, stop } = await startServerPair(BUDGETS));
  });
  afterAll(async () => stop?.());

  it('spends one budget per user whichever process answers', async () => {
    // Budgets left in Redis by an earlier run within the window would skew the count.
    const redis = new Redis(REDIS);
    await redis.del('metergraph:rate:address:127.0.0.1');
    const token = await a.login('manager1');
    await redis.del(`metergraph:rate:user:${claimsOf(token).sub as string}`);
    await redis.quit();
    expect((await a.gql(PAGE, {}, token)).errors).toBeUndefined();
    expect((await b.gql(PAGE, {}, token)).errors).toBeUndefined();
    expectLimited(await postFrom(a, '127.0.0.1', PAGE, token));
    expectLimited(await postFrom(b, '127.0.0.1', PAGE, token));
  });
});
