import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmRaiser } from '../src/collectors/alarms/alarm-raiser.js';
import type { SqlExecutor } from '../src/collectors/ingestion/readings.js';
import { AlarmType } from '../src/orm/entities/enums.js';
import { createLogger } from '../src/shared/logger.js';
import { confineToOrigins, launchBrowser, skipBrowserTests } from './support/browser.js';
import { startTestServer, type TestServer } from './harness.js';

/**
 * The live alarm dashboard of examples/dashboard in a real headless Chromium, served by its own
 * serve.mjs (run as documented, as a child process) in front of a test server: sign-in errors,
 * the alarm table, alarms pushed over WebSocket (and only those of the user's station),
 * acknowledging, and a dropped WebSocket that reconnects and catches up.
 *
 * Skipped on a machine without Chromium; in CI (which installs it) a missing browser is a failure.
 */
const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));
const SERVE = fileURLToPath(new URL('../examples/dashboard/serve.mjs', import.meta.url));

interface Dashboard {
  child: ChildProcess;
  url: string;
}

/** Runs serve.mjs and resolves with the URL it prints once it listens. */
function startDashboard(apiUrl: string, port = 0): Promise<Dashboard> {
  const child = spawn(process.execPath, [SERVE], {
    env: { ...process.env, METERGRAPH_URL: apiUrl, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`serve.mjs did not start in 10 s: ${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Alarm dashboard on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => fail(new Error(`serve.mjs exited with ${code}: ${output}`)));
  });
}

async function stopDashboard(dashboard: Dashboard | undefined): Promise<void> {
  const child = dashboard?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

describe.skipIf(skipBrowserTests)('alarm dashboard in a headless browser', () => {
  let server: TestServer | undefined;
  let dashboard: Dashboard | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let raiser: AlarmRaiser;
  /** Meters of manager1's station (Youjiang) and one of the other station (Tianyang). */
  let yjMeters: number[];
  let tyMeter: number;
  /** Every URL the page asked for, HTTP and WebSocket. */
  const requested: string[] = [];
  const sockets: string[] = [];
  const pageErrors: string[] = [];
  /** graphql-ws subscribe messages the page has sent. */
  let subscribeMessages = 0;

  const rows = () => page.locator('#alarm-rows tr');
  const row = (text: string) => page.locator('#alarm-rows tr', { hasText: text });
  const connection = () => page.locator('#connection-text').innerText();
  const counter = async (severity: string) => Number(await page.locator(`#count-${severity}`).innerText());

  function raise(meterId: number, type: AlarmType, message: string) {
    return raiser.raise({ meterId, type, message, at: new Date() });
  }

  beforeAll(async () => {
    server = await startTestServer();
    const sql: SqlExecutor = { execute: (text, params) => server!.em().getConnection().execute(text, params) };
    // The server's own event bus, so that subscribers over WebSocket receive what this raiser raises.
    raiser = new AlarmRaiser(sql, server.app.events, createLogger('silent'));
    const metersIn = async (prefix: string, count: number) =>
      (
        await sql.execute<{ id: number }>(
          `select m.id from meter m join org_unit o on o.id = m.org_unit_id where o.code like ? order by m.id limit ?`,
          [`${prefix}%`, count],
        )
      ).map((r) => Number(r.id));
    yjMeters = await metersIn('TA-YJ', 10);
    tyMeter = (await metersIn('TA-TY', 1))[0]!;
    expect(yjMeters).toHaveLength(10);
    expect(tyMeter).toBeGreaterThan(0);

    // Some alarms that are active before anyone signs in: three in scope of manager1, one not.
    await raise(yjMeters[0]!, AlarmType.COMMUNICATION_FAILURE, 'concentrator did not answer for 3 cycles');
    await raise(yjMeters[1]!, AlarmType.READING_FAILURE, 'simulated meter did not answer');
    await raise(yjMeters[2]!, AlarmType.POWER_ON, 'power restored after 42 min');
    await raise(tyMeter, AlarmType.VOLTAGE_LOSS, 'Tianyang: phase B voltage lost');

    dashboard = await startDashboard(server.url);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await confineToOrigins(context, [server.url, dashboard.url], requested);
    page = await context.newPage();
    page.on('websocket', (ws) => {
      requested.push(ws.url());
      sockets.push(ws.url());
      ws.on('framesent', (frame) => {
        if (typeof frame.payload === 'string' && frame.payload.includes('"type":"subscribe"')) subscribeMessages++;
      });
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    if (page && !page.isClosed()) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      await page.mouse.move(0, 0).catch(() => undefined); // no hover effect in the picture
      await page.screenshot({ path: `${RESULTS_DIR}dashboard.png` }).catch(() => undefined);
    }
    await context?.close();
    await browser?.close();
    await stopDashboard(dashboard);
    await server?.stop();
  });

  /** Network requests only: data: and blob: URLs never leave the page. */
  function outsideRequests(): string[] {
    const hosts = new Set([new URL(server!.url).host, new URL(dashboard!.url).host]);
    return requested.filter((url) => {
      const u = new URL(url);
      if (u.protocol === 'data:' || u.protocol === 'blob:') return false;
      return !hosts.has(u.host) || !['http:', 'ws:'].includes(u.protocol);
    });
  }

  it('shows the server’s message when the sign-in is refused', async () => {
    await page.goto(dashboard!.url);
    await page.locator('#login-form').waitFor();
    await page.getByLabel('Username').fill('manager1');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.locator('#login-error').innerText(), { timeout: 5_000 })
      .toBe('Invalid login name or password');
    expect(await page.locator('#dashboard-view').isVisible()).toBe(false);
    // The graphql-ws client comes from the API through serve.mjs, like everything else.
    expect(requested).toContain(`${dashboard!.url}/graphiql/assets/graphql-ws.js`);
    expect(outsideRequests()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('signs in as manager1 and lists the active alarms of their station only', async () => {
    await page.getByLabel('Password').fill('metergraph-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#dashboard-view').waitFor();
    expect(await page.locator('#user').innerText()).toContain('manager1');
    await expect.poll(connection, { timeout: 10_000 }).toBe('Live');
    await expect.poll(() => rows().count(), { timeout: 5_000 }).toBe(3);

    // The same as the API says, newest first.
    const token = await server!.login('manager1');
    const api = await server!.gql<{ alarms: { totalCount: number; nodes: { message: string }[] } }>(
      '{ alarms(first: 50, filter: { statuses: [OPEN, ACKNOWLEDGED] }) { totalCount nodes { message } } }',
      {},
      token,
    );
    expect(api.data!.alarms.totalCount).toBe(3);
    const messages = await page.locator('#alarm-rows .alarm-message').allInnerTexts();
    expect(messages).toEqual(api.data!.alarms.nodes.map((n) => n.message));
    expect(messages).not.toContain('Tianyang: phase B voltage lost');
    expect(await page.locator('#alarms-summary').innerText()).toBe('3 active · 3 open');
    expect([
      await counter('CRITICAL'),
      await counter('MAJOR'),
      await counter('MINOR'),
      await counter('WARNING'),
    ]).toEqual([0, 1, 1, 1]);
    expect(await row('did not answer for 3 cycles').locator('.severity').innerText()).toBe('Major');
    expect(await row('did not answer for 3 cycles').getByRole('button', { name: 'Acknowledge' }).count()).toBe(1);
    expect(outsideRequests()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('inserts a new alarm of the station at the top within 5 s, and never one of another station', async () => {
    // The subscription is on its way once the page has sent its subscribe message; the server
    // registers it a moment later. Until a first alarm comes through, raise one on another meter
    // (a repeat on the same meter would be merged and not pushed).
    await expect.poll(() => subscribeMessages, { timeout: 5_000 }).toBe(1);
    let through = false;
    for (let i = 3; i < 8 && !through; i++) {
      await raise(yjMeters[i]!, AlarmType.CLOCK_DEVIATION, `clock 95 s behind (check ${i})`);
      const until = Date.now() + 2_000;
      while (!through && Date.now() < until) {
        through = (await row(`(check ${i})`).count()) === 1;
        if (!through) await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(through, 'a first alarm reached the page over WebSocket').toBe(true);

    const critical = await counter('CRITICAL');
    // Another station's alarm first: by the time ours is shown, theirs would have been too.
    await raise(tyMeter, AlarmType.TERMINAL_COVER_OPEN, 'Tianyang: terminal cover opened');
    const started = Date.now();
    await raise(yjMeters[8]!, AlarmType.METER_COVER_OPEN, 'meter cover opened at the box');
    await row('meter cover opened at the box').waitFor({ timeout: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);

    const top = rows().first();
    expect(await top.locator('.alarm-message').innerText()).toBe('meter cover opened at the box');
    expect(await top.locator('.alarm-type').innerText()).toBe('Meter cover open');
    expect(await top.locator('.severity').innerText()).toBe('Critical');
    expect(await top.locator('.status').innerText()).toBe('Open');
    // Pushed, not reloaded: only alarms from the subscription are highlighted.
    expect(await top.getAttribute('class')).toContain('fresh');
    expect(await counter('CRITICAL')).toBe(critical + 1);

    await new Promise((r) => setTimeout(r, 1_000));
    expect(await row('Tianyang').count()).toBe(0);
    // It was raised all right: manager2 of that station sees it.
    const manager2 = await server!.login('manager2');
    const theirs = await server!.gql<{ alarms: { nodes: { message: string }[] } }>(
      '{ alarms(first: 5, filter: { types: [TERMINAL_COVER_OPEN] }) { nodes { message } } }',
      {},
      manager2,
    );
    expect(theirs.data!.alarms.nodes.map((n) => n.message)).toEqual(['Tianyang: terminal cover opened']);
    expect(pageErrors).toEqual([]);
  });

  it('acknowledges an open alarm', async () => {
    const target = row('meter cover opened at the box');
    const open = Number(/(\d+) open/.exec(await page.locator('#alarms-summary').innerText())![1]);
    await target.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(() => target.locator('.status').innerText(), { timeout: 5_000 }).toBe('Acknowledged');
    expect(await target.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect(await page.locator('#alarms-summary').innerText()).toContain(`${open - 1} open`);

    const token = await server!.login('manager1');
    const api = await server!.gql<{
      alarms: { nodes: { message: string; status: string; acknowledgedBy: { username: string } | null }[] };
    }>(
      '{ alarms(first: 5, filter: { types: [METER_COVER_OPEN] }) { nodes { message status acknowledgedBy { username } } } }',
      {},
      token,
    );
    expect(api.data!.alarms.nodes).toEqual([
      { message: 'meter cover opened at the box', status: 'ACKNOWLEDGED', acknowledgedBy: { username: 'manager1' } },
    ]);
    expect(pageErrors).toEqual([]);
  });

  it('shows “Reconnecting” when the WebSocket drops, then catches up on what it missed', async () => {
    const port = new URL(dashboard!.url).port;
    await stopDashboard(dashboard);
    await expect.poll(connection, { timeout: 5_000 }).toBe('Reconnecting…');
    expect(await page.locator('#connection').getAttribute('data-state')).toBe('reconnecting');

    // Raised while nobody listens: the page finds it in the list it reloads after reconnecting.
    await raise(yjMeters[9]!, AlarmType.PHASE_IMBALANCE, 'phase imbalance 38% on the feeder');
    dashboard = await startDashboard(server!.url, Number(port));
    await expect.poll(connection, { timeout: 20_000 }).toBe('Live');
    await row('phase imbalance 38%').waitFor({ timeout: 10_000 });
    expect(await row('Tianyang').count()).toBe(0);
    expect(await row('meter cover opened at the box').locator('.status').innerText()).toBe('Acknowledged');

    const wsUrl = `${dashboard.url.replace(/^http/, 'ws')}/graphql`;
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sockets)).toEqual(new Set([wsUrl]));
    expect(outsideRequests()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
