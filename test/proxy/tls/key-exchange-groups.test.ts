// Issue 22, §1: post-quantum key exchange. The proxy offers X25519MLKEM768 first where the runtime's OpenSSL has
// it (Node 24; not Node 20's OpenSSL 3.0), --tls-groups sets the list, and `check` shows what was negotiated. Every
// test runs on both runtimes CI uses and expects what that runtime can do.

import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { ConfigError } from '../../../common/config.js';
import { checkTlsVersions, keyExchange } from '../../../tools/check/tls-versions.js';
import { checkTarget } from '../../../tools/check/target.js';
import { defaultTlsGroups, POST_QUANTUM_GROUP, runtimeSupportsGroup } from '../../../proxy/tls/key-exchange-groups.js';
import { checkConfig, startCheckStack, type CheckStack } from '../../support/check-stack.js';
import { proxyConfig, startProxyUnderTest } from '../../support/proxy-under-test.js';
import { tlsConnect } from '../../support/tls-clients.js';

const postQuantum = runtimeSupportsGroup(POST_QUANTUM_GROUP);

function negotiatedGroup(socket: TLSSocket): string | undefined {
  return (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
}

describe('TLS key exchange groups', () => {
  test(`the default offers ${POST_QUANTUM_GROUP} first where the runtime has it (${process.version}: ${postQuantum ? 'yes' : 'no'})`, () => {
    const groups = defaultTlsGroups();
    assert.deepEqual(
      groups,
      postQuantum ? [POST_QUANTUM_GROUP, 'X25519', 'P-256', 'P-384'] : ['X25519', 'P-256', 'P-384'],
    );
    assert.equal(proxyConfig({}, '/tmp').tlsGroups, groups.join(':'));
  });

  describe('a proxy with the default groups', () => {
    let edge: Awaited<ReturnType<typeof startProxyUnderTest>>;
    before(async () => {
      edge = await startProxyUnderTest({ tls: 'self-signed', domain: ['localhost'], 'log-level': 'silent' });
    });
    after(() => edge.close());

    test('negotiates the post-quantum hybrid with a client that offers it, X25519 with one that does not', async () => {
      const sockets: TLSSocket[] = [];
      const groupWith = async (ecdhCurve?: string) => {
        const socket = await tlsConnect(edge.proxy.httpsPort, {
          servername: 'localhost',
          ...(ecdhCurve ? { ecdhCurve } : {}),
        });
        sockets.push(socket);
        return negotiatedGroup(socket);
      };
      try {
        assert.equal(await groupWith(), postQuantum ? POST_QUANTUM_GROUP : 'X25519');
        assert.equal(await groupWith('X25519:P-256'), 'X25519');
        // OpenSSL names P-256 by its ASN.1 name.
        assert.equal(await groupWith('P-256'), 'prime256v1');
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });
  });

  test('--tls-groups X25519:P-256 takes the hybrid out even for a client that offers it', async () => {
    const edge = await startProxyUnderTest({
      tls: 'self-signed',
      domain: ['localhost'],
      'tls-groups': 'X25519:P-256',
      'log-level': 'silent',
    });
    try {
      const socket = await tlsConnect(edge.proxy.httpsPort, { servername: 'localhost' });
      try {
        assert.equal(negotiatedGroup(socket), 'X25519');
      } finally {
        socket.destroy();
      }
    } finally {
      await edge.close();
    }
  });

  test('a group the runtime does not know is a configuration error naming --tls-groups', () => {
    assert.throws(
      () => proxyConfig({ 'tls-groups': 'X25519:NotAGroup' }, '/tmp'),
      (error: unknown) =>
        error instanceof ConfigError &&
        /tls-groups/.test(error.message) &&
        /NotAGroup is not a key exchange group/.test(error.message),
    );
    if (!postQuantum)
      assert.throws(() => proxyConfig({ 'tls-groups': POST_QUANTUM_GROUP }, '/tmp'), /not a key exchange group/);
  });

  describe('ocpp-edge check', () => {
    let stack: CheckStack;
    before(async () => {
      stack = await startCheckStack();
    });
    after(() => stack.close());

    test('shows the negotiated group in the TLS 1.3 row', async () => {
      const results = await checkTlsVersions(checkTarget(checkConfig({ url: stack.url, ca: stack.caFile })));
      const tls13 = results.find((result) => result.name === 'TLS 1.3');
      assert.equal(tls13?.status, 'pass');
      assert.match(
        tls13?.detail ?? '',
        postQuantum ? /key exchange X25519MLKEM768 \(post-quantum\)/ : /key exchange X25519(,|$)/,
      );
      assert.equal(keyExchange(undefined), 'key exchange unknown');
    });
  });
});
