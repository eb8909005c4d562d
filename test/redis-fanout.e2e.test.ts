import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { createLogger } from '../src/shared/logger.js';
import { startServerPair, type TestServer } from './harness.js';

/**
 * Two server processes' worth of servers on one PostgreSQL database, their events joined through
 * Redis: an alarm raised on one reaches a subscriber connected to the other.
 */
let a: TestServer;
let b: TestServer;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ a, b, stop } = await startServerPair());
});
afterAll(async () => stop?.());

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
