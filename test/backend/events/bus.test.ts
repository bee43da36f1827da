// The in-process event bus: listeners hear typed events, a failing listener harms nobody, and a charger speaking
// OCPP over a real WebSocket makes the central system emit what happened.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventBus } from '../../../backend/events/bus.js';
import type { PendingEvent } from '../../../backend/events/types.js';
import { createLogger } from '../../../common/logger.js';
import { withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { waitFor } from '../../support/waiting.js';

describe('event bus', () => {
  it('delivers every event to every listener, typed listeners only their type', () => {
    const bus = new EventBus(undefined, () => new Date('2026-01-02T03:04:05.000Z'));
    const all: PendingEvent[] = [];
    const booted: string[] = [];
    bus.subscribe((event) => void all.push(event));
    bus.on('charger.booted', (event) => void booted.push(event.data.model));
    bus.emit('charger.booted', { chargePointId: 'CP1', vendor: 'V', model: 'M' });
    bus.emit('charger.disconnected', { chargePointId: 'CP1', code: 1006, reason: '' });
    assert.deepEqual(
      all.map((event) => [event.type, event.occurredAt]),
      [
        ['charger.booted', '2026-01-02T03:04:05.000Z'],
        ['charger.disconnected', '2026-01-02T03:04:05.000Z'],
      ],
    );
    assert.deepEqual(booted, ['M']);
  });

  it('a listener that throws or rejects is logged; the others still hear the event', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: 'error',
      name: 'test',
      pretty: false,
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const bus = new EventBus(logger);
    let heard = 0;
    bus.subscribe(() => {
      throw new Error('boom');
    });
    bus.subscribe(async () => {
      throw new Error('async boom');
    });
    bus.subscribe(() => void heard++);
    assert.doesNotThrow(() => bus.emit('charger.connected', { chargePointId: 'CP1', protocol: 'ocpp1.6' }));
    assert.equal(heard, 1);
    await waitFor('two listener failures logged', () => lines.length === 2, { timeoutMs: 2000 });
    assert.ok(lines.every((line) => line.msg === 'event listener failed' && line.eventType === 'charger.connected'));
  });

  it('unsubscribing stops delivery', () => {
    const bus = new EventBus();
    let heard = 0;
    const off = bus.subscribe(() => void heard++);
    bus.emit('charger.connected', { chargePointId: 'CP1', protocol: 'ocpp1.6' });
    off();
    bus.emit('charger.connected', { chargePointId: 'CP1', protocol: 'ocpp1.6' });
    assert.equal(heard, 1);
  });

  it('a charger over a real WebSocket: connected, booted, status, transaction started/stopped/flagged, disconnected', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const heard: PendingEvent[] = [];
      backend.handle.events.subscribe((event) => void heard.push(event));
      const charger = await connectCharger(backend.ocppUrl, 'CP-EVENTS');
      await charger.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Wallbox 7' });
      await charger.call('StatusNotification', { connectorId: 1, status: 'Preparing', errorCode: 'NoError' });
      const { transactionId } = (await charger.call('StartTransaction', {
        connectorId: 1,
        idTag: 'UNKNOWN-TAG',
        meterStart: 100,
        timestamp: '2026-01-01T10:00:00Z',
      })) as { transactionId: number };
      await charger.call('StopTransaction', { transactionId, meterStop: 900, timestamp: '2026-01-01T11:00:00Z' });
      await charger.call('StopTransaction', { transactionId: 999999, meterStop: 1, timestamp: '2026-01-01T11:00:00Z' });
      await charger.close();
      await waitFor('charger.disconnected', () => heard.some((event) => event.type === 'charger.disconnected'));
      assert.deepEqual(
        heard.map((event) => event.type),
        [
          'charger.connected',
          'charger.booted',
          'connector.status',
          'transaction.started',
          'transaction.stopped',
          'transaction.flagged',
          'charger.disconnected',
        ],
      );
      const started = heard[3] as PendingEvent<'transaction.started'>;
      assert.equal(started.data.transactionId, transactionId);
      assert.equal(started.data.authorization, 'Invalid');
      assert.equal((heard[1] as PendingEvent<'charger.booted'>).data.model, 'Wallbox 7');
      assert.equal((heard[5] as PendingEvent<'transaction.flagged'>).data.flag, 'unknownTransaction');
    });
  });
});
