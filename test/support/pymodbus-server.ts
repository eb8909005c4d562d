import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A real Modbus server for tests: test/support/modbus_server.py on pymodbus, Debian's
 * python3-pymodbus (3.0 on Debian 12). The system interpreter is used on purpose: a python3 found
 * earlier on PATH (pyenv, a virtualenv) does not see Debian's packages.
 *
 * The registers it serves are listed in {@link SERVED}; the Python script is their source.
 */
export const PYTHON = '/usr/bin/python3';
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'modbus_server.py');
const STARTUP_MS = 15_000;

/** The pymodbus version the system interpreter imports, or undefined when it cannot import it. */
export function pymodbusVersion(): string | undefined {
  const result = spawnSync(PYTHON, ['-c', 'import pymodbus; print(pymodbus.__version__)'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export const pymodbusAvailable = (): boolean => pymodbusVersion() !== undefined;

/** Unit ids and register contents of the served devices, as decoded values. */
export const SERVED = {
  /** Three-phase meter with scaled integers (REGISTER_MAPS['three-phase-scaled'] layout). */
  threePhaseUnit: 1,
  /** Single-phase meter with float32 values (REGISTER_MAPS['single-phase-float32'] layout). */
  singlePhaseUnit: 2,
  /** Known to the gateway, answers exception 11 (gateway target device failed to respond). */
  gatewayTargetMissingUnit: 4,
  /** Any unit id not listed gets no reply at all. */
  silentUnit: 9,
  threePhase: {
    voltageA: '230.1',
    voltageB: '229.8',
    voltageC: '230.5',
    currentA: '15.23',
    currentB: '14.98',
    currentC: '15.10',
    activePower: '-12.345',
    forwardActiveTotal: '1234567.89',
    reverseActiveTotal: '43.21',
  },
  singlePhase: { voltage: '230.1', current: '5.250', activePower: '1.208', forwardActiveTotal: '98765.43' },
  /** Unit 1, holding registers: odd encodings for the decoder. */
  extras: {
    float32WordSwapped: { address: 0x0200, value: 200 },
    uint32WordSwapped: { address: 0x0202, raw: 123456789 },
    int16Negative: { address: 0x0204, raw: -1234 },
    float32NaN: { address: 0x0205 },
  },
  /** Unit 1 holding registers end here (exclusive); reads at or past it get exception 2. */
  threePhaseHoldingEnd: 0x0207,
} as const;

export interface PymodbusServer {
  port: number;
  pymodbusVersion: string;
  /** Ends the server process; its clients see their connections close. */
  stop(): Promise<void>;
}

export interface PymodbusSerialServer {
  /** The serial device the server answers on (give the collector the other end of the line). */
  path: string;
  pymodbusVersion: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

interface Ready {
  ready: true;
  pymodbus: string;
  port?: number;
  path?: string;
}

/** Spawns the script and waits for its ready line; rejects with its stderr when it exits or hangs first. */
async function launch(args: string[]): Promise<{ child: ChildProcess; ready: Ready; stop: () => Promise<void> }> {
  const child = spawn(PYTHON, ['-u', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  const ready = await new Promise<Ready>((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const timer = setTimeout(() => fail(`no ready line within ${STARTUP_MS} ms`), STARTUP_MS);
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stop();
      reject(new Error(`modbus_server.py: ${why}\n${stderr.trim()}`));
    };
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited early (${signal ?? `code ${code}`})`));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(JSON.parse(line) as Ready);
    });
  });
  return { child, ready, stop };
}

/** A Modbus TCP server on 127.0.0.1; pass `port` to restart one on the port a stopped server had. */
export async function startPymodbusServer(options: { port?: number } = {}): Promise<PymodbusServer> {
  const port = options.port ?? (await freePort());
  const { ready, stop } = await launch(['--host', '127.0.0.1', '--port', String(port)]);
  // The ready line comes once the socket listens; make sure it really accepts connections.
  const deadline = Date.now() + STARTUP_MS;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`modbus_server.py: port ${port} does not accept connections`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, pymodbusVersion: ready.pymodbus, stop };
}

/**
 * A Modbus RTU server on a serial device: one end of a socat pseudo-terminal pair
 * (test/support/pty-pair.ts), the collector opening the other. When the line goes away the server
 * loses it for good; start another one on the line that replaces it.
 */
export async function startPymodbusSerialServer(path: string): Promise<PymodbusSerialServer> {
  const { ready, stop } = await launch(['--serial', path]);
  return { path, pymodbusVersion: ready.pymodbus, stop };
}
