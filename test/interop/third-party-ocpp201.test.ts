// Proof that OCPP 2.0.1 works with a client we did not write: a charging station on @extrawest/node-ts-ocpp (its own
// WebSocket client, framing and schema validation; it offers only "ocpp2.0.1", which used to get 400) plays a full
// session through the real proxy (TLS, a test CA) to the real backend: boot, status, authorize, a transaction with
// meter values, a remote stop from the REST API, and a GetVariables.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startCheckStack, type CheckStack } from '../support/check-stack.js';
import { metricValue, scrapeMetrics } from '../support/proxy-under-test.js';
import { waitFor } from '../support/waiting.js';

const CHARGER = fileURLToPath(new URL('../support/third-party-charger.js', import.meta.url));

describe('a third-party OCPP 2.0.1 client through the proxy', () => {
  let stack: CheckStack;
  let child: ChildProcess;
  const steps: Array<Record<string, any>> = [];
  const output: string[] = [];
  const step = (name: string) =>
    waitFor(`the charger's "${name}" step`, () => steps.find((entry) => entry.step === name), {
      timeoutMs: 15000,
      log: output,
    });

  before(async () => {
    stack = await startCheckStack();
    await stack.backend.api('PUT', '/api/id-tags/THIRD-PARTY-1', { status: 'Accepted' });
    child = spawn(process.execPath, [CHARGER, `${stack.url.replace('https', 'wss')}/ocpp/`, 'TP-201'], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: stack.caFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      try {
        steps.push(JSON.parse(line) as Record<string, any>);
      } catch {
        // the library's own console output
      }
    });
    child.stderr!.on('data', (chunk) => output.push(String(chunk)));
  });
  after(async () => {
    child?.kill('SIGTERM');
    await stack?.close();
  });

  it('boots, reports status, authorizes and runs a transaction with meter values', async () => {
    const booted = await step('booted');
    assert.equal(booted.answer.status, 'Accepted');
    await step('status');
    assert.deepEqual((await step('authorized')).answer, { idTokenInfo: { status: 'Accepted' } });
    assert.deepEqual((await step('started')).answer, { idTokenInfo: { status: 'Accepted' } });
    await step('metered');
    assert.equal(
      steps.find((entry) => entry.step === 'error'),
      undefined,
      JSON.stringify(steps),
    );

    const chargePoint = (await stack.backend.api('GET', '/api/charge-points/TP-201')).body;
    assert.equal(chargePoint.ocppVersion, '2.0.1');
    assert.equal(chargePoint.model, 'node-ts-ocpp');
    assert.equal(chargePoint.connectors[0].status, 'Occupied');
    const metrics = await scrapeMetrics(stack.proxy.proxy);
    assert.equal(metricValue(metrics, 'ocpp_edge_ws_connections_by_subprotocol', { subprotocol: 'ocpp2.0.1' }), 1);
  });

  it('stops the transaction remotely from the REST API, with its energy stored', async () => {
    const [transaction] = (await stack.backend.api('GET', '/api/transactions?chargePointId=TP-201')).body;
    assert.equal(transaction.chargerTransactionId, 'TP-201-tx-1');
    assert.equal(transaction.meterStart, 20000);
    const stop = await stack.backend.api('POST', '/api/charge-points/TP-201/remote-stop', {
      transactionId: transaction.id,
    });
    assert.equal(stop.status, 200);
    assert.deepEqual(stop.body, { status: 'Accepted' });
    assert.equal((await step('requestStop')).request.transactionId, 'TP-201-tx-1');
    await step('ended');
    const ended = await waitFor('the transaction stopped', async () => {
      const detail = (await stack.backend.api('GET', `/api/transactions/${transaction.id}`)).body;
      return detail.stopTime ? detail : undefined;
    });
    assert.equal(ended.stopReason, 'Remote');
    assert.equal(ended.meterStop, 21500);
    assert.equal(ended.energy, 1500);
    assert.deepEqual(
      ended.events.map((event: { eventType: string }) => event.eventType),
      ['Started', 'Updated', 'Ended'],
    );
  });

  it('reads a variable with GetVariables and keeps it in the device model', async () => {
    const read = await stack.backend.api('POST', '/api/charge-points/TP-201/get-variables', {
      getVariableData: [{ component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' } }],
    });
    assert.equal(read.status, 200);
    assert.equal(read.body.getVariableResult[0].attributeValue, '300');
    const variables = (await stack.backend.api('GET', '/api/charge-points/TP-201/variables')).body;
    assert.equal(variables[0].variable, 'HeartbeatInterval');
    assert.equal(variables[0].value, '300');
  });
});
