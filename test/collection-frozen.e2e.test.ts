import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import simulator from '../src/collectors/builtin/simulator/index.js';
import { Ingestion } from '../src/collectors/ingestion/ingestion.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { CollectionRuntime } from '../src/collectors/runtime/runtime.js';
import { simulatedTargets } from '../src/collectors/runtime/simulated-targets.js';
import { dailySlot } from '../src/collectors/runtime/slots.js';
import { TaskPlanner } from '../src/collectors/runtime/task-planner.js';
import { PluginHost } from '../src/plugins/plugin-host.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';

const logger = createLogger('silent');
let server: TestServer;
let sql: SqlExecutor;
let host: PluginHost;
let areaId: number;
let areaMeters: number[];

// The server's own collection would race the planner under test: it looks only once an hour.
beforeAll(async () => {
  server = await startTestServer({ env: { COLLECTION_CYCLE_MS: '3600000' } });
  sql = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  host = new PluginHost(logger, { callTimeoutMs: 2000, installDir: process.cwd() });
  await host.load([{ kind: 'builtin', collector: simulator }]);
  const [area] = await sql.execute<{ id: number }>(`select id from org_unit where code = 'TA-TY-01'`, []);
  areaId = Number(area!.id);
  areaMeters = (
    await sql.execute<{ id: number }>(
      `select id from meter where org_unit_id = ? and protocol = 'SIMULATED' and status = 'INSTALLED' order by id`,
      [areaId],
    )
  ).map((r) => Number(r.id));
});
afterAll(async () => {
  await host?.stop();
  await server?.stop();
});

function collection(faultRate: number, maxAttemptsRetryBaseMs = 1) {
  const ingestion = new Ingestion(sql, logger, { journalDir: mkdtempSync(join(tmpdir(), 'mg-frozen-')) });
  const planner = new TaskPlanner(sql, simulatedTargets(sql, faultRate), {
    defaultTimeZone: 'Asia/Shanghai',
    retryBaseMs: maxAttemptsRetryBaseMs,
    retryCapMs: maxAttemptsRetryBaseMs,
    taskRetentionDays: 90,
  });
  const runtime = new CollectionRuntime(host, ingestion, planner, logger, { intervalMs: 60_000, concurrency: 4 });
  ingestion.start();
  return {
    async cycle() {
      const report = await runtime.runCycle();
      expect(await ingestion.drain()).toBe(true);
      return report;
    },
    stop: () => ingestion.stop(),
  };
}

const frozen = (slot: Date) =>
  sql.execute<{ meter_id: number; register: string; value: string }>(
    `select meter_id, register, value::text as value from reading
      where meter_id = any(?::int[]) and measured_at = ? order by meter_id, register`,
    [`{${areaMeters.join(',')}}`, slot],
  );

describe('daily frozen collection', () => {
  it("re-reads missing frozen values at the meters' own midnight and settles the day's task", async () => {
    const slot = dailySlot(new Date(), 'Asia/Shanghai');
    const seeded = await frozen(slot);
    expect(seeded.length).toBe(areaMeters.length * 5);
    // The area lost today's frozen values: collection must read them again, stamped at midnight.
    await sql.execute(`delete from reading where meter_id = any(?::int[]) and measured_at = ?`, [
      `{${areaMeters.join(',')}}`,
      slot,
    ]);
    const [schedule] = await sql.execute<{ id: number }>(
      `insert into collection_schedule (name, kind, org_unit_id, window_start, window_end, max_attempts)
       values ('TY-01 frozen', 'DAILY_FROZEN', ?, '00:00', '00:00', 3) returning id`,
      [areaId],
    );
    const run = collection(0);
    const report = await run.cycle();
    expect(report).toMatchObject({ meters: areaMeters.length, failed: 0, badValues: 0 });
    // The same values the meters froze then (the simulator's load curve), not the current ones.
    expect(await frozen(slot)).toEqual(seeded);
    const [task] = await sql.execute<any>(`select * from collection_task where schedule_id = ?`, [schedule!.id]);
    expect(task).toMatchObject({ kind: 'DAILY_FROZEN', status: 'RUNNING', meters: areaMeters.length });
    expect(new Date(task.slot).getTime()).toBe(slot.getTime());
    // Nothing is missing any more: the next cycle reads nothing and settles the task.
    expect((await run.cycle()).meters).toBe(0);
    const [settled] = await sql.execute<any>(`select * from collection_task where id = ?`, [task.id]);
    expect(settled).toMatchObject({ status: 'COMPLETED', succeeded: areaMeters.length, gave_up: 0 });
    await run.stop();
    await sql.execute(`delete from collection_schedule where id = ?`, [schedule!.id]);
  });

  it('waits for the reading window, then gives up on meters that do not answer', async () => {
    const slot = dailySlot(new Date(), 'Asia/Shanghai');
    await sql.execute(`delete from reading where meter_id = any(?::int[]) and measured_at = ?`, [
      `{${areaMeters.join(',')}}`,
      slot,
    ]);
    // A window that closed a minute ago and opens in a minute (local time).
    const local = new Date(Date.now() + 8 * 3_600_000);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const [closed] = await sql.execute<{ id: number }>(
      `insert into collection_schedule (name, kind, org_unit_id, window_start, window_end, max_attempts)
       values ('TY-01 later', 'DAILY_FROZEN', ?, ?, ?, 2) returning id`,
      [areaId, hhmm(new Date(local.getTime() + 60_000)), hhmm(new Date(local.getTime() - 60_000))],
    );
    const run = collection(1);
    expect((await run.cycle()).meters).toBe(0);
    // Open the window: every meter is read; with every read faulty some do not answer.
    await sql.execute(`update collection_schedule set window_start = '00:00', window_end = '00:00' where id = ?`, [
      closed!.id,
    ]);
    const first = await run.cycle();
    expect(first.meters).toBe(areaMeters.length);
    const [task] = await sql.execute<any>(`select * from collection_task where schedule_id = ?`, [closed!.id]);
    expect(task.retrying).toBeGreaterThan(0);
    expect(task.succeeded + task.retrying).toBe(areaMeters.length);
    // Faults last a minute: the second attempt fails as well and maxAttempts = 2 gives up.
    await new Promise((r) => setTimeout(r, 5));
    await run.cycle();
    const [after] = await sql.execute<any>(`select * from collection_task where id = ?`, [task.id]);
    const retries = await sql.execute<any>(
      `select status, attempts, last_error from collection_retry where task_id = ?`,
      [task.id],
    );
    if (new Date().getUTCMinutes() === new Date(task.started_at).getUTCMinutes()) {
      expect(after).toMatchObject({ retrying: 0, gave_up: task.retrying });
      expect(retries.every((r: any) => r.status === 'GAVE_UP' && r.attempts === 2)).toBe(true);
      expect(new Set(retries.map((r: any) => r.last_error))).toEqual(new Set(['simulated meter did not answer']));
    } else {
      // The minute turned between the attempts: the faults moved on, so some meters recovered.
      expect(after.retrying).toBe(0);
      expect(after.succeeded + after.gave_up).toBe(areaMeters.length);
    }
    await run.stop();
  });
});
