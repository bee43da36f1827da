// Issue 6, point 5 (--acme-store redis): proxies on two "machines" (different data dirs, nothing shared but a
// Redis this file starts on its own port) against a real Pebble. Exactly one order between them, both serve the
// same certificate, a challenge token written by one is answered by the other's port-80 listener (also for a
// real validation by the CA), a renewal stored by either is picked up by both, the lock keeps orders one at a
// time and can only be extended or released by its holder, and a restart serves the stored certificate without
// ordering. Nothing ACME lands in the data dirs.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { LockBusyError } from '../../../../proxy/tls/acme/lock.js';
import { acmeKeys } from '../../../../proxy/tls/acme/redis-keys.js';
import { RedisLock } from '../../../../proxy/tls/acme/redis-lock.js';
import { startProxy, type ProxyHandle } from '../../../../proxy/server.js';
import {
  captureLog,
  flagsToArgs,
  handshakeCertificate,
  metricValue,
  proxyConfig,
  startEchoUpstream,
  type CapturedLog,
} from '../../../support/acme-helpers.js';
import { ACME_POLL, pebbleUnavailable, startPebble, trustPebble, type Pebble } from '../../../support/acme-pebble.js';
import { runCli } from '../../../support/cli.js';
import { freePorts } from '../../../support/ports.js';
import { redisServerUnavailable, startRedis, type TestRedis } from '../../../support/redis-server.js';
import { waitFor } from '../../../support/waiting.js';

const DOMAIN = 'charger.test';
const redisSkip = redisServerUnavailable('--acme-store redis tests');
const skip = redisSkip ?? pebbleUnavailable();
const timings: Record<string, number> = {};

describe('the ACME lock in Redis', { skip: redisSkip, concurrency: false }, () => {
  let server: TestRedis;
  let redis: Redis;

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { lazyConnect: false });
  });

  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  test('one holder at a time: the other gets LockBusyError naming the holder, then the lock once it is released', async () => {
    const first = new RedisLock(redis, { key: 'test:lock:contention', pollMs: 20 });
    const second = new RedisLock(redis, { key: 'test:lock:contention', pollMs: 20 });
    const held = await first.acquire('first order', 0);
    await assert.rejects(
      second.acquire('second order', 150),
      (error: unknown) => error instanceof LockBusyError && error.holder?.purpose === 'first order',
    );
    const waiting = second.acquire('second order', 5_000);
    setTimeout(() => void held.release(), 100);
    const next = await waiting;
    assert.equal(next.holder.purpose, 'second order');
    await next.release();
    assert.equal(await redis.exists('test:lock:contention'), 0);
  });

  test("the holder keeps extending its lock past the TTL; a crashed holder's lock expires", async () => {
    const lock = new RedisLock(redis, { key: 'test:lock:ttl', ttlMs: 300, pollMs: 20 });
    const held = await lock.acquire('long order', 0);
    await sleep(1_000);
    await assert.rejects(
      new RedisLock(redis, { key: 'test:lock:ttl', pollMs: 20 }).acquire('intruder', 100),
      LockBusyError,
    );
    await held.release();
    // A holder that died: its value stays only until the expiry it was set with.
    await redis.set(
      'test:lock:ttl',
      JSON.stringify({ pid: 1, hostname: 'gone', token: 'x', purpose: 'crashed' }),
      'PX',
      300,
    );
    const started = Date.now();
    const taken = await new RedisLock(redis, { key: 'test:lock:ttl', pollMs: 20 }).acquire('survivor', 2_000);
    assert.ok(Date.now() - started >= 200, 'not before the expiry');
    await taken.release();
  });

  test("a holder that lost its lock can neither extend nor release the new holder's", async () => {
    const lock = new RedisLock(redis, { key: 'test:lock:token', ttlMs: 150, pollMs: 20 });
    const held = await lock.acquire('paused holder', 0);
    // As if the holder paused past the TTL and another process took the lock meanwhile.
    await redis.set('test:lock:token', 'someone else', 'PX', 10_000);
    await sleep(200); // extensions run and must not touch it
    await held.release();
    assert.equal(await redis.get('test:lock:token'), 'someone else');
    assert.ok((await redis.pttl('test:lock:token')) > 9_000, "the other holder's expiry was not changed");
  });
});

describe('two proxies sharing ACME state in Redis, against Pebble', { skip, concurrency: false }, () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-acme-redis-'));
  let pebble: Pebble;
  let server: TestRedis;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  const running: ProxyHandle[] = [];
  /** The two "machines": A listens on Pebble's validation port, B on another one. */
  const machines: Record<'a' | 'b', { proxy: ProxyHandle; log: CapturedLog; dataDir: string; httpPort: number }> =
    {} as never;
  let renewedSerial: string;

  before(async () => {
    const [httpPort] = await freePorts(1);
    // No reuse of valid authorizations: every order must really be validated through a port-80 listener.
    pebble = await startPebble({ httpPort, env: { PEBBLE_AUTHZREUSE: '0' } });
    trustPebble(pebble);
    server = await startRedis();
    upstream = await startEchoUpstream();
  });

  after(async () => {
    for (const proxy of running.splice(0)) await proxy.stop().catch(() => undefined);
    await upstream?.close();
    await server?.stop();
    await pebble?.close();
    rmSync(root, { recursive: true, force: true });
    process.stderr.write(`ACME redis timings (ms): ${JSON.stringify(timings)}\n`);
  });

  const flags = (dataDir: string, httpPort: number) => ({
    tls: 'acme',
    domain: DOMAIN,
    'data-dir': dataDir,
    'http-port': httpPort,
    'acme-directory': pebble.directoryUrl,
    'acme-email': 'ops@charger.test',
    'acme-store': 'redis',
    redis: server.url,
    upstream: upstream.url,
  });

  async function startMachine(name: string, httpPort: number) {
    const dataDir = mkdtempSync(path.join(root, `${name}-`));
    const log = captureLog();
    const proxy = await startProxy(proxyConfig(flags(dataDir, httpPort)), log.logger);
    running.push(proxy);
    return { proxy, log, dataDir, httpPort };
  }

  const ordersOf = async (proxy: ProxyHandle) =>
    metricValue(await proxy.registry.metrics(), 'ocpp_edge_acme_orders_total', { result: 'success' }) ?? 0;
  const logged = (message: string) =>
    [machines.a, machines.b].flatMap((machine) => machine.log.lines.filter((line) => line.msg === message));

  test('started together: exactly one order, and both serve the same certificate', async () => {
    const [otherHttpPort] = await freePorts(1);
    const started = Date.now();
    [machines.a, machines.b] = await Promise.all([
      startMachine('a', pebble.httpPort),
      startMachine('b', otherHttpPort),
    ]);
    const { a, b } = machines;
    await waitFor(
      'both proxies to serve the ACME certificate',
      () =>
        a.proxy.certificateStore.lookup(DOMAIN)?.origin === 'acme' &&
        b.proxy.certificateStore.lookup(DOMAIN)?.origin === 'acme',
      { ...ACME_POLL, timeoutMs: 20_000, log: pebble.log },
    );
    timings.bothServingFromStart = Date.now() - started;
    // The loser of the lock finishes its check: it finds the stored certificate and does not order.
    await waitFor('the second proxy to skip ordering', () => logged('certificate not due for renewal').length >= 1, {
      ...ACME_POLL,
      timeoutMs: 10_000,
    });
    assert.equal((await ordersOf(a.proxy)) + (await ordersOf(b.proxy)), 1, 'one order between them');
    assert.equal(logged('ACME order created').length, 1);
    const [servedA, servedB] = await Promise.all([
      handshakeCertificate(a.proxy.httpsPort, DOMAIN),
      handshakeCertificate(b.proxy.httpsPort, DOMAIN),
    ]);
    assert.match(servedA.issuer, /Pebble/);
    assert.equal(servedA.serialNumber, servedB.serialNumber);
    // Nothing ACME on either disk: account, certificate, key and lock are in Redis.
    for (const machine of [a, b]) assert.equal(existsSync(path.join(machine.dataDir, 'acme')), false);
    const inspect = new Redis(server.url);
    try {
      assert.equal(
        await inspect.hget(acmeKeys.certificate(DOMAIN), 'cert'),
        a.proxy.certificateStore.lookup(DOMAIN)!.certPem,
      );
      assert.deepEqual(await inspect.smembers(acmeKeys.domains), [DOMAIN]);
      assert.equal(await inspect.exists(acmeKeys.lock), 0, 'the lock was released');
    } finally {
      inspect.disconnect();
    }
  });

  test("a challenge token written by one proxy is answered by the other's port-80 listener", async () => {
    const { a, b } = machines;
    await b.proxy.challengeStore.set('token-from-b', 'token-from-b.thumbprint');
    await a.proxy.challengeStore.set('token-from-a', 'token-from-a.thumbprint');
    assert.deepEqual(await fetchChallenge(a.httpPort, 'token-from-b'), {
      status: 200,
      body: 'token-from-b.thumbprint',
    });
    assert.deepEqual(await fetchChallenge(b.httpPort, 'token-from-a'), {
      status: 200,
      body: 'token-from-a.thumbprint',
    });
    await b.proxy.challengeStore.remove('token-from-b');
    assert.equal((await fetchChallenge(a.httpPort, 'token-from-b')).status, 404);
  });

  test("a renewal ordered from B's side is validated through A's listener, and both proxies pick it up", async () => {
    const { a, b } = machines;
    const before = await handshakeCertificate(a.proxy.httpsPort, DOMAIN);
    const answeredByA = a.log.lines.filter(
      (line) => line.msg === 'acme challenge requested' && line.status === 200,
    ).length;
    // `certs renew` with B's configuration: its data dir, its port 80 (Pebble cannot reach it), the shared Redis.
    const started = Date.now();
    const result = await runCli(
      ['certs', 'renew', '--force', ...flagsToArgs({ ...flags(b.dataDir, b.httpPort), host: '127.0.0.1' })],
      {
        env: { NODE_EXTRA_CA_CERTS: pebble.caFile, OCPP_EDGE_LOG_PRETTY: 'false' },
      },
    );
    timings.certsRenewCli = Date.now() - started;
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    renewedSerial = /serial ([0-9A-F]+)/.exec(result.stdout)![1];
    assert.notEqual(renewedSerial, before.serialNumber);
    assert.ok(
      a.log.lines.filter((line) => line.msg === 'acme challenge requested' && line.status === 200).length > answeredByA,
      'Pebble validated through A',
    );
    const announced = Date.now();
    await waitFor(
      'both proxies to serve the renewed certificate',
      async () =>
        (await handshakeCertificate(a.proxy.httpsPort, DOMAIN)).serialNumber === renewedSerial &&
        (await handshakeCertificate(b.proxy.httpsPort, DOMAIN)).serialNumber === renewedSerial,
      { ...ACME_POLL, timeoutMs: 5_000 },
    );
    timings.bothServingRenewal = Date.now() - announced;
    assert.equal(existsSync(path.join(b.dataDir, 'acme')), false);
  });

  test('restart on a fresh machine: the stored certificate is served at once, no new order', async () => {
    for (const proxy of running.splice(0)) await proxy.stop();
    const c = await startMachine('c', pebble.httpPort);
    assert.equal(
      c.proxy.certificateStore.lookup(DOMAIN)?.origin,
      'acme',
      'no placeholder when Redis holds a certificate',
    );
    assert.equal((await handshakeCertificate(c.proxy.httpsPort, DOMAIN)).serialNumber, renewedSerial);
    await waitFor('the start-up renewal check', () => c.log.find('certificate not due for renewal') !== undefined, {
      ...ACME_POLL,
      timeoutMs: 10_000,
    });
    assert.equal(await ordersOf(c.proxy), 0);
    assert.equal(c.log.find('ACME order created'), undefined);
    assert.equal(c.log.find('created ACME account key'), undefined);
  });
});

function fetchChallenge(port: number, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          host: '127.0.0.1',
          port,
          path: `/.well-known/acme-challenge/${token}`,
          headers: { host: DOMAIN },
          timeout: 2_000,
        },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: body.trim() }));
        },
      )
      .on('error', reject);
  });
}
