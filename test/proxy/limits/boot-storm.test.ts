// Issue 17 §1: a boot storm is not an attack. With every limit at its default, chargers reconnecting all at once
// through several addresses (NAT gateways; here 127.0.0.2-9) all get through: no refusal of any reason. The suite
// runs a bounded storm (BOOT_STORM_CHARGERS, 1,000 by default, all connecting at once); the defaults are sized for
// 10,000 through 8 addresses (1,250 each: under the burst of 4,096 new connections, the 2,048 handshakes in
// progress and the 4,096 connections per address).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type WebSocket from 'ws';
import {
  metricValue,
  scrapeMetrics,
  startProxyUnderTest,
  type ProxyUnderTest,
} from '../../support/proxy-under-test.js';
import { startTestUpstream, type TestUpstream } from '../../support/test-upstream.js';
import { openWebSocket } from '../../support/tls-clients.js';

const CHARGERS = Number(process.env.BOOT_STORM_CHARGERS ?? 1000);
const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
const REASONS = ['max_connections', 'connection_rate', 'tls_handshakes', 'connections_per_address', 'banned_address'];

describe('a boot storm with the default limits', () => {
  let upstream: TestUpstream;
  let edge: ProxyUnderTest;

  before(async () => {
    upstream = await startTestUpstream();
    edge = await startProxyUnderTest({ upstream: [upstream.url], tls: 'self-signed' });
  });

  after(async () => {
    await edge?.close();
    await upstream?.close();
  });

  test(`${CHARGERS} chargers from ${ADDRESSES.length} addresses at once all connect, none refused`, async () => {
    const port = edge.proxy.httpsPort;
    const results = await Promise.allSettled(
      Array.from({ length: CHARGERS }, (_, i) =>
        openWebSocket(port, `/ocpp/STORM-${i}`, 'ocpp1.6', {
          localAddress: ADDRESSES[i % ADDRESSES.length],
          handshakeTimeout: 120_000,
        }),
      ),
    );
    const opened = results.filter((result) => result.status === 'fulfilled').map((result) => result.value as WebSocket);
    const failures = results.filter((result) => result.status === 'rejected').map((result) => String(result.reason));
    try {
      assert.equal(opened.length, CHARGERS, `failures: ${[...new Set(failures)].slice(0, 5).join('; ')}`);
      const metrics = await scrapeMetrics(edge.proxy);
      for (const reason of REASONS)
        assert.equal(metricValue(metrics, 'ocpp_edge_limit_refusals_total', { reason }) ?? 0, 0, reason);
    } finally {
      for (const socket of opened) socket.terminate();
    }
  });
});
