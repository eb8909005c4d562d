import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
