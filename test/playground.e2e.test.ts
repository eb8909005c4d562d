import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confineToOrigins, launchBrowser, skipBrowserTests } from './support/browser.js';
import { startTestServer, type TestServer } from './harness.js';

/**
 * The GraphiQL playground in a real headless Chromium: it loads from the server's own origin only
 * (it must work offline), runs a query over HTTP with the token from the Headers tab, and runs a
 * subscription over WebSocket that receives a reading recorded through the API.
 *
 * Skipped on a machine without Chromium; in CI (which installs it) a missing browser is a failure.
 */
const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const HEADERS_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const RESULT_EDITOR = '.result-window .CodeMirror';

interface CodeMirrorElement extends Element {
  CodeMirror: { getValue(): string; setValue(value: string): void };
}

describe.skipIf(skipBrowserTests)('GraphQL playground in a headless browser', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let token: string;
  /** Every URL the page asked for, HTTP and WebSocket. */
  const requested: string[] = [];
  const pageErrors: string[] = [];
  /** graphql-ws subscribe messages the page has sent. */
  let subscribeMessages = 0;

  beforeAll(async () => {
    server = await startTestServer();
    token = await server.login('admin');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await confineToOrigins(context, [server.url], requested);
    page = await context.newPage();
    page.on('websocket', (ws) => {
      requested.push(ws.url());
      ws.on('framesent', (frame) => {
        if (typeof frame.payload === 'string' && frame.payload.includes('"type":"subscribe"')) subscribeMessages++;
      });
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    if (page && !page.isClosed()) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: `${RESULTS_DIR}playground.png` }).catch(() => undefined);
    }
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  /** Network requests only: data: and blob: URLs never leave the page. */
  function outsideRequests(): string[] {
    const host = new URL(server!.url).host;
    return requested.filter((url) => {
      const u = new URL(url);
      if (u.protocol === 'data:' || u.protocol === 'blob:') return false;
      return u.host !== host || !['http:', 'ws:'].includes(u.protocol);
    });
  }

  async function setEditor(selector: string, value: string): Promise<void> {
    await page.locator(selector).waitFor();
    await page.evaluate(([sel, text]) => (document.querySelector(sel) as CodeMirrorElement).CodeMirror.setValue(text), [
      selector,
      value,
    ] as const);
  }

  function editorValue(selector: string): Promise<string> {
    return page.evaluate(
      (sel) => (document.querySelector(sel) as CodeMirrorElement | null)?.CodeMirror.getValue() ?? '',
      selector,
    );
  }

  /**
   * Replaces the operation and waits for GraphiQL to parse it (the tab takes the operation's name)
   * before running it: GraphiQL reads the editor with a debounce, and until then it still knows the
   * previous operations; with several of them (as in the welcome text) the run button opens an
   * operation menu instead of running.
   */
  async function runOperation(text: string, tabTitle: string): Promise<void> {
    await setEditor(QUERY_EDITOR, text);
    await expect
      .poll(() => page.locator('.graphiql-tab-button').allInnerTexts(), { timeout: 5_000 })
      .toEqual([tabTitle]);
    await page.getByRole('button', { name: /^Execute query/ }).click();
  }

  it('renders GraphiQL from the server’s own origin only', async () => {
    const schemaLoaded = page.waitForResponse(
      (res) => res.url() === `${server!.url}/graphql` && res.request().method() === 'POST',
    );
    await page.goto(`${server!.url}/graphiql`);
    await page.locator(QUERY_EDITOR).waitFor();
    expect((await schemaLoaded).status()).toBe(200);
    await expect.poll(() => editorValue(QUERY_EDITOR)).toContain('Metergraph playground');
    expect(await page.locator('.graphiql-container').isVisible()).toBe(true);
    const assets = requested.filter((url) => url.includes('/graphiql/assets/')).map((url) => url.replace(/^.*\//, ''));
    expect(assets.sort()).toEqual([
      'graphiql.css',
      'graphiql.js',
      'graphql-ws.js',
      'playground.js',
      'react-dom.js',
      'react.js',
    ]);
    expect(outsideRequests()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('runs the welcome Login mutation with the untouched headers template', async () => {
    // The welcome document holds three operations: the run button asks which one.
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await expect.poll(() => page.getByRole('menuitem').allInnerTexts()).toEqual(['Login', 'Meters', 'LiveReadings']);
    await page.getByRole('menuitem', { name: 'Login' }).click();
    await expect.poll(() => editorValue(RESULT_EDITOR), { timeout: 10_000 }).toContain('"login"');
    const result = JSON.parse(await editorValue(RESULT_EDITOR)) as {
      data?: { login: { accessToken: string; user: unknown } };
    };
    expect(result.data?.login.user).toEqual({ username: 'admin', role: 'ADMIN' });
    expect(result.data?.login.accessToken).toMatch(/^ey/);
  });

  it('runs a query with the token from the Headers tab', async () => {
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    expect(await editorValue(HEADERS_EDITOR)).toContain('"Authorization": "Bearer "');
    await setEditor(HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    await runOperation('query Me { me { username role } }', 'Me');
    await expect.poll(() => editorValue(RESULT_EDITOR), { timeout: 10_000 }).toContain('"role": "ADMIN"');
    const result = JSON.parse(await editorValue(RESULT_EDITOR)) as unknown;
    expect(result).toEqual({ data: { me: { username: 'admin', role: 'ADMIN' } } });
    await expect.poll(() => page.locator('.result-window').innerText()).toMatch(/"admin"[\s\S]*"ADMIN"/);
    expect(outsideRequests()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('runs a subscription over WebSocket and shows a reading recorded through the API', async () => {
    const meters = await server!.gql<{
      meters: { nodes: { id: string; registerDigits: number; installedAt: string | null }[] };
    }>(
      '{ meters(first: 20, filter: { statuses: [INSTALLED] }) { nodes { id registerDigits installedAt } } }',
      {},
      token,
    );
    const meter = meters.data!.meters.nodes.find((m) => m.registerDigits === 6);
    expect(meter, 'an INSTALLED meter with a 6-digit register').toBeDefined();

    expect(subscribeMessages).toBe(0);
    await runOperation('subscription { readingRecorded { value meter { assetNo } } }', '<untitled>');
    // The subscription is on its way once the page has sent its subscribe message on the WebSocket.
    await expect.poll(() => subscribeMessages, { timeout: 5_000 }).toBe(1);

    // The server registers the subscription a moment after the message arrives: record readings
    // (each at a new instant) until one reaches the result pane, for at most 10 s.
    const record = async () => {
      const res = await server!.gql(
        `mutation($m: ID!, $at: DateTime!) {
          recordManualReading(input: { meterId: $m, register: FORWARD_ACTIVE_TOTAL, value: "99999.99", measuredAt: $at }) { reading { value } }
        }`,
        { m: meter!.id, at: new Date().toISOString() },
        token,
      );
      expect(res.errors).toBeUndefined();
    };
    const deadline = Date.now() + 10_000;
    let shown = false;
    while (!shown && Date.now() < deadline) {
      await record();
      const until = Math.min(deadline, Date.now() + 2_000);
      while (!shown && Date.now() < until) {
        shown = (await editorValue(RESULT_EDITOR)).includes('"value": "99999.99"');
        if (!shown) await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(await editorValue(RESULT_EDITOR)).toContain('"value": "99999.99"');
    await expect.poll(() => page.locator('.result-window').innerText()).toContain('99999.99');

    const sockets = requested.filter((url) => url.startsWith('ws'));
    expect(sockets).toEqual([`${server!.url.replace(/^http/, 'ws')}/graphql`]);
    expect(outsideRequests()).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
