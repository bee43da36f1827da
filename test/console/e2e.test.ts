// The console in a real browser (Chromium), against a real proxy and backend with chargers speaking OCPP over
// WSS: a charger that connects appears on the Fleet page without a reload, a remote stop sent from the Charger
// page reaches the charger and its answer is shown, and a viewer's command buttons are disabled while the API
// refuses the command (403). With OCPP_EDGE_SCREENSHOTS=DIR it saves a screenshot of every page there
// (docs/console/ holds the ones docs/CONSOLE.md shows).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RPCClient } from 'ocpp-rpc';
import type { Browser, Page } from 'playwright-core';
import { chromiumUnavailable, launchChromium } from '../support/browser.js';
import { startConsoleStack, type ConsoleStack } from '../support/console-stack.js';
import { waitFor } from '../support/waiting.js';

const OPERATOR = 'operator-console-token-1';
const VIEWER = 'viewer-console-token-1';
const skip = chromiumUnavailable();
const SCREENSHOTS = process.env.OCPP_EDGE_SCREENSHOTS;

describe('the console in a browser', { skip }, () => {
  let stack: ConsoleStack;
  let browser: Browser;
  const chargers: RPCClient[] = [];
  const remoteStops: unknown[] = [];
  const backendLog: Array<Record<string, unknown>> = [];

  before(async () => {
    stack = await startConsoleStack(
      { 'api-token': [`operator:${OPERATOR}`, `viewer:${VIEWER}`, 'admin-console-token-1'], 'log-level': 'info' },
      { logLines: backendLog },
    );
    browser = await launchChromium();
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    for (const charger of chargers) await charger.close({ force: true }).catch(() => {});
    await browser?.close();
    await stack?.close();
  });

  async function signedIn(token: string, viewport = { width: 1280, height: 860 }): Promise<Page> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
    const page = await context.newPage();
    await page.goto(`${stack.url}/console/`);
    await page.getByLabel('API token').fill(token);
    if (SCREENSHOTS && token === OPERATOR) await shot(page, 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('who').waitFor();
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async function connect(identity: string): Promise<RPCClient> {
    const charger = new RPCClient({
      endpoint: stack.ocppUrl,
      identity,
      protocols: ['ocpp1.6'],
      strictMode: true,
      reconnect: false,
      wsOpts: { ca: stack.ca.certPem, servername: 'localhost' },
    } as ConstructorParameters<typeof RPCClient>[0]);
    charger.handle('RemoteStopTransaction', async ({ params }) => {
      remoteStops.push(params);
      return { status: 'Accepted' };
    });
    await charger.connect();
    chargers.push(charger);
    await charger.call('BootNotification', {
      chargePointVendor: 'Simulated',
      chargePointModel: 'Console-1',
      firmwareVersion: '1.2.3',
    });
    await charger.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
    return charger;
  }

  it('shows a charger that connects on the Fleet page without a reload', async () => {
    const page = await signedIn(OPERATOR);
    await page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor();
    assert.equal(await page.locator('[data-charger="CP-LIVE-1"]').count(), 0);
    await connect('CP-LIVE-1');
    await page.locator('[data-charger="CP-LIVE-1"]').waitFor({ timeout: 10_000 });
    assert.match((await page.locator('[data-charger="CP-LIVE-1"]').textContent()) ?? '', /connected/);
    assert.match((await page.getByTestId('fleet-counts').textContent()) ?? '', /1\s*connected/);
    await shot(page, 'fleet');
    await page.context().close();
  });

  it('sends a remote stop from the Charger page to the charger and shows its answer', async () => {
    const charger = await connect('CP-STOP-1');
    // Off-spec, as a Schneider EVlink sends it (a 33-character serial): tolerated, and shown on the page.
    const rawSocket = (charger as unknown as { _ws: { send(data: string): void } })._ws;
    rawSocket.send(
      JSON.stringify([
        2,
        'offspec-1',
        'BootNotification',
        { chargePointVendor: 'Schneider Electric', chargePointModel: 'EVlink', chargeBoxSerialNumber: 'S'.repeat(33) },
      ]),
    );
    const started = (await charger.call('StartTransaction', {
      connectorId: 1,
      idTag: 'TAG-E2E',
      meterStart: 1000,
      timestamp: new Date().toISOString(),
    })) as { transactionId: number };
    await charger.call('MeterValues', {
      connectorId: 1,
      transactionId: started.transactionId,
      meterValue: [
        {
          timestamp: new Date(Date.now() - 60_000).toISOString(),
          sampledValue: [
            { value: '1500', unit: 'Wh' },
            { value: '7000', measurand: 'Power.Active.Import', unit: 'W' },
          ],
        },
        {
          timestamp: new Date().toISOString(),
          sampledValue: [
            { value: '2100', unit: 'Wh' },
            { value: '7200', measurand: 'Power.Active.Import', unit: 'W' },
          ],
        },
      ],
    });
    const page = await signedIn(OPERATOR);
    await page.getByRole('link', { name: 'CP-STOP-1' }).click();
    await page.getByText('Running transaction').waitFor();
    await page.getByTestId('chart').waitFor();
    await page.getByText('1 tolerated so far').waitFor();
    await shot(page, 'charger');
    await page.getByRole('button', { name: 'Remote stop' }).click();
    const form = page.getByRole('form', { name: 'Remote stop form' });
    assert.equal(await form.getByRole('spinbutton').inputValue(), String(started.transactionId));
    assert.equal(remoteStops.length, 0, 'nothing is sent before the confirmation');
    await form.getByRole('button', { name: 'Yes, remote stop' }).click();
    await page.getByTestId('command-answer').filter({ hasText: 'Accepted' }).waitFor();
    assert.deepEqual(remoteStops, [{ transactionId: started.transactionId }]);
    const logged = await waitFor('the command in the log', () =>
      backendLog.find((line) => line.msg === 'api command' && String(line.url).endsWith('/remote-stop')),
    );
    assert.equal(logged.role, 'operator');
    assert.match(String(logged.who), /^token:[0-9a-f]{8}$/);
    await page.context().close();
  });

  it("disables a viewer's command buttons, and the API refuses the viewer's command (403)", async () => {
    const page = await signedIn(VIEWER, { width: 390, height: 844 });
    await page.goto(`${stack.url}/console/charge-points/CP-STOP-1`);
    const stop = page.getByRole('button', { name: 'Remote stop' });
    await stop.waitFor();
    assert.equal(await stop.isDisabled(), true);
    assert.match((await stop.getAttribute('title')) ?? '', /operator needed/);
    const status = await page.evaluate(async (token) => {
      const response = await fetch('/api/charge-points/CP-STOP-1/remote-stop', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ transactionId: 1 }),
      });
      return response.status;
    }, VIEWER);
    assert.equal(status, 403);
    await shot(page, 'charger-phone-viewer');
    await page.context().close();
  });

  it('shows the transactions, the id tags and the edge: certificates and upstreams of the proxy', async () => {
    const page = await signedIn(OPERATOR);
    await page.getByRole('link', { name: 'Transactions' }).click();
    await page.getByTestId('transactions-table').getByText('TAG-E2E').waitFor();
    await shot(page, 'transactions');
    await page.getByRole('link', { name: 'Id tags' }).click();
    await page.getByTestId('id-tags-table').waitFor();
    await shot(page, 'id-tags');
    await page.getByRole('link', { name: 'Edge', exact: true }).click();
    await page.getByTestId('certificates').getByText('localhost').first().waitFor();
    assert.match((await page.getByTestId('upstreams').textContent()) ?? '', /healthy/);
    assert.match((await page.getByTestId('limits').textContent()) ?? '', /Connection ceiling\d+/);
    await shot(page, 'edge');
    // No token ever appears in a URL the page visited, nor in a log line of either process.
    assert.doesNotMatch(page.url(), new RegExp(OPERATOR));
    for (const token of [OPERATOR, VIEWER]) {
      assert.doesNotMatch(JSON.stringify(backendLog), new RegExp(token));
      assert.doesNotMatch(JSON.stringify(stack.proxy.logs.lines), new RegExp(token));
    }
    await page.context().close();
  });
});
