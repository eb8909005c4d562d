// `npm run bench:modbus`: Modbus reads per second through one gateway, a bare modbus-serial loop
// against Metergraph's collection path (plugin host + built-in modbus-tcp collector), in the same run
// against the same pymodbus TCP server (bench/modbus_server.py, Debian's python3-pymodbus).
//
// Paths, measured in interleaved rounds (a b c d a b c d ...) so that background load hits all alike:
//   (a) bare:     one ModbusRTU client, connectTCP once, readHoldingRegisters(0x0100, 10) in a loop
//   (b) host:     PluginHost.openSession('modbus-tcp') once, connect, read the meter's 5 energy
//                 points (uint32, 0.01 kWh: one request of the same 10 registers) in a loop
//   (c) cycle:    per read, what the collection runtime does per meter and cycle: open a session,
//                 connect (a new TCP connection), read the 5 points, close
//   (d) meters:   BENCH_METERS meters behind the same gateway (unit ids 1..n, odd ones uint32, even
//                 ones float32), one session and one read loop each, all at once: the host lets one
//                 frame at a time through per gateway (resource key tcp:host:port)
//
// Environment (all optional):
//   BENCH_DURATION=15   seconds measured per path, split over the rounds   BENCH_ROUNDS=3
//   BENCH_READS=        a fixed number of reads per path and round instead of a duration
//   BENCH_WARMUP=2      seconds of warm-up per path before the first round
//   BENCH_METERS=4      meters behind the gateway in (d)                   BENCH_PATHS=bare,host,cycle,meters
//   BENCH_SKIP_BUILD=1  use dist/ as it is
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { join, relative } from 'node:path';
import ModbusSerial from 'modbus-serial';
import {
  BENCH_DIR,
  backgroundCpu,
  benchLog,
  commandOutput,
  compile,
  cpuBusy,
  cpuInfo,
  formatNumber,
  formatShare,
  killOnExit,
  machineLine,
  ownCpuMs,
  packageVersion,
  percentile,
  ROOT,
  runMain,
  sourceInfo,
  writeResults,
} from './lib.mjs';

const PYTHON = '/usr/bin/python3';

const settings = {
  duration: Number(process.env.BENCH_DURATION ?? 15),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  reads: process.env.BENCH_READS ? Number(process.env.BENCH_READS) : null,
  warmup: Number(process.env.BENCH_WARMUP ?? 2),
  meters: Number(process.env.BENCH_METERS ?? 4),
  paths: (process.env.BENCH_PATHS ?? 'bare,host,cycle,meters')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  responseTimeoutMs: 2000,
  callTimeoutMs: 10_000,
};
const log = benchLog('modbus');

// The register map of bench/modbus_server.py: five energy quantities, kWh of unit 1; unit n holds
// (n - 1) * 1000 kWh more.
const ENERGY = [
  ['forwardActiveTotal', 'FORWARD_ACTIVE_TOTAL', 12345.67],
  ['forwardActiveT1', 'FORWARD_ACTIVE_T1', 1234.56],
  ['forwardActiveT2', 'FORWARD_ACTIVE_T2', 4567.89],
  ['forwardActiveT3', 'FORWARD_ACTIVE_T3', 3456.78],
  ['forwardActiveT4', 'FORWARD_ACTIVE_T4', 3086.44],
];
const BLOCK = { uint32: 0x0100, float32: 0x4000, registers: 10 };
const encodingOf = (unitId) => (unitId % 2 === 1 ? 'uint32' : 'float32');
/** The point requests the collection runtime would send for one meter (settings as stored, unparsed). */
const pointsOf = (unitId) =>
  ENERGY.map(([name, register], i) => ({
    id: name,
    register,
    settings:
      encodingOf(unitId) === 'uint32'
        ? { table: 'holding', address: BLOCK.uint32 + 2 * i, type: 'uint32', scale: '0.01', decimals: 2, unit: 'kWh' }
        : { table: 'holding', address: BLOCK.float32 + 2 * i, type: 'float32', decimals: 2, unit: 'kWh' },
  }));
const expectedOf = (unitId) =>
  Object.fromEntries(ENERGY.map(([name, , kwh]) => [name, (kwh + (unitId - 1) * 1000).toFixed(2)]));

compile(log);
const { PluginHost } = await import(join(ROOT, 'dist/src/plugins/plugin-host.js'));
const { modbusTcp } = await import(join(ROOT, 'dist/src/collectors/builtin/modbus/index.js'));
const { createLogger } = await import(join(ROOT, 'dist/src/shared/logger.js'));
const ModbusRTU = ModbusSerial.default;

// Frames in flight at once, over all clients of this process (the collector uses this same
// modbus-serial module): through one gateway the host must never let more than one through.
const inFlight = { now: 0, max: 0 };
for (const method of ['readHoldingRegisters', 'readInputRegisters']) {
  const original = ModbusRTU.prototype[method];
  ModbusRTU.prototype[method] = function countedRead(...args) {
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    const done = () => inFlight.now--;
    const call = original.apply(this, args);
    call.then(done, done);
    return call;
  };
}

async function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
    srv.on('error', reject);
  });
}

/** Starts bench/modbus_server.py and waits for its ready line. */
async function startGateway(units) {
  const port = await freePort();
  const child = spawn(
    PYTHON,
    ['-u', join(BENCH_DIR, 'modbus_server.py'), '--port', String(port), '--units', String(units)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  killOnExit(child);
  const ready = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`modbus_server.py: no ready line\n${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`modbus_server.py exited (${code})\n${stderr}`)));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      resolvePromise(JSON.parse(line));
    });
  });
  return {
    port,
    pid: child.pid,
    pymodbus: ready.pymodbus,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const CLOCK_TICKS = Number(commandOutput('getconf', ['CLK_TCK']) ?? 100);
/** CPU ms used so far by another process (user + system, from /proc). */
function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

const decodeUint32 = (words, i) => ((words[2 * i] * 65536 + words[2 * i + 1]) / 100).toFixed(2);
const summary = (values) =>
  Object.fromEntries(values.map((v) => [v.pointId, v.quality === 'good' ? v.value : `${v.quality}: ${v.reason}`]));
function check(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want))
    throw new Error(`${what}: read ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
}

/**
 * Runs `loops` read loops at once until the deadline (or until each has done `reads / loops` reads)
 * and returns every read's latency in ms. A read that throws stops the bench.
 */
async function timed(loops, seconds, reads) {
  const latencies = [];
  const deadline = performance.now() + seconds * 1000;
  const perLoop = reads ? Math.ceil(reads / loops.length) : Infinity;
  const started = performance.now();
  await Promise.all(
    loops.map(async (readOnce) => {
      for (let n = 0; n < perLoop && (reads || performance.now() < deadline); n++) {
        const t0 = performance.now();
        await readOnce();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** The paths: each prepares its loops once, measures rounds on demand, and cleans up. */
function paths(gateway, host) {
  const device = (unitId) => ({
    id: `meter-${unitId}`,
    settings: { host: '127.0.0.1', port: gateway.port, unitId, responseTimeoutMs: settings.responseTimeoutMs },
  });
  return {
    bare: {
      label: '(a) bare modbus-serial loop',
      pointsPerRead: ENERGY.length,
      async prepare() {
        const client = new ModbusRTU();
        client.setTimeout(settings.responseTimeoutMs);
        client.setID(1);
        await client.connectTCP('127.0.0.1', { port: gateway.port });
        const words = (await client.readHoldingRegisters(BLOCK.uint32, BLOCK.registers)).data;
        check(
          'bare read',
          Object.fromEntries(ENERGY.map(([name], i) => [name, decodeUint32(words, i)])),
          expectedOf(1),
        );
        return {
          loops: [() => client.readHoldingRegisters(BLOCK.uint32, BLOCK.registers)],
          close: () => new Promise((r) => client.destroy(r)),
        };
      },
    },
    host: {
      label: '(b) plugin host session, 5 points',
      pointsPerRead: ENERGY.length,
      async prepare() {
        const session = await host.openSession('modbus-tcp', device(1));
        await session.connect();
        const points = pointsOf(1);
        check('host read', summary(await session.read(points)), expectedOf(1));
        return {
          loops: [
            async () => {
              const values = await session.read(points);
              if (values[0].quality !== 'good') throw new Error(`bad value: ${values[0].reason}`);
            },
          ],
          close: () => session.close(),
        };
      },
    },
    cycle: {
      label: '(c) host, open + connect + read + close',
      pointsPerRead: ENERGY.length,
      async prepare() {
        const points = pointsOf(1);
        const once = async () => {
          const session = await host.openSession('modbus-tcp', device(1));
          try {
            await session.connect();
            const values = await session.read(points);
            if (values[0].quality !== 'good') throw new Error(`bad value: ${values[0].reason}`);
            return values;
          } finally {
            await session.close();
          }
        };
        check('cycle read', summary(await once()), expectedOf(1));
        return { loops: [once], close: async () => {} };
      },
    },
    meters: {
      label: `(d) host, ${settings.meters} meters at once`,
      pointsPerRead: ENERGY.length,
      async prepare() {
        const sessions = [];
        for (let unitId = 1; unitId <= settings.meters; unitId++) {
          const session = await host.openSession('modbus-tcp', device(unitId));
          await session.connect();
          check(`meter ${unitId} read`, summary(await session.read(pointsOf(unitId))), expectedOf(unitId));
          sessions.push({ session, points: pointsOf(unitId) });
        }
        return {
          loops: sessions.map(({ session, points }) => async () => {
            const values = await session.read(points);
            if (values[0].quality !== 'good') throw new Error(`bad value: ${values[0].reason}`);
          }),
          close: () => Promise.all(sessions.map(({ session }) => session.close())),
        };
      },
    },
  };
}

const fmt = (n, digits = 0) => formatNumber(n, digits);

async function main() {
  const startedAt = new Date();
  const version = spawnSync(PYTHON, ['-c', 'import pymodbus; print(pymodbus.__version__)'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${PYTHON} cannot import pymodbus: apt-get install -y python3-pymodbus`);
  const unknownPaths = settings.paths.filter((p) => !['bare', 'host', 'cycle', 'meters'].includes(p));
  if (unknownPaths.length) throw new Error(`BENCH_PATHS: unknown ${unknownPaths.join(', ')}`);

  const background = await backgroundCpu(log);

  const gateway = await startGateway(Math.max(settings.meters, 1));
  log(`pymodbus ${gateway.pymodbus} serving on 127.0.0.1:${gateway.port}`);
  const host = new PluginHost(createLogger('silent'), { callTimeoutMs: settings.callTimeoutMs, installDir: ROOT });
  await host.load([{ kind: 'builtin', collector: modbusTcp }]);
  const all = paths(gateway, host);
  const chosen = settings.paths.map((name) => ({ name, ...all[name] }));
  const results = Object.fromEntries(
    chosen.map((p) => [
      p.name,
      { latencies: [], seconds: 0, nodeCpuMs: 0, serverCpuMs: 0, busy: [], rounds: [], maxInFlight: 0 },
    ]),
  );
  try {
    const prepared = {};
    for (const p of chosen) {
      prepared[p.name] = await p.prepare();
      if (settings.warmup > 0) {
        log(`${p.name}: warm-up ${settings.warmup} s`);
        await timed(prepared[p.name].loops, settings.warmup, null);
      }
    }
    const perRound = settings.duration / settings.rounds;
    const readsPerRound = settings.reads ? Math.ceil(settings.reads / settings.rounds) : null;
    for (let round = 1; round <= settings.rounds; round++) {
      for (const p of chosen) {
        log(
          `round ${round}/${settings.rounds}: ${p.name} ${readsPerRound ? `${readsPerRound} reads` : `${perRound.toFixed(1)} s`}`,
        );
        const r = results[p.name];
        inFlight.max = 0;
        const cpus = os.cpus();
        const node0 = ownCpuMs();
        const server0 = processCpuMs(gateway.pid);
        const run = await timed(prepared[p.name].loops, perRound, readsPerRound);
        r.busy.push(cpuBusy(cpus, os.cpus()));
        r.nodeCpuMs += ownCpuMs() - node0;
        r.serverCpuMs += processCpuMs(gateway.pid) - server0;
        r.latencies.push(...run.latencies);
        r.seconds += run.seconds;
        r.rounds.push(run.latencies.length / run.seconds);
        r.maxInFlight = Math.max(r.maxInFlight, inFlight.max);
      }
    }
    for (const p of chosen) await prepared[p.name].close();
  } finally {
    await host.stop();
    await gateway.stop();
  }

  const rows = chosen.map((p) => {
    const r = results[p.name];
    const sorted = r.latencies.sort((x, y) => x - y);
    const reads = sorted.length;
    return {
      path: p.name,
      label: p.label,
      reads,
      seconds: r.seconds,
      readsPerSecond: reads / r.seconds,
      pointsPerSecond: (reads * p.pointsPerRead) / r.seconds,
      roundsReadsPerSecond: r.rounds,
      latencyMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? null,
      },
      benchCpuMsPerRead: r.nodeCpuMs / reads,
      serverCpuMsPerRead: r.serverCpuMs / reads,
      benchCpuShare: r.nodeCpuMs / 1000 / r.seconds,
      serverCpuShare: r.serverCpuMs / 1000 / r.seconds,
      machineCpuBusy: r.busy.reduce((a, b) => a + b, 0) / r.busy.length,
      maxFramesInFlight: r.maxInFlight,
    };
  });
  const bare = rows.find((r) => r.path === 'bare');
  for (const row of rows) {
    row.vsBare = bare ? row.readsPerSecond / bare.readsPerSecond : null;
    // Per round, against the bare loop of the same round: the spread says how noisy the run was.
    row.vsBareRounds = bare ? row.roundsReadsPerSecond.map((v, i) => v / bare.roundsReadsPerSecond[i]) : null;
  }

  const report = {
    benchmark: 'modbus: reads through one gateway',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings,
    machine: {
      ...cpuInfo(),
      node: process.version,
      pymodbus: gateway.pymodbus,
      python: commandOutput(PYTHON, ['--version']),
      backgroundCpuBusyBefore: background,
    },
    source: sourceInfo(['src']),
    versions: { 'modbus-serial': packageVersion('modbus-serial') },
    results: rows,
  };
  const file = writeResults('modbus', startedAt, report);

  console.log(`
Modbus TCP reads through one gateway (pymodbus ${gateway.pymodbus}, 127.0.0.1), ${settings.rounds} interleaved rounds, ${fmt(settings.duration, 0)} s per path; ${machineLine(report.machine)}; machine ${formatShare(background)} busy before

| Path | reads | reads/s | points/s | vs bare | vs bare per round | p50 ms | p99 ms | bench CPU ms/read | pymodbus CPU ms/read | CPU: bench / pymodbus / machine | frames in flight |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows
  .map(
    (r) =>
      `| ${r.label} | ${fmt(r.reads)} | ${fmt(r.readsPerSecond)} | ${fmt(r.pointsPerSecond)} | ${fmt(r.vsBare, 2)} | ${r.vsBareRounds ? r.vsBareRounds.map((v) => fmt(v, 2)).join(' / ') : 'n/a'} | ${fmt(r.latencyMs.p50, 3)} | ${fmt(r.latencyMs.p99, 3)} | ${fmt(r.benchCpuMsPerRead, 3)} | ${fmt(r.serverCpuMsPerRead, 3)} | ${formatShare(r.benchCpuShare)} / ${formatShare(r.serverCpuShare)} / ${formatShare(r.machineCpuBusy)} | ${r.maxFramesInFlight} |`,
  )
  .join('\n')}

One read = one Modbus request of 10 holding registers (5 energy values); (a) decodes nothing, (b)-(d) return 5 decoded points.
`);
  log(`results written to ${relative(ROOT, file)}`);
  const overlapping = rows.filter((r) => r.maxFramesInFlight > 1);
  if (overlapping.length) {
    log(`more than one frame in flight through the gateway on: ${overlapping.map((r) => r.path).join(', ')}`);
    process.exitCode = 1;
  }
}

await runMain('modbus', main);
