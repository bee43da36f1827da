// Issue 15 §4: the corpus of real-charger frames, OCPP 1.6 and 2.0.1 (test/interop/corpus/, each file naming the charger and the public
// report it comes from) replayed with a real WebSocket client through the proxy (TLS) into the backend. Tolerant
// (the default): every call is answered, the session stays up, transactions are stored and closed, and each
// violation the file names shows in the API and the metric. Strict: the CALLERRORs strict mode gives.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type WebSocket from 'ws';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { startProxyUnderTest, type ProxyUnderTest } from '../support/proxy-under-test.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';
import { openWebSocket } from '../support/tls-clients.js';
import { waitFor } from '../support/waiting.js';

interface CorpusEntry {
  /** The OCPP version the frames speak; 1.6 when absent. */
  version?: '1.6' | '2.0.1';
  charger: string;
  source: string;
  quirk: string;
  frames: Array<[2, string, string, Record<string, unknown>]>;
  violations: Array<{ action: string; keyword: string; path: string }>;
  strict: string[];
}

const CORPUS = new URL('../../../test/interop/corpus/', import.meta.url);
const entries = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({
    name: name.replace(/\.json$/, ''),
    ...(JSON.parse(readFileSync(new URL(name, CORPUS), 'utf8')) as CorpusEntry),
  }));

/** Sends the file's frames in order ("$transactionId": the last StartTransaction's answer) and returns the answers. */
async function replay(ws: WebSocket, frames: CorpusEntry['frames']): Promise<unknown[][]> {
  const answers: unknown[][] = [];
  let transactionId = 0;
  for (const [type, id, action, payload] of frames) {
    const text = JSON.stringify([type, id, action, payload]).replaceAll('"$transactionId"', String(transactionId));
    const answer = new Promise<unknown[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${action}`)), 5000);
      const onMessage = (data: WebSocket.RawData) => {
        const frame = JSON.parse(String(data)) as unknown[];
        if (frame[1] !== id) return;
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(frame);
      };
      ws.on('message', onMessage);
    });
    ws.send(text);
    const frame = await answer;
    if (action === 'StartTransaction' && frame[0] === 3)
      transactionId = (frame[2] as { transactionId: number }).transactionId;
    answers.push(frame);
  }
  return answers;
}

for (const mode of ['tolerant', 'strict'] as const) {
  describe(`interop corpus through the proxy (${mode})`, () => {
    let storage: StorageTarget;
    let backend: TestBackend;
    let edge: ProxyUnderTest;
    before(async (t) => {
      storage = (await createStorage('sqlite', t as never)) as StorageTarget;
      backend = await startTestBackend({ database: storage.url, 'ocpp-validation': mode });
      edge = await startProxyUnderTest({ upstream: [backend.httpUrl], tls: 'self-signed' });
      await backend.api('PUT', '/api/id-tags/INTEROP', { status: 'Accepted' });
    });
    after(async () => {
      await edge?.close();
      await backend?.stop();
      await storage?.cleanup();
    });

    for (const entry of entries) {
      it(`${entry.name}: ${entry.charger} — ${entry.quirk}`, async () => {
        const identity = `INTEROP-${mode}-${entry.name}`;
        const ws = await openWebSocket(edge.proxy.httpsPort, `/ocpp/${identity}`, `ocpp${entry.version ?? '1.6'}`);
        const answers = await replay(ws, entry.frames);
        if (mode === 'strict') {
          const codes = answers.filter((frame) => frame[0] === 4).map((frame) => frame[2]);
          assert.deepEqual(codes, entry.strict, `as strict mode answers (${entry.source})`);
          ws.close();
          return;
        }
        assert.deepEqual(
          answers.map((frame) => frame[0]),
          entry.frames.map(() => 3),
          `every call answered with a CALLRESULT: ${JSON.stringify(answers)}`,
        );
        assert.equal(ws.readyState, ws.OPEN, 'the session stays up');
        const record = await waitFor(`the violations of ${entry.name}`, async () => {
          const body = (await backend.api('GET', `/api/charge-points/${identity}/schema-violations`)).body;
          return body.count >= entry.violations.length ? body : undefined;
        });
        for (const expected of entry.violations) {
          assert.ok(
            record.violations.some(
              (v: { action: string; keyword: string; path: string }) =>
                v.action === expected.action && v.keyword === expected.keyword && v.path === expected.path,
            ),
            `${JSON.stringify(expected)} in ${JSON.stringify(record.violations)}`,
          );
        }
        const metrics = await backend.metrics();
        for (const expected of entry.violations) {
          assert.match(
            metrics,
            new RegExp(
              `ocpp_edge_ocpp_schema_violations_total\\{[^}]*action="${expected.action}",keyword="${expected.keyword}"`,
            ),
          );
        }
        const stops = entry.frames.some(
          ([, , action, payload]) =>
            action === 'StopTransaction' || (action === 'TransactionEvent' && payload.eventType === 'Ended'),
        );
        if (stops) {
          const [transaction] = (await backend.api('GET', `/api/transactions?chargePointId=${identity}`)).body;
          assert.ok(transaction, 'the transaction is stored');
          assert.notEqual(transaction.stopTime, null, 'and closed');
        }
        ws.close();
      });
    }
  });
}
