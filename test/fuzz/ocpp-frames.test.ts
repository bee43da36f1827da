// Issue 17 §3: property-based fuzzing of OCPP 1.6-J frames against a running central system. Valid frames of every
// charger-initiated action are mutated (types, lengths, nesting, unicode, huge numbers, fields removed or added,
// duplicate message ids, responses to calls never made, frames that are not frames). Properties: the backend never
// crashes or hangs; a CALL gets exactly the OCPP-J answer its message id asks for (a CALLRESULT, or a CALLERROR
// whose code is one of the spec's and never InternalError, which would be a handler failing); a CALLRESULT or
// CALLERROR for a call never made is dropped as the spec says; and the database stays consistent.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import SQLite from 'better-sqlite3';
import { startTestBackend, type TestBackend } from '../support/backend-instance.js';
import { RawCharger } from '../support/ocpp-chargers.js';
import { createStorage, type StorageTarget } from '../support/storage-targets.js';
import { FUZZ_RUNS, FUZZ_SEED } from './fuzz-runs.js';

const OCPP_J_ERRORS = new Set([
  'NotImplemented',
  'NotSupported',
  'ProtocolError',
  'SecurityError',
  'FormationViolation',
  'FormatViolation',
  'PropertyConstraintViolation',
  'OccurenceConstraintViolation',
  'OccurrenceConstraintViolation',
  'TypeConstraintViolation',
  'GenericError',
  'RpcFrameworkError',
  'MessageTypeNotSupported',
]);

const now = () => new Date().toISOString();
/** A valid payload of every action a 1.6 charger sends. */
const VALID: Record<string, () => Record<string, unknown>> = {
  Authorize: () => ({ idTag: 'FUZZ-TAG' }),
  BootNotification: () => ({ chargePointVendor: 'Fuzz', chargePointModel: 'F1', firmwareVersion: '1.0' }),
  DataTransfer: () => ({ vendorId: 'fuzz.vendor', messageId: 'm', data: 'x' }),
  DiagnosticsStatusNotification: () => ({ status: 'Uploaded' }),
  FirmwareStatusNotification: () => ({ status: 'Installed' }),
  Heartbeat: () => ({}),
  MeterValues: () => ({
    connectorId: 1,
    transactionId: 1,
    meterValue: [{ timestamp: now(), sampledValue: [{ value: '12.5', measurand: 'Energy.Active.Import.Register' }] }],
  }),
  StartTransaction: () => ({ connectorId: 1, idTag: 'FUZZ-TAG', meterStart: 0, timestamp: now() }),
  StatusNotification: () => ({ connectorId: 1, errorCode: 'NoError', status: 'Available', timestamp: now() }),
  StopTransaction: () => ({ transactionId: 1, meterStop: 10, timestamp: now(), idTag: 'FUZZ-TAG', reason: 'Local' }),
};
const ACTIONS = Object.keys(VALID);

/** Values that break schemas: wrong types, huge and odd numbers, long and odd unicode, deep nesting. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e308,
    -0,
    0.1,
    2 ** 31,
    -(2 ** 31) - 1,
    '',
    '\u0000',
    '\ud800',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
    'x'.repeat(10_000),
    '2025-13-45T99:99:99Z',
    null,
  ),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.integer(),
  fc.double(),
  fc
    .integer({ min: 1, max: 200 })
    .map((depth) => Array.from({ length: depth }).reduce<unknown>((inner) => ({ a: [inner] }), 1)),
);

type Mutation = (payload: Record<string, unknown>) => unknown;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>((payload) => payload),
  fc.tuple(fc.nat(), hostileValue).map(
    ([index, value]): Mutation =>
      (payload) => {
        const keys = Object.keys(payload);
        if (keys.length === 0) return { ...payload, extra: value };
        return { ...payload, [keys[index % keys.length]!]: value };
      },
  ),
  fc.nat().map(
    (index): Mutation =>
      (payload) => {
        const keys = Object.keys(payload);
        const copy = { ...payload };
        if (keys.length > 0) delete copy[keys[index % keys.length]!];
        return copy;
      },
  ),
  fc.tuple(fc.string({ maxLength: 20 }), hostileValue).map(
    ([key, value]): Mutation =>
      (payload) => ({ ...payload, [key]: value }),
  ),
  hostileValue.map(
    (value): Mutation =>
      () =>
        value,
  ),
);

interface FuzzCase {
  kind: 'call' | 'duplicate' | 'result' | 'error' | 'garbage' | 'shape';
  action: string;
  mutate: Mutation;
  actionOverride: unknown;
  garbage: string;
  shape: unknown;
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  kind: fc.constantFrom('call', 'call', 'call', 'duplicate', 'result', 'error', 'garbage', 'shape'),
  action: fc.constantFrom(...ACTIONS),
  mutate: mutation,
  actionOverride: fc.option(fc.oneof(fc.string({ maxLength: 30 }), hostileValue), { freq: 8 }),
  garbage: fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('', '[', '[2,', '{}', 'null', '[2]', '[]', '"x"')),
  shape: fc.oneof(
    fc.array(hostileValue, { maxLength: 6 }),
    fc.tuple(fc.constantFrom(2, 3, 4, 5, 0, -1, 2.5, '2'), hostileValue, hostileValue, hostileValue),
  ),
});

describe('fuzzing OCPP 1.6 frames against the central system', () => {
  let storage: StorageTarget;
  let backend: TestBackend;
  let charger: RawCharger;
  let sequence = 0;

  before(async (t) => {
    storage = (await createStorage('sqlite', t as never))!;
    backend = await startTestBackend({ database: storage.url, 'max-bad-messages': 1_000_000 });
    await backend.api('PUT', '/api/id-tags/FUZZ-TAG', { status: 'Accepted' });
    charger = await RawCharger.connect(backend.ocppUrl, 'CP-FUZZ', ['ocpp1.6']);
  });

  after(async () => {
    charger?.close();
    await backend?.stop();
    await storage?.cleanup();
  });

  /** The charger's connection, again if the backend closed it (it may, for some frames). */
  async function connection(): Promise<RawCharger> {
    if (charger.ws.readyState !== charger.ws.OPEN)
      charger = await RawCharger.connect(backend.ocppUrl, 'CP-FUZZ', ['ocpp1.6']);
    return charger;
  }

  /** A Heartbeat round trip: the backend still answers, and in order. */
  async function stillAnswering(client: RawCharger): Promise<void> {
    const id = `hb-${++sequence}`;
    const answer = await client.call(id, 'Heartbeat', {}, 10_000);
    assert.equal(answer[0], 3, JSON.stringify(answer));
  }

  function assertAnswer(frame: unknown[], id: string): void {
    assert.ok(Array.isArray(frame) && frame[1] === id, JSON.stringify(frame));
    if (frame[0] === 4) {
      assert.ok(OCPP_J_ERRORS.has(String(frame[2])), `not an OCPP-J error code: ${JSON.stringify(frame)}`);
    } else {
      assert.equal(frame[0], 3, JSON.stringify(frame));
      assert.equal(typeof frame[2], 'object');
    }
  }

  test(`${FUZZ_RUNS} mutated frames: the right OCPP-J answer or dropped, never a crash or an InternalError`, async () => {
    await fc.assert(
      fc.asyncProperty(fuzzCase, async (fuzz) => {
        const client = await connection();
        const id = `fuzz-${++sequence}`;
        const action = fuzz.actionOverride ?? fuzz.action;
        const payload = fuzz.mutate(VALID[fuzz.action]!());
        switch (fuzz.kind) {
          case 'call':
          case 'duplicate': {
            client.send(JSON.stringify([2, id, action, payload]));
            if (fuzz.kind === 'duplicate') client.send(JSON.stringify([2, id, action, payload]));
            assertAnswer(await client.answerTo(id, 10_000), id);
            if (fuzz.kind === 'duplicate') assertAnswer(await client.answerTo(id, 10_000), id);
            break;
          }
          case 'result':
          case 'error': {
            // Responses to calls the central system never made: dropped, nothing answered.
            const frame = fuzz.kind === 'result' ? [3, id, payload] : [4, id, 'GenericError', 'x', payload];
            client.send(JSON.stringify(frame));
            await stillAnswering(client);
            assert.deepEqual(
              client.takeAnswers().filter((answer) => answer[1] === id),
              [],
            );
            return;
          }
          case 'garbage':
          case 'shape': {
            const text = fuzz.kind === 'garbage' ? fuzz.garbage : JSON.stringify(fuzz.shape);
            client.send(text);
            await stillAnswering(client);
            // What came back for it (if anything) is a CALLERROR: a CALL of ours is the only thing answered 3.
            for (const answer of client.takeAnswers()) assert.equal(answer[0], 4, JSON.stringify(answer));
            return;
          }
        }
        await stillAnswering(client);
      }),
      { numRuns: FUZZ_RUNS, seed: FUZZ_SEED, endOnFailure: true },
    );
  });

  test('afterwards: the backend serves, and the database is consistent', async () => {
    assert.equal((await fetch(`${backend.httpUrl}/health`)).status, 200);
    const fresh = await RawCharger.connect(backend.ocppUrl, 'CP-FUZZ-AFTER', ['ocpp1.6']);
    const boot = await fresh.call('boot', 'BootNotification', VALID.BootNotification!());
    assert.equal(boot[0], 3);
    fresh.close();
    const db = new SQLite(storage.url.slice('sqlite:'.length), { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      const orphans = db
        .prepare('select count(*) as n from transactions where charge_point_id not in (select id from charge_points)')
        .get() as { n: number };
      assert.equal(orphans.n, 0);
    } finally {
      db.close();
    }
  });
});
