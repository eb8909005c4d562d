import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/ingestion.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';

/**
 * Two server processes' worth of servers on one PostgreSQL database, their events joined through
 * Redis: an alarm raised on one reaches a subscriber connected to the other.
 */
const PG = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const dbName = `mg_fanout_${process.pid}_${randomBytes(3).toString('hex')}`;
let a: TestServer;
let b: TestServer;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(sql);
  await client.end();
}

beforeAll(async () => {
  await admin(`create database ${dbName}`);
  const url = new URL(PG);
  url.pathname = `/${dbName}`;
  const env = { DATABASE_URL: url.toString(), REDIS_URL: REDIS };
  a = await startTestServer({ env });
  b = await startTestServer({ env });
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await admin(`drop database if exists ${dbName} with (force)`);
});

describe('events across server processes through Redis', () => {
  it('delivers an alarm raised on one server to subscribers on both, still scoped per subscriber', async () => {
    const collect = async (server: TestServer, user: string) =>
      server.subscribe(await server.login(user), `subscription { collectionAlarms { type orgUnit { code } } }`);
    const onA = await collect(a, 'manager1');
    const onB = await collect(b, 'manager1');
    const otherStationOnB = await collect(b, 'manager2');
    await new Promise((r) => setTimeout(r, 500));

    const sql: SqlExecutor = { execute: (text, params) => a.em().getConnection().execute(text, params) };
    const meter = await sql.execute<{ id: number }>(
      `select m.id from meter m join org_unit o on o.id = m.org_unit_id where o.code = 'TA-YJ-02' and m.protocol = 'SIMULATED' order by m.id limit 1`,
      [],
    );
    await new AlarmRaiser(sql, a.app.events, createLogger('silent')).raise({
      meterId: Number(meter[0]!.id),
      type: AlarmType.POWER_OFF,
      message: 'power off',
      at: new Date(),
    });

    const end = Date.now() + 5000;
    while ((onA.received.length === 0 || onB.received.length === 0) && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const expected = [{ data: { collectionAlarms: { type: 'POWER_OFF', orgUnit: { code: 'TA-YJ-02' } } } }];
    expect(onA.received).toEqual(expected);
    expect(onB.received).toEqual(expected);
    expect(otherStationOnB.received).toEqual([]);
    await Promise.all([onA.client.dispose(), onB.client.dispose(), otherStationOnB.client.dispose()]);
  });
});
