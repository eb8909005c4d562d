import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ingestion } from '../src/collectors/ingestion/ingestion.js';
import type { IncomingReading, SqlExecutor, WrittenReading } from '../src/collectors/ingestion/readings.js';
import { loadConfig } from '../src/config/config.js';
import { migrate, openDatabase } from '../src/orm/orm.js';
import { createLogger } from '../src/shared/logger.js';
import { startTestServer, type TestServer } from './harness.js';
import { startTempPostgres, tempPostgresAvailable } from './support/temp-postgres.js';

const logger = createLogger('silent');
const journal = () => mkdtempSync(join(tmpdir(), 'mg-journal-'));
const executor = (em: EntityManager): SqlExecutor => ({
  execute: (sql, params) => em.getConnection().execute(sql, params),
});

function series(meterId: number, start: Date, count: number, from = 5000, stepKwh = 0.25): IncomingReading[] {
  return Array.from({ length: count }, (_, i) => ({
    meterId,
    register: 'FORWARD_ACTIVE_TOTAL' as const,
    value: (from + i * stepKwh).toFixed(2),
    measuredAt: new Date(start.getTime() + i * 15 * 60_000).toISOString(),
    source: 'AUTOMATIC' as const,
  }));
}

describe('ingestion into the database of a running server', () => {
  let server: TestServer;
  let meterId: number;
  beforeAll(async () => {
    server = await startTestServer();
    const row = await server
      .em()
      .getConnection()
      .execute(`select id from meter where protocol = 'SIMULATED' and status = 'INSTALLED' order by id limit 1`);
    meterId = Number(row[0].id);
  });
  afterAll(async () => server?.stop());

  const count = async (id: number) =>
    Number(
      (
        await server
          .em()
          .getConnection()
          .execute(`select count(*) as n from reading where meter_id = ? and measured_at > now() - interval '2 days'`, [
            id,
          ])
      )[0].n,
    );

  it('writes in batches, checks each value and ignores replays', async () => {
    const written: WrittenReading[] = [];
    const dropped: string[] = [];
    const ingestion = new Ingestion(executor(server.em()), logger, {
      journalDir: journal(),
      batchSize: 50,
      onWritten: (rows) => written.push(...rows),
      onDropped: (rows) => dropped.push(...rows.map((r) => r.reason)),
    });
    ingestion.start();
    const start = new Date(Date.now() - 36 * 3600_000);
    // Continue from the meter's demo register so that the first value is not a decrease.
    const last = await server
      .em()
      .getConnection()
      .execute(
        `select value from reading where meter_id = ? and register = 'FORWARD_ACTIVE_TOTAL' order by measured_at desc limit 1`,
        [meterId],
      );
    const from = Number(last[0].value) + 1;
    const readings = series(meterId, start, 120, from);
    readings[60] = { ...readings[60]!, value: (from - 100).toFixed(2) }; // a decrease
    const bad = { ...readings[0]!, value: '12.345678' };
    const future = { ...readings[0]!, measuredAt: new Date(Date.now() + 3600_000).toISOString() };
    const unknown = { ...readings[1]!, meterId: 999_999 };
    const result = ingestion.submit([...readings, bad, future, unknown]);
    expect(result.accepted).toBe(122);
    expect(result.rejected.map((r) => r.reason)).toEqual([
      'value: must be a non-negative decimal with at most 4 decimals',
    ]);
    expect(await ingestion.drain()).toBe(true);
    expect(written).toHaveLength(120);
    expect(written.filter((w) => w.quality === 'SUSPECT').map((w) => w.flags)).toEqual([1]);
    expect(dropped.sort()).toEqual(['measured in the future', 'unknown meter']);
    const before = await count(meterId);

    written.length = 0;
    ingestion.submit(readings);
    expect(await ingestion.drain()).toBe(true);
    expect(written).toEqual([]);
    expect(await count(meterId)).toBe(before);
    await ingestion.stop();
  });

  it('keeps accepted readings on disk while the database cannot be reached, and writes them after a restart', async () => {
    const dir = journal();
    const down: SqlExecutor = { execute: () => Promise.reject(new Error('connection refused')) };
    const first = new Ingestion(down, logger, { journalDir: dir, maxRetryDelayMs: 50 });
    first.start();
    const other = meterId + 1;
    const readings = series(other, new Date(Date.now() - 30 * 3600_000), 40, 90_000);
    expect(first.submit(readings).accepted).toBe(40);
    await new Promise((r) => setTimeout(r, 200));
    expect(first.backlog).toBe(40);
    await first.stop(); // as if the process died: nothing was written
    expect(readdirSync(dir).length).toBeGreaterThan(0);

    const second = new Ingestion(executor(server.em()), logger, { journalDir: dir });
    second.start();
    expect(await second.drain()).toBe(true);
    await second.stop();
    expect(await count(other)).toBeGreaterThanOrEqual(40);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses more than its backlog limit instead of growing without bound', async () => {
    const down: SqlExecutor = { execute: () => Promise.reject(new Error('down')) };
    const ingestion = new Ingestion(down, logger, { journalDir: journal(), maxPending: 100, maxRetryDelayMs: 50 });
    ingestion.start();
    ingestion.submit(series(meterId, new Date(), 100));
    expect(() => ingestion.submit(series(meterId, new Date(), 1))).toThrow(/backlog full/);
    await ingestion.stop();
  });
});

describe.skipIf(!tempPostgresAvailable())('PostgreSQL stopped mid-ingestion', () => {
  it('loses nothing and duplicates nothing', async () => {
    const pg = await startTempPostgres();
    const config = loadConfig({
      DATABASE_URL: pg.url,
      JWT_SECRET: 'x'.repeat(40),
      AUDIT_KEY: 'a'.repeat(40),
      NODE_ENV: 'test',
      DATABASE_POOL_MAX: '2',
    });
    const db = await openDatabase(config, logger);
    try {
      await migrate(db);
      const conn = db.orm.em.getConnection();
      await conn.execute(
        `insert into org_unit (id, kind, code, name, path) values (1, 'TRANSFORMER_AREA', 'A', 'Area', '/1/')`,
      );
      await conn.execute(
        `insert into meter (id, asset_no, barcode, comm_address, protocol, manufacturer, model, accuracy_class, status, installed_at, org_unit_id)
         values (1, 'M1', 'B1', '000000000001', 'SIMULATED', 'x', 'y', '1.0', 'INSTALLED', now() - interval '10 days', 1)`,
      );
      const ingestion = new Ingestion(executor(db.orm.em.fork() as EntityManager), logger, {
        journalDir: journal(),
        batchSize: 100,
        maxRetryDelayMs: 200,
      });
      ingestion.start();
      const readings = series(1, new Date(Date.now() - 5 * 86_400_000), 400, 100);
      ingestion.submit(readings.slice(0, 200));
      expect(await ingestion.drain()).toBe(true);

      pg.stop();
      // Accepted while the database is down: journalled, waiting.
      expect(ingestion.submit(readings.slice(200)).accepted).toBe(200);
      await new Promise((r) => setTimeout(r, 600));
      expect(ingestion.backlog).toBe(200);
      pg.start();
      expect(await ingestion.drain(30_000)).toBe(true);

      // Everything again: nothing new.
      ingestion.submit(readings);
      expect(await ingestion.drain()).toBe(true);
      await ingestion.stop();
      const rows = await db.orm.em
        .getConnection()
        .execute(`select count(*) as n, count(distinct measured_at) as d from reading where meter_id = 1`);
      expect(Number(rows[0].n)).toBe(400);
      expect(Number(rows[0].d)).toBe(400);
    } finally {
      await db.close();
      try {
        pg.stop();
      } catch {
        /* already stopped */
      }
    }
  }, 120_000);
});
