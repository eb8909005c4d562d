import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onlyError, startTestServer, type TestServer } from './harness.js';

let server: TestServer;
let admin: string;
let channelId: string;
let onChannel: string;
let offChannel: string;

beforeAll(async () => {
  server = await startTestServer({ demo: true });
  admin = await server.login('admin');
  const meters = (
    await server.gql<{ meters: { nodes: { id: string; orgUnit: { id: string } }[] } }>(
      `{ meters(first: 2, filter: { statuses: [INSTALLED] }) { nodes { id orgUnit { id } } } }`,
      {},
      admin,
    )
  ).data!.meters.nodes;
  [onChannel, offChannel] = [meters[0]!.id, meters[1]!.id];
  const channel = await server.gql<{ createChannel: { channel: { id: string } } }>(
    `mutation($i: CreateChannelInput!) { createChannel(input: $i) { channel { id } } }`,
    {
      i: {
        name: 'Vendor gateway',
        pluginId: 'dlt645-2007-tcp',
        settings: { host: '127.0.0.1', port: 1 },
        orgUnitId: meters[0]!.orgUnit.id,
      },
    },
    admin,
  );
  channelId = channel.data!.createChannel.channel.id;
  const set = await server.gql(
    `mutation($i: SetMeterCollectionInput!) { setMeterCollection(input: $i) { collection { status } } }`,
    {
      i: {
        meterId: onChannel,
        channelId,
        settings: { address: '000000000001' },
        points: [{ register: 'FORWARD_ACTIVE_TOTAL', settings: { di: '00010000' } }],
      },
    },
    admin,
  );
  expect(set.errors).toBeUndefined();
});
afterAll(async () => server?.stop());

const READING = `mutation($m: ID!, $at: DateTime!) { recordManualReading(input: { meterId: $m, register: FORWARD_ACTIVE_TOTAL, value: "99999.5", measuredAt: $at }) { reading { id } } }`;
const METERS = `{ meters { totalCount nodes { id } } }`;

describe('API keys for collector services and vendors', () => {
  it('are shown once, stored as a hash, and act as their service account', async () => {
    const key = await server.apiKey('collector');
    expect(key).toMatch(/^mgk_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const [row] = await server
      .em()
      .execute<{ secret_hash: string; prefix: string }[]>(
        `select secret_hash, prefix from api_key order by id desc limit 1`,
      );
    expect(key).toContain(row!.prefix);
    expect(key).not.toContain(row!.secret_hash);
    const me = await server.gql<{ me: { username: string; role: string } }>(`{ me { username role } }`, {}, key);
    expect(me.data!.me).toEqual({ username: 'collector', role: 'COLLECTOR_SERVICE' });
    // The whole scope of the account: every meter.
    expect((await server.gql<any>(METERS, {}, key)).data.meters.totalCount).toBeGreaterThan(100);
    const listed = await server.gql<{ apiKeys: { prefix: string; lastUsedAt: string | null }[] }>(
      `{ apiKeys { prefix lastUsedAt } }`,
      {},
      admin,
    );
    expect(listed.data!.apiKeys.find((k) => k.prefix === row!.prefix)!.lastUsedAt).not.toBeNull();
    // Never in the audit log.
    const audit = await server.gql<any>(
      `{ auditLog(filter: { actions: ["createApiKey"] }) { nodes { details } } }`,
      {},
      admin,
    );
    expect(audit.data.auditLog.nodes.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit.data)).not.toContain(key.split('_')[2]);
  });

  it('limited to channels, reach only those channels: meters, readings, and what they may write', async () => {
    const key = await server.apiKey('collector', [channelId]);
    const meters = await server.gql<any>(METERS, {}, key);
    expect(meters.data.meters).toEqual({ totalCount: 1, nodes: [{ id: onChannel }] });
    const at = new Date(Date.now() - 60_000).toISOString();
    expect((await server.gql(READING, { m: onChannel, at }, key)).errors).toBeUndefined();
    const refused = onlyError(await server.gql(READING, { m: offChannel, at }, key));
    expect(refused.extensions?.fields?.[0]?.path).toEqual(['input', 'meterId']);
    expect(
      (await server.gql<any>(`query($id: ID!) { node(id: $id) { id } }`, { id: offChannel }, key)).data?.node ?? null,
    ).toBeNull();
  });

  it('stop working when revoked or expired, and a wrong secret is refused', async () => {
    const key = await server.apiKey('collector');
    const keys = await server.gql<{ apiKeys: { id: string; prefix: string }[] }>(
      `{ apiKeys { id prefix } }`,
      {},
      admin,
    );
    const id = keys.data!.apiKeys.find((k) => key.includes(k.prefix))!.id;
    // Over WebSocket the key opens a connection...
    const connects = async (token: string) => {
      const client = server.ws(token);
      const outcome = new Promise<string>((resolve) => {
        client.on('connected', () => resolve('connected'));
        client.on('closed', (e) => resolve(`closed ${(e as { code: number }).code}`));
      });
      client.subscribe(
        { query: `subscription { readingRecorded { value } }` },
        { next() {}, error() {}, complete() {} },
      );
      const result = await outcome;
      await client.dispose();
      return result;
    };
    expect(await connects(key)).toBe('connected');
    const forged = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(onlyError(await server.gql(`{ me { id } }`, {}, forged)).extensions?.code).toBe('UNAUTHENTICATED');
    const revoked = await server.gql(
      `mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }`,
      { id },
      admin,
    );
    expect(revoked.errors).toBeUndefined();
    expect(onlyError(await server.gql(`{ me { id } }`, {}, key)).extensions?.code).toBe('UNAUTHENTICATED');
    // ...and no more once revoked.
    expect(await connects(key)).toBe('closed 4403');

    const expiring = await server.apiKey('collector');
    await server
      .em()
      .execute(`update api_key set expires_at = now() - interval '1 second' where prefix = ?`, [
        expiring.split('_')[1],
      ]);
    expect(onlyError(await server.gql(`{ me { id } }`, {}, expiring)).extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('are for service accounts only, issued by administrators', async () => {
    const users = await server.gql<any>(`{ users(filter: { search: "reader1" }) { nodes { id } } }`, {}, admin);
    const person = onlyError(
      await server.gql(
        `mutation($u: ID!) { createApiKey(input: { name: "x", userId: $u }) { key } }`,
        { u: users.data.users.nodes[0].id },
        admin,
      ),
    );
    expect(person.extensions?.fields?.[0]?.path).toEqual(['input', 'userId']);
    const manager = await server.login('manager1');
    const collector = await server.gql<any>(`{ users(filter: { search: "collector" }) { nodes { id } } }`, {}, admin);
    expect(
      onlyError(
        await server.gql(
          `mutation($u: ID!) { createApiKey(input: { name: "x", userId: $u }) { key } }`,
          { u: collector.data.users.nodes[0].id },
          manager,
        ),
      ).extensions?.code,
    ).toBe('FORBIDDEN');
  });
});
