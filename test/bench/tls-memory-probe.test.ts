// The bare node:tls memory probe (bench/tls-memory-probe.ts) on a small N: it holds the connections it was asked
// for, names the group really negotiated and the server's runtime, and reports an RSS per connection. No figure is
// compared with a limit: the numbers are for docs/PERFORMANCE.md.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { probeTlsMemory } from '../../bench/tls-memory-probe.js';
import { POST_QUANTUM_GROUP, runtimeSupportsGroup } from '../../proxy/tls/key-exchange-groups.js';

describe('TLS memory probe', () => {
  it('holds N idle connections on a bare node:tls server and reports what they cost', async () => {
    const result = await probeTlsMemory({
      serverNode: process.execPath,
      clientNode: process.execPath,
      groups: 'X25519',
      connections: 40,
      jemalloc: false,
    });
    assert.equal(result.held, 40);
    assert.equal(result.negotiated, 'X25519');
    assert.equal(result.serverVersion, process.version);
    assert.equal(result.serverOpenssl, process.versions.openssl);
    assert.ok(result.rssBeforeMb > 10 && result.rssHeldMb > 10, JSON.stringify(result));
    assert.ok(Number.isFinite(result.perConnectionKb));
    // The server's own heap accounting, read after a full GC before and with the connections held.
    assert.ok(result.heapBefore.heapTotalMb > 0 && result.heapHeld.heapUsedMb > 0, JSON.stringify(result));
    assert.ok(Number.isFinite(result.heapPerConnectionKb));
  });

  it(`negotiates ${POST_QUANTUM_GROUP} when both sides offer it and the runtime has it`, async (t) => {
    if (!runtimeSupportsGroup(POST_QUANTUM_GROUP)) {
      t.skip(`${process.version} (OpenSSL ${process.versions.openssl}) has no ML-KEM; CI's Node 24 run covers it`);
      return;
    }
    const result = await probeTlsMemory({
      serverNode: process.execPath,
      clientNode: process.execPath,
      groups: `${POST_QUANTUM_GROUP}:X25519`,
      connections: 20,
      jemalloc: false,
    });
    assert.equal(result.negotiated, POST_QUANTUM_GROUP);
    assert.equal(result.held, 20);
  });
});
