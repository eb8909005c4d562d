import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import { MeterWatch } from '../src/collectors/alarms/meter-watch.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';

const logger = createLogger('silent');
let server: TestServer;
let sql: SqlExecutor;
let watch: MeterWatch;
let meters: number[];

beforeAll(async () => {
  server = await startTestServer();
  sql = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  watch = new MeterWatch(sql, new AlarmRaiser(sql, server.app.events, logger), logger, {
    offlineAfterHours: 24,
    stoppedAfterDays: 3,
    simulated: false,
  });
  meters = (
    await sql.execute<{ id: number }>(
      `select m.id from meter m join org_unit o on o.id = m.org_unit_id
        where o.code = 'TA-TY-02' and m.protocol = 'SIMULATED' order by m.id limit 3`,
      [],
    )
  ).map((r) => Number(r.id));
});
afterAll(async () => server?.stop());

const active = (meterId: number, type: string) =>
  sql.execute<{ status: string; message: string }>(
    `select status, message from alarm where meter_id = ? and type = ? order by id`,
    [meterId, type],
  );

describe('server-side meter watch', () => {
  it('raises METER_OFFLINE for a collected meter not heard from for a day, and not for one that answered', async () => {
    const [silent, fresh] = meters as [number, number];
    const [channel] = await sql.execute<{ id: number }>(
      `insert into channel (name, plugin_id, settings, org_unit_id) select 'gw', 'dlt645-2007-tcp', '{}', org_unit_id from meter where id = ? returning id`,
      [silent],
    );
    await sql.execute(
      `insert into meter_collection (meter_id, channel_id, settings, points, last_success_at)
       values (?, ?, '{}', '[]', now() - interval '30 hours'), (?, ?, '{}', '[]', now() - interval '1 hour')`,
      [silent, channel!.id, fresh, channel!.id],
    );
    // The silent meter's newest stored value is older than a day too.
    await sql.execute(`delete from reading where meter_id = ? and measured_at > now() - interval '30 hours'`, [silent]);
    const first = await watch.run();
    expect(first.offline).toBe(1);
    const [alarm] = await active(silent, 'METER_OFFLINE');
    expect(alarm).toMatchObject({ status: 'OPEN' });
    expect(alarm!.message).toMatch(/^not heard from since \d{4}-/);
    expect(await active(fresh, 'METER_OFFLINE')).toEqual([]);
    // Watching again merges into the same alarm instead of opening another.
    await watch.run();
    expect(await active(silent, 'METER_OFFLINE')).toHaveLength(1);
  });

  it('raises STOPPED_METER when the total register stood still for the days set, and clears it when it moves', async () => {
    const stuck = meters[2]!;
    const [latest] = await sql.execute<{ value: string; measured_at: Date }>(
      `select value::text as value, measured_at from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' order by measured_at desc limit 1`,
      [stuck],
    );
    await sql.execute(
      `update reading set value = ? where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' and measured_at >= ?::timestamptz - interval '3 days'`,
      [latest!.value, stuck, latest!.measured_at],
    );
    const run = await watch.run();
    expect(run.stopped).toBe(1);
    const [alarm] = await active(stuck, 'STOPPED_METER');
    expect(alarm).toMatchObject({ status: 'OPEN' });
    expect(alarm!.message).toBe(
      `total register stayed at ${latest!.value} kWh since ${new Date(new Date(latest!.measured_at).getTime() - 3 * 86_400_000).toISOString()}`,
    );
    // The register moves again: the alarm is cleared.
    await sql.execute(
      `insert into reading (meter_id, register, value, measured_at, received_at, source, quality)
       values (?, 'FORWARD_ACTIVE_TOTAL', ? + 1.5, now(), now(), 'AUTOMATIC', 'GOOD')`,
      [stuck, latest!.value],
    );
    const after = await watch.run();
    expect(after).toMatchObject({ stopped: 0, restarted: 1 });
    expect((await active(stuck, 'STOPPED_METER')).map((a) => a.status)).toEqual(['CLEARED']);
  });
});
