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
