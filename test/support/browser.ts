// A real browser for the console's end-to-end tests: Debian's Chromium driven by playwright-core (which never
// downloads a browser of its own). Missing Chromium skips the tests with a message, except in CI, where it fails.

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function chromiumUnavailable(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `${CHROMIUM} missing (apt-get install -y chromium)`;
  if (process.env.CI === 'true') throw new Error(`CI requires Chromium for the console tests: ${reason}`);
  process.stderr.write(`\n*** SKIPPING console browser tests: ${reason} ***\n\n`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // As root in CI: no sandbox. The machine has no network beyond loopback: no background connections.
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
    ],
  });
}
