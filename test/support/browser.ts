import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); CI installs it. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasBrowser = existsSync(CHROMIUM);
/** Browser tests skip only on a developer machine without Chromium; under CI a missing browser fails. */
export const skipBrowserTests = !hasBrowser && !process.env.CI;

/** Headless Chromium with everything that would call outside hosts switched off. */
export async function launchBrowser(): Promise<Browser> {
  if (!hasBrowser) throw new Error(`CI is set but there is no browser at ${CHROMIUM}: install the chromium package`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

/**
 * Records every URL the pages of `context` ask for and lets nothing leave `origins`, so a stray
 * link to an outside host fails the test (through its assertion on `requested`) instead of silently
 * working on a machine that happens to be online.
 */
export async function confineToOrigins(context: BrowserContext, origins: string[], requested: string[]): Promise<void> {
  const allowed = new Set(origins.map((o) => new URL(o).origin));
  await context.route('**/*', (route) =>
    allowed.has(new URL(route.request().url()).origin) ? route.continue() : route.abort('blockedbyclient'),
  );
  context.on('request', (request) => requested.push(request.url()));
}
