// The bench's chargers come from many loopback source addresses, as a fleet comes from many NAT gateways, so the
// proxy's per-address limits see what they would see in the field; one address only when asked.

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { fleetSourceAddresses, LoadFleet } from '../../bench/load-fleet.js';

describe('the load fleet’s source addresses', () => {
  let server: WebSocketServer;
  let url: string;
  const seen: string[] = [];
  let fleet: LoadFleet;

  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (_ws, request) => seen.push(request.socket.remoteAddress ?? ''));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ocpp`;
    fleet = await LoadFleet.start(1);
  });

  after(async () => {
    await fleet?.stop();
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('spreads the connections over the addresses, in turn', async () => {
    seen.length = 0;
    const ids = Array.from({ length: 8 }, (_, i) => `SRC${i}`);
    const opened = await fleet.open({ url, ids, concurrency: 4, sourceAddresses: 4 });
    assert.equal(opened.opened, 8, JSON.stringify(opened.failures));
    assert.deepEqual([...new Set(seen)].sort(), ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4']);
    assert.equal(await fleet.closeAll(), 8);
  });

  it('uses the one address of the OS when asked for 1', async () => {
    seen.length = 0;
    const opened = await fleet.open({ url, ids: ['ONE1', 'ONE2'], concurrency: 2, sourceAddresses: 1 });
    assert.equal(opened.opened, 2);
    assert.deepEqual([...new Set(seen)], ['127.0.0.1']);
    assert.equal(await fleet.closeAll(), 2);
  });

  it('names 64 addresses by default on IPv4 loopback, none elsewhere', () => {
    const addresses = fleetSourceAddresses('wss://127.0.0.1:8443/ocpp')!;
    assert.equal(addresses.length, 64);
    assert.equal(new Set(addresses).size, 64);
    assert.equal(fleetSourceAddresses('wss://localhost:8443/ocpp'), undefined);
    assert.equal(fleetSourceAddresses('wss://[::1]:8443/ocpp'), undefined);
  });
});
