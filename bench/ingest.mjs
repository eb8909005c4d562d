// `npm run bench:ingest`: readings per second through the whole ingestion pipeline (validation,
// fsynced journal, first-line checks, batched INSERT ... ON CONFLICT DO NOTHING) into PostgreSQL,
// against a raw COPY of the same rows into the same table, in the same run.
//
// Environment (all optional):
//   BENCH_METERS=10000      meters                      BENCH_INTERVALS=50  15-minute values per meter
//   BENCH_BATCH=5000        readings per submit() call  BENCH_PG_URL=postgres://postgres@127.0.0.1:5432
//   BENCH_SKIP_BUILD=1      use dist/ as it is
//   BENCH_WRITE_BATCH, BENCH_PARALLEL_WRITES   ingestion's rows per INSERT and INSERTs in flight (its defaults)
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import {
  BENCH_SECRETS,
  benchDatabase,
  benchLog,
  compile,
  machineLine,
  postgresVersion,
  query,
  recreateDatabase,
  ROOT,
  writeResults,
} from './lib.mjs';

const db = benchDatabase({ BENCH_PG_URL: process.env.BENCH_PG_URL, BENCH_DB: 'mg_bench_ingest' });
const settings = {
  meters: Number(process.env.BENCH_METERS ?? 10_000),
  intervals: Number(process.env.BENCH_INTERVALS ?? 50),
  batch: Number(process.env.BENCH_BATCH ?? 5000),
  // Ingestion's own settings (its defaults unless set): rows per INSERT and INSERTs in flight.
  writeBatch: process.env.BENCH_WRITE_BATCH ? Number(process.env.BENCH_WRITE_BATCH) : undefined,
  parallelWrites: process.env.BENCH_PARALLEL_WRITES ? Number(process.env.BENCH_PARALLEL_WRITES) : undefined,
  pgUrl: db.server,
  db: db.name,
};
const log = benchLog('ingest');

compile(log);
const { loadConfig } = await import(join(ROOT, 'dist/src/config/config.js'));
const { createLogger } = await import(join(ROOT, 'dist/src/shared/logger.js'));
const { migrate, openDatabase } = await import(join(ROOT, 'dist/src/orm/orm.js'));
const { Ingestion, IngestionBusyError } = await import(join(ROOT, 'dist/src/collectors/ingestion/ingestion.js'));

log(`creating ${settings.db} with ${settings.meters} meters`);
await recreateDatabase(db);
const config = loadConfig({
  DATABASE_URL: db.url,
  ...BENCH_SECRETS,
  NODE_ENV: 'production',
  DATABASE_POOL_MAX: '4',
  LOG_LEVEL: 'silent',
});
const database = await openDatabase(config, createLogger('silent'));
await migrate(database);
await query(
  db.url,
  `insert into org_unit (id, kind, code, name, path) values (1, 'TRANSFORMER_AREA', 'BENCH', 'Bench area', '/1/')`,
);
await query(
  db.url,
  `insert into meter (id, asset_no, barcode, comm_address, protocol, manufacturer, model, accuracy_class, status, installed_at, org_unit_id)
   select i, 'B' || i, 'BC' || i, lpad(i::text, 12, '0'), 'SIMULATED', 'x', 'y', '1.0', 'INSTALLED', '2025-01-01', 1
     from generate_series(1, $1) as i`,
  [settings.meters],
);

// The same rows for both: meter by meter, interval by interval, register values rising.
const end = Math.floor((Date.now() - 3600_000) / 900_000) * 900_000;
const start = end - settings.intervals * 900_000;
function* rows() {
  for (let i = 0; i < settings.intervals; i++) {
    const at = new Date(start + i * 900_000).toISOString();
    for (let m = 1; m <= settings.meters; m++)
      yield {
        meterId: m,
        register: 'FORWARD_ACTIVE_TOTAL',
        value: (1000 + m + i * 0.25).toFixed(2),
        measuredAt: at,
        source: 'AUTOMATIC',
      };
  }
}
const total = settings.meters * settings.intervals;
const count = async () => Number((await query(db.url, 'select count(*) as n from reading')).rows[0].n);

// 1. Raw COPY of the rows, one stream, no checks.
log(`raw COPY of ${total} rows`);
const copyClient = new pg.Client({ connectionString: db.url });
await copyClient.connect();
let t = process.hrtime.bigint();
await pipeline(
  Readable.from(
    (function* () {
      let chunk = '';
      for (const r of rows()) {
        chunk += `${r.meterId}\t${r.register}\t${r.value}\t${r.measuredAt}\t${r.measuredAt}\t${r.source}\tGOOD\t0\n`;
        if (chunk.length > 1 << 20) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    })(),
  ),
  copyClient.query(
    copyStreams.from(
      'copy reading (meter_id, register, value, measured_at, received_at, source, quality, flags) from stdin',
    ),
  ),
);
const copySeconds = Number(process.hrtime.bigint() - t) / 1e9;
await copyClient.end();
const copied = await count();
await query(db.url, 'truncate reading');

// 2. The pipeline: submit() in batches (waiting when it pushes back), then drain.
log(`pipeline with batches of ${settings.batch}`);
const sql = { execute: (text, params) => database.orm.em.getConnection().execute(text, params) };
const journalDir = mkdtempSync(join(os.tmpdir(), 'mg-bench-journal-'));
let written = 0;
const ingestion = new Ingestion(sql, createLogger('silent'), {
  journalDir,
  ...(settings.writeBatch ? { batchSize: settings.writeBatch } : {}),
  ...(settings.parallelWrites ? { parallelWrites: settings.parallelWrites } : {}),
  onWritten: (r) => (written += r.length),
});
ingestion.start();
t = process.hrtime.bigint();
let batch = [];
let refused = 0;
const submit = async (readings) => {
  for (;;) {
    try {
      ingestion.submit(readings);
      return;
    } catch (error) {
      if (!(error instanceof IngestionBusyError)) throw error;
      refused++;
      await sleep(5);
    }
  }
};
for (const r of rows()) {
  batch.push(r);
  if (batch.length === settings.batch) {
    await submit(batch);
    batch = [];
  }
}
if (batch.length) await submit(batch);
const acceptSeconds = Number(process.hrtime.bigint() - t) / 1e9;
await ingestion.drain(600_000);
const pipelineSeconds = Number(process.hrtime.bigint() - t) / 1e9;
const stored = await count();

// 3. Replay everything: nothing new may be stored.
t = process.hrtime.bigint();
written = 0;
batch = [];
for (const r of rows()) {
  batch.push(r);
  if (batch.length === settings.batch) {
    await submit(batch);
    batch = [];
  }
}
await ingestion.drain(600_000);
const replaySeconds = Number(process.hrtime.bigint() - t) / 1e9;
const afterReplay = await count();
await ingestion.stop();
await database.close();

const rate = (n, s) => Math.round(n / s);
const result = {
  when: new Date().toISOString(),
  settings,
  machine: {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: await postgresVersion(db.adminUrl),
  },
  rows: total,
  copy: { seconds: copySeconds, rowsPerSecond: rate(copied, copySeconds), stored: copied },
  pipeline: {
    seconds: pipelineSeconds,
    acceptSeconds,
    rowsPerSecond: rate(stored, pipelineSeconds),
    stored,
    backpressureWaits: refused,
  },
  replay: {
    seconds: replaySeconds,
    rowsPerSecond: rate(total, replaySeconds),
    newRows: afterReplay - stored,
    eventsPublished: written,
  },
};
const file = writeResults('ingest', result.when, result);
console.log(`
Ingestion of ${total} readings (${settings.meters} meters x ${settings.intervals} intervals); ${machineLine(result.machine)}

| Path | seconds | readings/s | stored |
| --- | ---: | ---: | ---: |
| raw COPY (no checks) | ${copySeconds.toFixed(2)} | ${result.copy.rowsPerSecond} | ${copied} |
| pipeline: submit -> journal -> checks -> INSERT ... ON CONFLICT | ${pipelineSeconds.toFixed(2)} | ${result.pipeline.rowsPerSecond} | ${stored} |
| replay of the same rows (all duplicates) | ${replaySeconds.toFixed(2)} | ${result.replay.rowsPerSecond} | +${result.replay.newRows} |

Pipeline / COPY: ${(result.pipeline.rowsPerSecond / result.copy.rowsPerSecond).toFixed(2)}
`);
log(`results written to ${file}`);
if (stored !== total || afterReplay !== stored) {
  console.error('row counts do not match: the pipeline lost or duplicated readings');
  process.exitCode = 1;
}
