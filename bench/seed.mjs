// Seeds the benchmark database (default mg_bench) with a fixed, reproducible data set:
//   1 bureau, 10 supply stations, 400 transformer areas (40 per station),
//   100,000 meters (250 per transformer area, 6 per meter box: 16,800 boxes),
//   one customer + service point + open meter assignment per meter,
//   3 daily FORWARD_ACTIVE_TOTAL readings per meter (300,000 rows).
//
// The database is dropped and recreated, migrated with the compiled migrate CLI (dist/ must exist:
// `npx tsc -p tsconfig.build.json`), then filled with INSERT ... SELECT generate_series statements.
// Ids are explicit, so every run produces the same rows. Other benches pass their own layout (fewer
// meters per area, no readings) and add their rows in the same transaction (bench/settlement.mjs).
//
//   node bench/seed.mjs           (re)seed
//   node bench/seed.mjs --check   exit 0 when the database is already seeded with this layout
//
// Environment: BENCH_PG_URL (server URL without database, default postgres://postgres@127.0.0.1:5432),
// BENCH_DB (default mg_bench).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_SECRETS,
  benchDatabase,
  databaseComment,
  recreateDatabase,
  ROOT,
  setDatabaseComment,
  withClient,
} from './lib.mjs';

export const LAYOUT = {
  stations: 10,
  areasPerStation: 40,
  metersPerArea: 250,
  metersPerBox: 6,
  readingsPerMeter: 3,
};

/** The layout's derived sizes: transformer areas, meters, boxes per area. */
function sizes(layout) {
  const areas = layout.stations * layout.areasPerStation;
  return {
    areas,
    meters: areas * layout.metersPerArea,
    boxesPerArea: Math.ceil(layout.metersPerArea / layout.metersPerBox),
  };
}

/** Written as the database comment; a database with another marker is reseeded. */
export function seedMarker(layout = LAYOUT) {
  const { meters, areas } = sizes(layout);
  return `metergraph bench seed v1: ${meters} meters, ${areas} areas, ${layout.readingsPerMeter} readings/meter`;
}
export const SEED_MARKER = seedMarker(LAYOUT);

/** True when the database exists, carries the current marker and holds the expected row counts. */
export async function isSeeded(db = benchDatabase(), layout = LAYOUT) {
  if ((await databaseComment(db)) !== seedMarker(layout)) return false;
  const { meters } = sizes(layout);
  return withClient(db.url, async (c) => {
    const r = await c.query(
      `select (select count(*) from meter)::int as meters, (select count(*) from reading)::int as readings,
              (select count(*) from meter_assignment where removed_at is null)::int as assignments`,
    );
    const row = r.rows[0];
    return row.meters === meters && row.readings === meters * layout.readingsPerMeter && row.assignments === meters;
  }).catch(() => false);
}

function migrate(db) {
  const result = spawnSync(process.execPath, ['dist/src/orm/migrate-cli.js'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      // Set so that the CLI does not write development secrets into DATA_DIR.
      ...BENCH_SECRETS,
      LOG_LEVEL: 'warn',
    },
  });
  if (result.status !== 0) throw new Error(`migrations failed (exit ${result.status})`);
}

/** The statements that fill a migrated database with `layout`'s rows. */
function statements(layout) {
  const { areas: AREAS, meters: METERS, boxesPerArea: BOXES_PER_AREA } = sizes(layout);
  return [
    // Root company, as the server's first start would create it (the server finds it by parent_id null).
    `insert into org_unit (id, kind, code, name, parent_id, path)
   values (1, 'COMPANY', 'ROOT', 'Power Supply Company', null, '/1/')`,
    `insert into org_unit (id, kind, code, name, parent_id, path)
   values (2, 'BUREAU', 'BENCH-B01', 'Bench Bureau', 1, '/1/2/')`,
    // Supply stations: ids 3 .. 3+stations-1.
    `insert into org_unit (id, kind, code, name, parent_id, path)
   select 3 + s, 'SUPPLY_STATION', 'BENCH-S' || lpad((s + 1)::text, 2, '0'), 'Supply Station ' || (s + 1), 2,
          '/1/2/' || (3 + s) || '/'
   from generate_series(0, ${layout.stations - 1}) s`,
    // Transformer areas: ids 3+stations .. ; area t belongs to station t / areasPerStation.
    `insert into org_unit (id, kind, code, name, parent_id, path)
   select ${3 + layout.stations} + t, 'TRANSFORMER_AREA', 'BENCH-T' || lpad((t + 1)::text, 3, '0'),
          'Transformer Area ' || (t + 1), 3 + t / ${layout.areasPerStation},
          '/1/2/' || (3 + t / ${layout.areasPerStation}) || '/' || (${3 + layout.stations} + t) || '/'
   from generate_series(0, ${AREAS - 1}) t`,
    // Meter boxes: ${BOXES_PER_AREA} per area, id = t * ${BOXES_PER_AREA} + b + 1.
    `insert into meter_box (id, barcode, address, latitude, longitude, org_unit_id)
   select t * ${BOXES_PER_AREA} + b + 1, 'BOX' || lpad((t * ${BOXES_PER_AREA} + b + 1)::text, 7, '0'),
          'Area ' || (t + 1) || ', box ' || (b + 1),
          (30 + t * 0.001)::numeric(9,6), (120 + b * 0.001)::numeric(9,6), ${3 + layout.stations} + t
   from generate_series(0, ${AREAS - 1}) t, generate_series(0, ${BOXES_PER_AREA - 1}) b`,
    // Meters: id = n + 1; area t = n / metersPerArea; box from the position inside the area.
    `insert into meter (id, asset_no, barcode, comm_address, protocol, manufacturer, model, accuracy_class, status,
                      installed_at, next_verification_date, meter_box_id, org_unit_id)
   select n + 1, 'AS' || lpad((n + 1)::text, 10, '0'), 'MB' || lpad((n + 1)::text, 10, '0'),
          lpad((n + 1)::text, 12, '0'), 'DLT645_2007', 'Bench Meters Co.', 'DDZY-BENCH', '2.0', 'INSTALLED',
          timestamptz '2024-01-01 00:00:00+00', date '2032-01-01',
          (n / ${layout.metersPerArea}) * ${BOXES_PER_AREA} + (n % ${layout.metersPerArea}) / ${layout.metersPerBox} + 1,
          ${3 + layout.stations} + n / ${layout.metersPerArea}
   from generate_series(0, ${METERS - 1}) n`,
    `insert into customer (id, account_no, name, category, address, contracted_capacity, org_unit_id)
   select n + 1, lpad((n + 1)::text, 12, '0'), 'Customer ' || (n + 1), 'RESIDENTIAL',
          'Area ' || (n / ${layout.metersPerArea} + 1) || ', house ' || (n % ${layout.metersPerArea} + 1),
          8.00, ${3 + layout.stations} + n / ${layout.metersPerArea}
   from generate_series(0, ${METERS - 1}) n`,
    `insert into service_point (id, code, customer_id, meter_box_id)
   select n + 1, 'SP' || lpad((n + 1)::text, 10, '0'), n + 1,
          (n / ${layout.metersPerArea}) * ${BOXES_PER_AREA} + (n % ${layout.metersPerArea}) / ${layout.metersPerBox} + 1
   from generate_series(0, ${METERS - 1}) n`,
    `insert into meter_assignment (id, service_point_id, meter_id, installed_at, initial_reading)
   select n + 1, n + 1, n + 1, timestamptz '2024-01-01 00:00:00+00', 0
   from generate_series(0, ${METERS - 1}) n`,
    // Daily readings at local midnight (Asia/Shanghai), the newest on 2026-11-03.
    `insert into reading (meter_id, register, value, measured_at, received_at, source, quality)
   select n + 1, 'FORWARD_ACTIVE_TOTAL', (1000 + (n % 500) + d * 12.5)::numeric(20,4),
          timestamptz '2026-11-01 00:00:00+08' + d * interval '1 day',
          timestamptz '2026-11-01 00:05:00+08' + d * interval '1 day', 'AUTOMATIC', 'GOOD'
   from generate_series(0, ${METERS - 1}) n, generate_series(0, ${layout.readingsPerMeter - 1}) d
   order by 1, 4`,
    ...['org_unit', 'meter_box', 'meter', 'customer', 'service_point', 'meter_assignment', 'reading'].map(
      (t) => `select setval(pg_get_serial_sequence('${t}', 'id'), (select max(id) from ${t}))`,
    ),
  ];
}

/**
 * Drops and recreates the database, migrates it and inserts `layout`'s rows in one transaction;
 * `more(client, log)`, when given, adds a bench's own rows in the same transaction, and `marker`
 * replaces the database comment written at the end. Then VACUUM ANALYZE.
 */
export async function seed(db = benchDatabase(), log = console.log, { layout = LAYOUT, more, marker } = {}) {
  const started = Date.now();
  await recreateDatabase(db);
  log(`seed: created database ${db.name}, applying migrations`);
  migrate(db);
  await withClient(db.url, async (c) => {
    await c.query('begin');
    for (const statement of statements(layout)) await c.query(statement);
    if (more) await more(c, log);
    await c.query('commit');
    log(`seed: inserted rows (${((Date.now() - started) / 1000).toFixed(1)} s), vacuum analyze`);
    await c.query('vacuum (analyze)');
  });
  // Last, so that an interrupted seed is never taken for a complete one.
  const comment = marker ?? seedMarker(layout);
  await setDatabaseComment(db, comment);
  log(`seed: done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${comment}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const db = benchDatabase();
  if (process.argv.includes('--check')) {
    const ok = await isSeeded(db);
    console.log(ok ? `${db.name} is seeded` : `${db.name} is not seeded`);
    process.exit(ok ? 0 : 1);
  }
  await seed(db);
}
