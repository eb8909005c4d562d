import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, statementsOf, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.login('admin');
});
afterAll(async () => server?.stop());

const NESTED = `query($units: Int!, $meters: Int!) {
  orgUnits(first: $units, filter: { kinds: [TRANSFORMER_AREA] }) {
    totalCount
    nodes {
      name
      parent { name }
      meters(first: $meters) {
        totalCount
        nodes {
          assetNo
          meterBox { barcode }
          customer { accountNo orgUnit { name } }
          latestReading { value measuredAt }
        }
      }
    }
  }
}`;

async function statementsFor(
  units: number,
  meters: number,
  token = admin,
): Promise<{ statements: number; meterCount: number }> {
  let meterCount = 0;
  const statements = await statementsOf(server, async () => {
    const res = await server.gql<{ orgUnits: { nodes: { meters: { nodes: unknown[] } }[] } }>(
      NESTED,
      { units, meters },
      token,
    );
    expect(res.errors).toBeUndefined();
    meterCount = res.data!.orgUnits.nodes.reduce((n, u) => n + u.meters.nodes.length, 0);
  });
  if (process.env.SHOW_SQL) console.log(server.queries.log.join('\n'));
  return { statements, meterCount };
}

describe('DataLoader batching (N+1 guard)', () => {
  it('issues the same number of SQL statements whatever the page sizes', async () => {
    // Pages as large as the cost limit allows for this selection (page sizes in variables count).
    const small = await statementsFor(1, 2);
    const large = await statementsFor(5, 8);
    expect(small.meterCount).toBe(2);
    expect(large.meterCount).toBe(40);
    expect(large.statements).toBe(small.statements);
    // auth (user + rules) + page + count + parents + meters + count + boxes + assignments +
    // service points + customers + their units + latest readings: a small constant.
    expect(large.statements).toBeGreaterThanOrEqual(8);
    expect(large.statements).toBeLessThanOrEqual(16);
  });

  it('stays constant for a scoped user, whose conditions join the org tree', async () => {
    const manager = await server.login('manager1');
    const small = await statementsFor(1, 2, manager);
    const large = await statementsFor(3, 14, manager);
    expect(large.meterCount).toBe(42);
    expect(large.statements).toBe(small.statements);
  });
});
