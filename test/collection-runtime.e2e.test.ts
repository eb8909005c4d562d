import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import simulator from '../src/collectors/builtin/simulator/index.js';
import { Ingestion } from '../src/collectors/ingestion/ingestion.js';
import type { SqlExecutor, WrittenReading } from '../src/collectors/ingestion/readings.js';
import {
  CollectionRuntime,
  type CollectionTarget,
  type CycleReport,
  type Planner,
} from '../src/collectors/runtime/runtime.js';
import { simulatedTargets } from '../src/collectors/runtime/simulated-targets.js';
import { TaskPlanner } from '../src/collectors/runtime/task-planner.js';
import { toGlobalId } from '../src/shared/global-id.js';
import { PluginHost } from '../src/plugins/plugin-host.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';

const logger = createLogger('silent');
let server: TestServer;
let sql: SqlExecutor;
let host: PluginHost;

beforeAll(async () => {
  server = await startTestServer();
  sql = { execute: (text, params) => server.em().getConnection().execute(text, params) };
  host = new PluginHost(logger, { callTimeoutMs: 2000, installDir: process.cwd() });
  await host.load([{ kind: 'builtin', collector: simulator }]);
});
/** A planner without schedules: every target, every cycle (the runtime alone is under test here). */
const everyMeter = (targets: () => Promise<CollectionTarget[]>): Planner => ({
  due: async () => (await targets()).map((target) => ({ target })),
  record: async () => {},
});

afterAll(async () => {
  await host?.stop();
  await server?.stop();
});

describe('collection of simulated meters through the plugin host into ingestion', () => {
  it('reads every simulated meter, continuing the seeded history without a single suspect value', async () => {
    const written: WrittenReading[] = [];
    const ingestion = new Ingestion(sql, logger, {
      journalDir: mkdtempSync(join(tmpdir(), 'mg-rt-')),
      onWritten: (rows) => written.push(...rows),
    });
    ingestion.start();
    const reports: CycleReport[] = [];
    const runtime = new CollectionRuntime(host, ingestion, everyMeter(simulatedTargets(sql, 0)), logger, {
      intervalMs: 60_000,
      concurrency: 4,
      onCycle: (r) => reports.push(r),
    });
    const report = await runtime.runCycle();
    expect(await ingestion.drain()).toBe(true);
    await ingestion.stop();
    expect(report).toEqual({ meters: 300, succeeded: 300, failed: 0, values: 1500, badValues: 0 });
    expect(written).toHaveLength(1500);
    expect(written.filter((w) => w.quality !== 'GOOD')).toEqual([]);
    expect(reports).toEqual([report]);
  });

  it('turns simulated faults into bad values and suspect readings', async () => {
    const ingestion = new Ingestion(sql, logger, { journalDir: mkdtempSync(join(tmpdir(), 'mg-rt-')) });
    ingestion.start();
    const bad: string[] = [];
    const runtime = new CollectionRuntime(host, ingestion, everyMeter(simulatedTargets(sql, 1)), logger, {
      intervalMs: 60_000,
      onBadValue: (_m, v) => bad.push(v.reason!),
    });
    const report = await runtime.runCycle();
    expect(await ingestion.drain()).toBe(true);
    await ingestion.stop();
    // With every read faulty: some meters do not answer, the others report decreases or jumps.
    expect(report.badValues).toBeGreaterThan(0);
    expect(new Set(bad)).toEqual(new Set(['simulated meter did not answer']));
    const suspect = await sql.execute<{ n: string }>(`select count(*) as n from reading where quality = 'SUSPECT'`, []);
    expect(Number(suspect[0]!.n)).toBeGreaterThan(0);
  });
});

describe('a permanent failure (SDK error kinds)', () => {
  it('gives up at once whatever maxAttempts allows, and the API says why', async () => {
    const [unit] = await sql.execute<{ id: number }>(`select id from org_unit order by length(path), id limit 1`, []);
    // A disabled schedule: the server's own runtime leaves it alone while this test books its task.
    const [schedule] = await sql.execute<{ id: number }>(
      `insert into collection_schedule (name, kind, org_unit_id, max_attempts, enabled)
       values ('permanent failures', 'INTERVAL', ?, 4, false) returning id`,
      [unit!.id],
    );
    const [task] = await sql.execute<{ id: string | number }>(
      `insert into collection_task (schedule_id, kind, slot, org_unit_id, meters) values (?, 'INTERVAL', now(), ?, 2) returning id`,
      [schedule!.id, unit!.id],
    );
    const targets = (await simulatedTargets(sql, 0)()).slice(0, 2);
    const planner = new TaskPlanner(sql, async () => targets, {
      defaultTimeZone: 'Asia/Shanghai',
      retryBaseMs: 60_000,
      retryCapMs: 600_000,
      taskRetentionDays: 30,
    });
    const taskId = String(task!.id);
    await planner.record(
      [
        {
          job: { target: targets[0]!, taskId },
          ok: false,
          error: 'misconfigured: /dev/ttyUSB0 is open at 9600 baud 8E1 for another meter',
          permanent: true,
        },
        { job: { target: targets[1]!, taskId }, ok: false, error: 'connection refused' },
      ],
      new Date(),
    );
    const token = await server.login('admin');
    const res = await server.gql<any>(
      `query($id: ID!) { collectionTask(id: $id) { status retrying gaveUp
         retries { nodes { status attempts nextAttemptAt lastError meter { id } } } } }`,
      { id: toGlobalId('CollectionTask', taskId) },
      token,
    );
    expect(res.errors).toBeUndefined();
    const byMeter = Object.fromEntries(
      res.data.collectionTask.retries.nodes.map((r: any) => [r.meter.id, { ...r, meter: undefined }]),
    );
    expect(res.data.collectionTask).toMatchObject({ status: 'RETRYING', retrying: 1, gaveUp: 1 });
    expect(byMeter[toGlobalId('Meter', targets[0]!.meterId)]).toEqual({
      status: 'GAVE_UP',
      attempts: 1,
      nextAttemptAt: null,
      lastError: 'misconfigured: /dev/ttyUSB0 is open at 9600 baud 8E1 for another meter',
    });
    expect(byMeter[toGlobalId('Meter', targets[1]!.meterId)]).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastError: 'connection refused',
    });
  });
});
