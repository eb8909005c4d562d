// `npm run bench:alarms`: alarm fan-out to many concurrent subscribers over graphql-ws. Raises
// alarms one after another on a running server and measures, per delivery, the time from the raise
// to the subscriber's receipt; counts every delivery against what each subscriber may see.
//
// Environment (all optional):
//   BENCH_SUBSCRIBERS=1000   WebSocket subscribers (half station manager 1, half station manager 2)
//   BENCH_ALARMS=40          alarms raised, one every BENCH_GAP_MS (default 250)
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432    BENCH_SKIP_BUILD=1
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  BENCH_SECRETS,
  benchDatabase,
  benchLog,
  compile,
  login,
  machineLine,
  percentile,
  recreateDatabase,
  ROOT,
  writeResults,
} from './lib.mjs';

const db = benchDatabase({ BENCH_PG_URL: process.env.BENCH_PG_URL, BENCH_DB: 'mg_bench_alarms' });
const settings = {
  subscribers: Number(process.env.BENCH_SUBSCRIBERS ?? 1000),
  alarms: Number(process.env.BENCH_ALARMS ?? 40),
  gapMs: Number(process.env.BENCH_GAP_MS ?? 250),
  pgUrl: db.server,
  db: db.name,
};
const log = benchLog('alarms');

compile(log, { withSdk: true });
const { loadConfig } = await import(join(ROOT, 'dist/src/config/config.js'));
const { createLogger } = await import(join(ROOT, 'dist/src/shared/logger.js'));
const { startApp } = await import(join(ROOT, 'dist/src/app.js'));
const { AlarmRaiser } = await import(join(ROOT, 'dist/src/collectors/alarms/alarm-raiser.js'));

await recreateDatabase(db);

// The demo archive (two stations), collected by nobody: only the bench raises alarms.
const config = loadConfig({
  DATABASE_URL: db.url,
  DATA_DIR: mkdtempSync(join(os.tmpdir(), 'mg-bench-alarms-')),
  DEMO: 'true',
  DEMO_LIVE_INTERVAL_MS: '3600000',
  DEMO_FAULT_RATE: '0',
  NODE_ENV: 'production',
  ...BENCH_SECRETS,
  // A thousand subscribers on a few tokens: the fan-out is measured, not the budgets.
  RATE_LIMIT: 'false',
  LOG_LEVEL: 'silent',
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_POOL_MAX: '10',
});
log('starting the server and seeding the demo archive');
const app = await startApp(config, createLogger('silent'));
const url = app.server.url;
const demoUser = (username) => ({ username, password: 'metergraph-demo' });
const tokens = {
  manager1: await login(`${url}/graphql`, demoUser('manager1')),
  manager2: await login(`${url}/graphql`, demoUser('manager2')),
};

log(`connecting ${settings.subscribers} subscribers`);
const raisedAt = new Map();
const latencies = [];
const received = { manager1: 0, manager2: 0 };
const wrongStation = { count: 0 };
const clients = [];
let ready = 0;
for (let i = 0; i < settings.subscribers; i++) {
  const user = i % 2 === 0 ? 'manager1' : 'manager2';
  const client = createClient({
    url: url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${tokens[user]}` },
    retryAttempts: 0,
  });
  clients.push(client);
  client.subscribe(
    { query: 'subscription { collectionAlarms { message orgUnit { code } } }' },
    {
      next: ({ data }) => {
        const t0 = raisedAt.get(data.collectionAlarms.message);
        if (t0 === undefined) return; // not one of ours
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        received[user]++;
        if (!data.collectionAlarms.orgUnit.code.startsWith(user === 'manager1' ? 'TA-YJ' : 'TA-TY'))
          wrongStation.count++;
      },
      error: (e) => log('subscription error', e?.message ?? e),
      complete: () => {},
    },
  );
  client.on('connected', () => ready++);
}
const deadline = Date.now() + 60_000;
while (ready < settings.subscribers && Date.now() < deadline) await sleep(50);
await sleep(2000); // let every subscription register
log(`${ready} connected; raising ${settings.alarms} alarms`);

const sql = { execute: (text, params) => app.db.orm.em.getConnection().execute(text, params) };
const raiser = new AlarmRaiser(sql, app.events, createLogger('silent'));
const meters = await sql.execute(
  `select m.id, o.code from meter m join org_unit o on o.id = m.org_unit_id where m.protocol = 'SIMULATED' order by m.id`,
  [],
);
const expected = { manager1: 0, manager2: 0 };
const perUser = settings.subscribers / 2;
for (let i = 0; i < settings.alarms; i++) {
  const meter = meters[(i * 37) % meters.length];
  const message = `bench ${i}`;
  // The raise writes the row and publishes; the clock starts before the INSERT.
  raisedAt.set(message, process.hrtime.bigint());
  const result = await raiser.raise({ meterId: Number(meter.id), type: 'POWER_OFF', message, at: new Date() });
  if (meter.code.startsWith('TA-YJ')) expected.manager1 += perUser;
  else expected.manager2 += perUser;
  // One alarm per meter and type may be active: close it so the next raise on a meter is new.
  await sql.execute(`update alarm set status = 'CLOSED' where id = ?`, [result.id]);
  await sleep(settings.gapMs);
}
const waitUntil = Date.now() + 30_000;
while (received.manager1 + received.manager2 < expected.manager1 + expected.manager2 && Date.now() < waitUntil)
  await sleep(100);

await Promise.all(clients.map((c) => c.dispose()));
await app.stop();

latencies.sort((a, b) => a - b);
const pct = (p) => percentile(latencies, p)?.toFixed(1) ?? 'n/a';
const deliveries = received.manager1 + received.manager2;
const wanted = expected.manager1 + expected.manager2;
const result = {
  when: new Date().toISOString(),
  settings,
  machine: { cpus: os.cpus().length, node: process.version },
  connected: ready,
  deliveries,
  expected: wanted,
  lost: wanted - deliveries,
  wrongStation: wrongStation.count,
  latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: latencies.at(-1)?.toFixed(1) },
};
writeResults('alarms', result.when, result);
console.log(`
Alarm fan-out: ${settings.alarms} alarms, ${ready} subscribers (half per station), one server process; ${machineLine(result.machine)}

| subscribers | deliveries / expected | lost | to the wrong station | p50 ms | p90 ms | p99 ms | max ms |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
| ${ready} | ${deliveries} / ${wanted} | ${wanted - deliveries} | ${wrongStation.count} | ${result.latencyMs.p50} | ${result.latencyMs.p90} | ${result.latencyMs.p99} | ${result.latencyMs.max} |
`);
if (wanted !== deliveries || wrongStation.count) process.exitCode = 1;
