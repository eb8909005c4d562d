import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import { MeterEvents } from '../src/collectors/alarms/meter-events.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';

const logger = createLogger('silent');
let server: TestServer;
let sql: SqlExecutor;
let store: MeterEvents;
let meter: { id: number; installed_at: Date };
let manager: string;

beforeAll(async () => {
  server = await startTestServer();
  sql = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  store = new MeterEvents(sql, new AlarmRaiser(sql, server.app.events, logger), logger);
  const [row] = await sql.execute<{ id: number; installed_at: Date }>(
    `select m.id, m.installed_at from meter m join org_unit o on o.id = m.org_unit_id
      where o.code = 'TA-YJ-01' and m.protocol = 'SIMULATED' order by m.id limit 1`,
    [],
  );
  meter = { id: Number(row!.id), installed_at: new Date(row!.installed_at) };
  manager = await server.login('manager1');
});
afterAll(async () => server?.stop());

const alarmsOf = (meterId: number) =>
  sql.execute<{ type: string; status: string; count: number; first_at: Date; cleared_at: Date | null }>(
    `select type, status, count, first_at, cleared_at from alarm where meter_id = ? order by id`,
    [meterId],
  );

describe('meter event records', () => {
  it("keeps the server's relay commands as events without moving where the meter's own records are read from", async () => {
    const [row] = await sql.execute<{ id: number }>(
      `select m.id from meter m join org_unit o on o.id = m.org_unit_id
        where o.code = 'TA-YJ-02' and m.protocol = 'SIMULATED' order by m.id limit 1`,
      [],
    );
    const other = Number(row!.id);
    const powerAt = new Date(Date.now() - 2 * 3_600_000);
    const writer = new MeterEvents(sql, new AlarmRaiser(sql, server.app.events, logger), logger);
    await writer.record(other, [
      { type: 'POWER_OFF', occurredAt: powerAt, endedAt: new Date(powerAt.getTime() + 60_000) },
    ]);
    await writer.recordCommand(other, 'RELAY_TRIPPED', { command: 'TRIP', status: 'DONE', requestedBy: 1 });
    // A fresh store (a restarted server) reads the position from the table.
    const fresh = new MeterEvents(sql, new AlarmRaiser(sql, server.app.events, logger), logger);
    expect((await fresh.since(other))?.getTime()).toBe(powerAt.getTime());
    expect((await writer.since(other))?.getTime()).toBe(powerAt.getTime());
    const stored = await sql.execute<{ type: string; detail: unknown }>(
      `select type, detail from meter_event where meter_id = ? order by occurred_at`,
      [other],
    );
    expect(stored.map((e) => e.type)).toEqual(['POWER_OFF', 'RELAY_TRIPPED']);
    const detail = typeof stored[1]!.detail === 'string' ? JSON.parse(stored[1]!.detail) : stored[1]!.detail;
    expect(detail).toEqual({ command: 'TRIP', status: 'DONE', requestedBy: 1 });
    expect((await alarmsOf(other)).map((a) => a.type)).toEqual(['POWER_OFF']);
  });

  it('stores each record once, raises an alarm per new one, clears what ended and drops impossible dates', async () => {
    const now = new Date();
    const coverAt = new Date(now.getTime() - 3 * 3_600_000);
    const powerAt = new Date(now.getTime() - 2 * 3_600_000);
    const powerBack = new Date(powerAt.getTime() + 12 * 60_000);
    expect(await store.since(meter.id)).toBeUndefined();
    const first = await store.record(meter.id, [
      { type: 'METER_COVER_OPEN', occurredAt: coverAt },
      { type: 'POWER_OFF', occurredAt: powerAt, endedAt: powerBack },
      { type: 'POWER_OFF', occurredAt: new Date(now.getTime() + 3_600_000) },
      { type: 'METER_COVER_OPEN', occurredAt: new Date(meter.installed_at.getTime() - 86_400_000) },
    ]);
    expect(first.stored).toBe(2);
    expect(first.dropped.map((d) => d.reason)).toEqual(['dated in the future', 'dated before the meter was installed']);
    const alarms = await alarmsOf(meter.id);
    expect(alarms.map((a) => [a.type, a.status, a.count])).toEqual([
      ['METER_COVER_OPEN', 'OPEN', 1],
      ['POWER_OFF', 'CLEARED', 1],
    ]);
    expect(new Date(alarms[0]!.first_at).getTime()).toBe(coverAt.getTime());
    expect(new Date(alarms[1]!.cleared_at!).getTime()).toBe(powerBack.getTime());
    expect((await store.since(meter.id))?.getTime()).toBe(powerAt.getTime());

    // The meter hands out the same records again (its log still holds them): nothing changes.
    const again = await store.record(meter.id, [
      { type: 'METER_COVER_OPEN', occurredAt: coverAt },
      { type: 'POWER_OFF', occurredAt: powerAt, endedAt: powerBack },
    ]);
    expect(again.stored).toBe(0);
    expect((await alarmsOf(meter.id)).map((a) => [a.type, a.status, a.count])).toEqual([
      ['METER_COVER_OPEN', 'OPEN', 1],
      ['POWER_OFF', 'CLEARED', 1],
    ]);
  });

  it('keeps asking for an ongoing power-off until the meter records its end, then clears the alarm', async () => {
    const off = new Date(Date.now() - 30 * 60_000);
    expect((await store.record(meter.id, [{ type: 'POWER_OFF', occurredAt: off }])).stored).toBe(1);
    const open = (await alarmsOf(meter.id)).filter((a) => a.type === 'POWER_OFF').at(-1)!;
    expect(open.status).toBe('OPEN');
    // Just before the ongoing one, so that the plugin hands it out again with its end.
    expect((await store.since(meter.id))?.getTime()).toBe(off.getTime() - 1);
    const back = new Date(off.getTime() + 20 * 60_000);
    const ended = await store.record(meter.id, [{ type: 'POWER_OFF', occurredAt: off, endedAt: back }]);
    expect(ended.stored).toBe(0);
    const cleared = (await alarmsOf(meter.id)).filter((a) => a.type === 'POWER_OFF').at(-1)!;
    expect(cleared.status).toBe('CLEARED');
    expect(new Date(cleared.cleared_at!).getTime()).toBe(back.getTime());
    expect((await store.since(meter.id))?.getTime()).toBe(off.getTime());
  });

  it('shows the records on the meter, newest first, in the meter readers scope only', async () => {
    const gid = Buffer.from(`Meter:${meter.id}`).toString('base64url');
    const res = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { events(first: 5) { totalCount nodes { type occurredAt endedAt } } } }`,
      { m: gid },
      manager,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.meter.events.totalCount).toBe(3);
    expect(res.data.meter.events.nodes.map((e: any) => [e.type, Boolean(e.endedAt)])).toEqual([
      ['POWER_OFF', true],
      ['POWER_OFF', true],
      ['METER_COVER_OPEN', false],
    ]);
    const other = await server.login('manager2');
    const hidden = await server.gql<any>(
      `query($m: ID!) { meter(id: $m) { events { totalCount } } }`,
      { m: gid },
      other,
    );
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
