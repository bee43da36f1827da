// Issue 15 §4: nothing the tolerant policy accepts can crash a handler or corrupt a row. fast-check mutates
// conformant requests (values replaced by arbitrary JSON, properties removed or added, strings stretched, numbers
// turned into strings) and each mutant goes through a charger's tolerant validator and, when accepted, through
// the real handler (OCPP 1.6 Core, and the OCPP 2.0.1 handlers) on a real SQLite store. Every outcome must be an answer or an OCPP-J CALLERROR; what the
// handler depends on must be as the schema says; stored rows must carry exactly what was accepted.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createLogger } from '../../../common/logger.js';
import { rpcErrorCode } from '../../../common/rpc-error.js';
import { EventBus } from '../../../backend/events/bus.js';
import { createBackendMetrics } from '../../../backend/metrics.js';
import { coreHandlers } from '../../../backend/ocpp/core.js';
import type { HandlerContext } from '../../../backend/ocpp/handler.js';
import type { CallHandler } from '../../../backend/ocpp/handler.js';
import { v201Handlers } from '../../../backend/ocpp/v201/index.js';
import { ChargerValidator, toleratedViolations } from '../../../backend/ocpp/validator.js';
import { Store } from '../../../backend/store/store.js';

/** The error codes OCPP-J 1.6 defines (errata spelling): a CALLERROR must carry one of them. */
const OCPP_ERROR_CODES = new Set([
  'NotImplemented',
  'NotSupported',
  'InternalError',
  'ProtocolError',
  'SecurityError',
  'FormationViolation',
  'PropertyConstraintViolation',
  'OccurrenceConstraintViolation',
  'TypeConstraintViolation',
  'GenericError',
]);

/** OCPP 2.0.1's error codes (Part 4, 4.3). */
const OCPP201_ERROR_CODES = new Set([
  'FormatViolation',
  'GenericError',
  'InternalError',
  'MessageTypeNotSupported',
  'NotImplemented',
  'NotSupported',
  'OccurrenceConstraintViolation',
  'PropertyConstraintViolation',
  'ProtocolError',
  'RpcFrameworkError',
  'SecurityError',
  'TypeConstraintViolation',
]);

const T0 = '2025-06-01T10:00:00Z';
const SEEDS: Record<string, () => Record<string, unknown>> = {
  BootNotification: () => ({
    chargePointVendor: 'Vendor',
    chargePointModel: 'Model',
    chargeBoxSerialNumber: 'SN-1',
    firmwareVersion: '1.0',
  }),
  StatusNotification: () => ({ connectorId: 1, status: 'Charging', errorCode: 'NoError', timestamp: T0 }),
  StartTransaction: () => ({ connectorId: 1, idTag: 'TAG', meterStart: 100, timestamp: T0 }),
  MeterValues: () => ({
    connectorId: 1,
    transactionId: 1,
    meterValue: [
      {
        timestamp: T0,
        sampledValue: [
          { value: '1000', measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic' },
          { value: '16', measurand: 'Current.Import', unit: 'A', phase: 'L1' },
        ],
      },
    ],
  }),
  StopTransaction: () => ({
    transactionId: 1,
    meterStop: 2000,
    timestamp: '2025-06-01T11:00:00Z',
    reason: 'Local',
    transactionData: [{ timestamp: T0, sampledValue: [{ value: '1500', unit: 'Wh' }] }],
  }),
};

const SEEDS_201: Record<string, () => Record<string, unknown>> = {
  BootNotification: () => ({
    reason: 'PowerUp',
    chargingStation: { vendorName: 'Vendor', model: 'Model', serialNumber: 'SN-1', firmwareVersion: '1.0' },
  }),
  StatusNotification: () => ({ timestamp: T0, connectorStatus: 'Occupied', evseId: 1, connectorId: 1 }),
  Authorize: () => ({ idToken: { idToken: 'TOKEN', type: 'ISO14443' } }),
  TransactionEvent: () => ({
    eventType: 'Started',
    timestamp: T0,
    triggerReason: 'Authorized',
    seqNo: 0,
    transactionInfo: { transactionId: 'TX-1', chargingState: 'Charging', remoteStartId: 7 },
    evse: { id: 1, connectorId: 1 },
    idToken: { idToken: 'TOKEN', type: 'ISO14443' },
    meterValue: [
      {
        timestamp: T0,
        sampledValue: [
          { value: 1000, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'Wh' } },
          { value: 16, measurand: 'Current.Import', phase: 'L1', context: 'Sample.Periodic' },
        ],
      },
    ],
  }),
  MeterValues: () => ({
    evseId: 1,
    meterValue: [{ timestamp: T0, sampledValue: [{ value: 1500, measurand: 'Energy.Active.Import.Register' }] }],
  }),
};

/** The 2.0.1 handlers by action. */
const HANDLERS_201: Record<string, CallHandler> = Object.assign({}, ...v201Handlers);

/** What the 2.0.1 handlers key on is as the schema says (ocpp201-profile.ts keeps it strict). */
function assertKeyed201(payload: Record<string, unknown>): void {
  const info = payload.transactionInfo as Record<string, unknown> | undefined;
  if (info) assert.ok(typeof info.transactionId === 'string' && info.transactionId.length <= 36);
  for (const field of ['seqNo', 'evseId', 'connectorId', 'reservationId']) {
    if (field in payload) assert.ok(Number.isInteger(payload[field]), `${field} ${JSON.stringify(payload[field])}`);
  }
  if ('eventType' in payload) assert.ok(['Started', 'Updated', 'Ended'].includes(payload.eventType as string));
  const evse = payload.evse as Record<string, unknown> | undefined;
  if (evse) {
    assert.ok(Number.isInteger(evse.id), `evse.id ${JSON.stringify(evse.id)}`);
    if ('connectorId' in evse) assert.ok(Number.isInteger(evse.connectorId));
  }
  const token = payload.idToken as Record<string, unknown> | undefined;
  if (token) assert.ok(typeof token.idToken === 'string' && token.idToken.length <= 36);
}

/** What the 1.6 Core handlers key on is as the schema says (ocpp16-profile.ts keeps it strict). */
function assertKeyed16(payload: Record<string, unknown>): void {
  for (const field of ['connectorId', 'transactionId', 'meterStart', 'meterStop']) {
    if (field in payload) assert.ok(Number.isInteger(payload[field]), `${field} ${JSON.stringify(payload[field])}`);
  }
  if ('idTag' in payload) assert.ok(typeof payload.idTag === 'string' && payload.idTag.length <= 20);
}

const VERSIONS = [
  {
    version: '1.6',
    subprotocol: 'ocpp1.6',
    chargePointId: 'CP-FUZZ',
    seeds: SEEDS,
    handlers: coreHandlers as Record<string, CallHandler>,
    codes: OCPP_ERROR_CODES,
    assertKeyed: assertKeyed16,
  },
  {
    version: '2.0.1',
    subprotocol: 'ocpp2.0.1',
    chargePointId: 'CS-FUZZ',
    seeds: SEEDS_201,
    handlers: HANDLERS_201,
    codes: OCPP201_ERROR_CODES,
    assertKeyed: assertKeyed201,
  },
];

type Mutation = { path: number[]; kind: number; value: unknown; key: string; length: number };

const mutation = fc.record({
  path: fc.array(fc.nat(), { maxLength: 6 }),
  kind: fc.nat(6),
  value: fc.jsonValue({ maxDepth: 2 }),
  key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('connectorID', 'TimeStamp', 'idtag', 'unit')),
  length: fc.integer({ min: 0, max: 300 }),
});

/** Applies one mutation at a path chosen by indices into the payload's keys (or items) at each level. */
function mutate(
  payload: Record<string, unknown>,
  { path: choices, kind, value: generated, key, length }: Mutation,
): void {
  // A copy: the policy repairs payloads in place, and fast-check replays its values while shrinking.
  const value = structuredClone(generated);
  let node: unknown = payload;
  for (const choice of choices) {
    const keys = Array.isArray(node) ? [...node.keys()] : Object.keys(node as object);
    const child = keys.length > 0 ? (node as Record<string, unknown>)[keys[choice % keys.length]!] : undefined;
    if (child === null || typeof child !== 'object') break;
    node = child;
  }
  const container = node as Record<string, unknown>;
  const keys = Object.keys(container);
  const target = keys.length > 0 ? keys[length % keys.length]! : key;
  const current = container[target];
  switch (kind) {
    case 0:
      container[target] = value;
      break;
    case 1:
      delete container[target];
      break;
    case 2:
      container[key] = value;
      break;
    case 3:
      container[target] = typeof current === 'string' ? current.padEnd(length, 'x') : 'x'.repeat(length);
      break;
    case 4:
      container[target] =
        typeof current === 'number' ? String(current) : typeof current === 'string' ? Number(current) : value;
      break;
    case 5:
      container[target] = typeof current === 'string' ? current.toLowerCase() : [current];
      break;
    default:
      container[target] = current === undefined ? value : { value: current };
  }
}

describe('tolerant policy, property-based', () => {
  let dir: string;
  let store: Store;
  let context: HandlerContext;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-property-'));
    store = (await Store.open({ url: `sqlite:${path.join(dir, 'ocpp.db')}`, poolSize: 1 })).store;
    await store.ensureChargePoint('CP-FUZZ', T0);
    await store.ensureChargePoint('CS-FUZZ', T0);
    context = {
      chargePointId: 'CP-FUZZ',
      store,
      logger: createLogger({ level: 'silent', name: 'test', pretty: false }),
      events: new EventBus(),
      heartbeatInterval: 300,
      now: () => new Date().toISOString(),
      metrics: createBackendMetrics(),
      cpoName: undefined,
      certificateAuthority: undefined,
      callCharger: async () => ({}),
      afterAnswer: () => {},
    };
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const { version, subprotocol, chargePointId, seeds, handlers, codes, assertKeyed } of VERSIONS) {
    for (const action of Object.keys(seeds)) {
      it(`${version} ${action}: every mutant is answered or refused with an OCPP-J code, never a crash`, async () => {
        const tolerant = new ChargerValidator(subprotocol, 'tolerant');
        const strict = new ChargerValidator(subprotocol, 'strict');
        const handlerContext = { ...context, chargePointId };
        await fc.assert(
          fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
            const mutant = seeds[action]!();
            for (const each of mutations) mutate(mutant, each);
            // As a charger would send it: JSON text, parsed (as ocpp-rpc parses every frame).
            const frame = JSON.stringify(mutant);
            const payload = JSON.parse(frame) as Record<string, unknown>;
            const sent = JSON.parse(frame) as Record<string, unknown>;

            let strictlyValid = true;
            try {
              strict.validate(`urn:${action}.req`, structuredClone(sent));
            } catch (error) {
              strictlyValid = false;
              assert.ok(codes.has(rpcErrorCode(error) ?? ''), `strict code ${rpcErrorCode(error)}`);
            }
            try {
              tolerant.validate(`urn:${action}.req`, payload);
            } catch (error) {
              assert.ok(codes.has(rpcErrorCode(error) ?? ''), `tolerant code ${rpcErrorCode(error)}`);
              assert.equal(strictlyValid, false, 'tolerant refuses nothing strict accepts');
              return;
            }
            const violations = toleratedViolations(payload) ?? [];
            if (strictlyValid) assert.deepEqual(payload, sent, 'a conformant payload is not touched');
            for (const violation of violations) {
              assert.equal(typeof violation.path, 'string');
              assert.equal(typeof violation.rule, 'string');
            }
            assertKeyed(payload);

            try {
              await handlers[action]!(payload, handlerContext, { messageId: 'fuzz', violations });
            } catch (error) {
              assert.ok(codes.has(rpcErrorCode(error) ?? ''), `the handler failed with ${(error as Error).stack}`);
            }
          }),
          { numRuns: 150, seed: Number(process.env.FAST_CHECK_SEED ?? 1515) },
        );
      });
    }
  }

  it('stores what was accepted: no row with a non-integer meter or a missing time', async () => {
    for (const { chargePointId } of VERSIONS) {
      const rows = await store.listTransactions({ chargePointId, limit: 1000 });
      assert.ok(rows.length > 0, `some mutants started transactions on ${chargePointId}`);
      for (const row of rows) {
        assert.ok(row.meterStart === null || Number.isInteger(row.meterStart), String(row.meterStart));
        assert.ok(row.meterStop === null || Number.isInteger(row.meterStop));
        assert.ok(!Number.isNaN(Date.parse(row.startTime)), row.startTime);
        for (const value of await store.listMeterValues(row.id)) {
          assert.equal(typeof value.value, 'string');
          assert.ok(!Number.isNaN(Date.parse(value.sampledAt)), value.sampledAt);
        }
      }
    }
  });
});
