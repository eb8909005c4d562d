import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` as a new user runs it: the compiled server with no configuration but a data
 * directory, on the embedded database. Proves the demo, the printed banner, the data-dir lock,
 * graceful shutdown and that a restart keeps the data without seeding twice.
 */
const root = new URL('..', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'mg-start-'));
const children: ChildProcess[] = [];

function start(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    DEMO_LIVE_INTERVAL_MS: '500',
    DEMO_FAULT_RATE: '1',
  };
  delete env.DATABASE_URL;
  delete env.NODE_ENV;
  delete env.VITEST;
  const child = spawn(process.execPath, ['dist/src/main.js'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor<T>(fn: () => T | undefined, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const gql = async (url: string, query: string, token?: string) =>
  (await (
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    })
  ).json()) as { data?: Record<string, any>; errors?: unknown[] };

beforeAll(() => {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
}, 180_000);
afterAll(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

describe('npm start on a fresh data directory', () => {
  it('serves the demo, refuses a second process, stops gracefully and restarts without reseeding', async () => {
    const first = start();
    const url = await waitFor(() => /Metergraph API\s+(http:\/\/\S+)\/graphql/.exec(first.output())?.[1]);
    expect(first.output()).toContain('/graphiql');
    expect(first.output()).toMatch(/admin\s+metergraph-admin/);

    const login = await gql(
      url,
      `mutation { login(input: { username: "admin", password: "metergraph-admin" }) { accessToken } }`,
    );
    const token = login.data!.login.accessToken as string;
    const counts = await gql(url, `{ customers { totalCount } meters { totalCount } orgUnits { totalCount } }`, token);
    expect(counts.data).toEqual({
      customers: { totalCount: 300 },
      meters: { totalCount: 305 },
      orgUnits: { totalCount: 9 },
    });
    const playground = await fetch(`${url}/graphiql`);
    expect(playground.status).toBe(200);

    // The simulated meters are collected while the server runs.
    const since = new Date(Date.now() - 1000).toISOString();
    let liveCount = 0;
    const deadline = Date.now() + 20_000;
    while (liveCount === 0 && Date.now() < deadline) {
      const live = await gql(
        url,
        `{ readings(filter: { from: "${since}", to: "${new Date(Date.now() + 60_000).toISOString()}" }) { totalCount } }`,
        token,
      );
      liveCount = live.data!.readings.totalCount;
      if (!liveCount) await new Promise((r) => setTimeout(r, 250));
    }
    expect(liveCount).toBeGreaterThan(0);
    // Every simulated read is faulty here (DEMO_FAULT_RATE=1): alarms must have been raised.
    const alarms = await gql(url, `{ alarms(filter: { statuses: [OPEN] }) { totalCount nodes { type } } }`, token);
    expect(alarms.data!.alarms.totalCount).toBeGreaterThan(0);
    // The demo's schedules at work: the minute's task read all 300 simulated meters, and the
    // meters that did not answer wait for re-collection.
    type Task = { meters: number; succeeded: number; retrying: number; gaveUp: number };
    const booked = async () =>
      (
        await gql(
          url,
          `{ collectionTasks(filter: { kinds: [INTERVAL] }) { nodes { meters succeeded retrying gaveUp } } }`,
          token,
        )
      ).data!.collectionTasks.nodes.find((t: Task) => t.meters === 300 && t.succeeded + t.retrying + t.gaveUp === 300);
    let task: Task | undefined;
    for (const end = Date.now() + 120_000; !task && Date.now() < end;) {
      task = await booked();
      if (!task) await new Promise((r) => setTimeout(r, 250));
    }
    expect(task).toBeDefined();
    expect(task!.retrying + task!.gaveUp).toBeGreaterThan(0);

    const second = start();
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by process \d+/);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const again = start();
    const url2 = await waitFor(() => /Metergraph API\s+(http:\/\/\S+)\/graphql/.exec(again.output())?.[1]);
    expect(again.output()).not.toContain('demo data seeded');
    const token2 = (
      await gql(url2, `mutation { login(input: { username: "admin", password: "metergraph-admin" }) { accessToken } }`)
    ).data!.login.accessToken;
    const counts2 = await gql(url2, `{ customers { totalCount } }`, token2);
    expect(counts2.data).toEqual({ customers: { totalCount: 300 } });
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
    // The audit chain holds the two logins and checks out with the command operators run.
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    delete env.NODE_ENV;
    const verified = JSON.parse(
      execFileSync(process.execPath, ['dist/src/auth/audit/verify-cli.js'], { cwd: root, env, encoding: 'utf8' }),
    ) as { ok: boolean; checked: number };
    expect(verified).toMatchObject({ ok: true, checked: 2 });
    // Two cold starts, one with the demo's month of readings seeded: slow on a busy 2-core machine.
  }, 300_000);

  it('exits 1 with every configuration error listed', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: 'x', DEFAULT_TIME_ZONE: 'Nowhere/City', DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    try {
      execFileSync(process.execPath, ['dist/src/main.js'], { cwd: root, env, stdio: 'pipe' });
      expect.unreachable();
    } catch (error) {
      const e = error as { status: number; stderr: Buffer };
      expect(e.status).toBe(1);
      expect(e.stderr.toString()).toMatch(/PORT:.*\n.*DEFAULT_TIME_ZONE:/);
    }
  });
});
