// ACME against a real Pebble: the proxy's own port-80 listener answers http-01, certificates land in the data
// dir, and new handshakes see them without a restart. One Pebble serves the whole file; every case has its own
// data dir. Pebble's validation port is fixed, so each case's proxy (the one answering challenges) binds it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs, {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, mock, test } from 'node:test';
import acme from 'acme-client';
import WebSocket from 'ws';
import { readCertificateInfo } from '../../../../proxy/tls/acme/certificate-info.js';
import { startProxy, type ProxyHandle } from '../../../../proxy/server.js';
import { startAriEndpoint, type AriEndpoint } from '../../../support/acme-ari.js';
import {
  captureLog,
  flagsToArgs,
  handshakeCertificate,
  metricValue,
  proxyConfig,
  scrape,
  spawnProxy,
  startEchoUpstream,
  type CapturedLog,
} from '../../../support/acme-helpers.js';
import { ACME_POLL, pebbleUnavailable, startPebble, trustPebble, type Pebble } from '../../../support/acme-pebble.js';
import { runCli } from '../../../support/cli.js';
import { freePorts } from '../../../support/ports.js';
import { waitFor } from '../../../support/waiting.js';

const DOMAIN = 'charger.test';
const CLUSTER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../support/acme-cluster.js');
const skip = pebbleUnavailable();
const root = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-acme-'));
let pebble: Pebble;
let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
const running: Array<{ stop(): Promise<void> }> = [];
const timings: Record<string, number> = {};

describe('ACME against Pebble', { skip, concurrency: false }, () => {
  before(async () => {
    const [httpPort] = await freePorts(1);
    pebble = await startPebble({ httpPort });
    trustPebble(pebble);
    upstream = await startEchoUpstream();
  });

  // A failed case must not leave its proxy on Pebble's validation port for the next one.
  afterEach(async () => {
    for (const process of running.splice(0).reverse()) await process.stop().catch(() => undefined);
  });

  after(async () => {
    await upstream?.close();
    await pebble?.close();
    rmSync(root, { recursive: true, force: true });
    process.stderr.write(`ACME timings (ms): ${JSON.stringify(timings)}\n`);
  });

  /** Flags every proxy here shares; `dataDir` and extras per case. */
  const flags = (dataDir: string, extra: Record<string, unknown> = {}) => ({
    tls: 'acme',
    domain: DOMAIN,
    'data-dir': dataDir,
    'http-port': pebble.httpPort,
    'acme-directory': pebble.directoryUrl,
    'acme-email': 'ops@charger.test',
    upstream: upstream.url,
    ...extra,
  });
  const childEnv = () => ({ NODE_EXTRA_CA_CERTS: pebble.caFile, OCPP_EDGE_LOG_PRETTY: 'false' });

  async function proxyInProcess(
    dataDir: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ proxy: ProxyHandle; log: CapturedLog }> {
    const log = captureLog();
    const proxy = await startProxy(proxyConfig(flags(dataDir, extra)), log.logger);
    running.push(proxy);
    return { proxy, log };
  }

  async function stopProxy(proxy: ProxyHandle): Promise<void> {
    await proxy.stop();
    running.splice(running.indexOf(proxy), 1);
  }

  async function orders(proxy: ProxyHandle, result: 'success' | 'failure'): Promise<number | undefined> {
    return metricValue(await proxy.registry.metrics(), 'ocpp_edge_acme_orders_total', { result });
  }
  async function nextRenewalMs(proxy: ProxyHandle): Promise<number> {
    return (
      metricValue(await proxy.registry.metrics(), 'ocpp_edge_acme_next_renewal_timestamp_seconds', {
        domain: DOMAIN,
      })! * 1000
    );
  }

  const servedOrigin = (proxy: ProxyHandle) => proxy.certificateStore.lookup(DOMAIN)?.origin;
  const firstDataDir = path.join(root, 'first');

  test('first issuance: a logged self-signed placeholder, then a Pebble certificate for new handshakes', async () => {
    const started = Date.now();
    const { proxy, log } = await proxyInProcess(firstDataDir);
    const placeholder = await handshakeCertificate(proxy.httpsPort, DOMAIN);
    assert.match(placeholder.subject, /placeholder/);
    assert.ok(log.find(/serving a self-signed placeholder/), 'the placeholder is logged');

    await waitFor('the first ACME certificate', () => servedOrigin(proxy) === 'acme', {
      ...ACME_POLL,
      timeoutMs: 20_000,
      log: pebble.log,
    });
    timings.firstIssuanceFromStart = Date.now() - started;

    const pebbleRoot = await pebble.rootPem();
    const served = await handshakeCertificate(proxy.httpsPort, DOMAIN, pebbleRoot);
    assert.match(served.issuer, /Pebble Intermediate CA/);
    assert.equal(served.authorized, true, `chain verifies against Pebble's root: ${served.authorizationError}`);
    assert.equal(await orders(proxy, 'success'), 1);

    // The certificate is served a moment before the renewal time is planned (after an ARI look-up): wait for it.
    const next = (await waitFor('the next renewal time', async () => nextRenewalMs(proxy), ACME_POLL)) / 1000;
    const info = readCertificateInfo(proxy.certificateStore.lookup(DOMAIN)!.certPem);
    const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
    assert.equal(
      next,
      Math.floor((info.notAfter.getTime() - lifetime / 3) / 1000),
      'next renewal when a third of the lifetime remains',
    );

    const current = JSON.parse(
      readFileSync(path.join(firstDataDir, 'acme/certificates', DOMAIN, 'current.json'), 'utf8'),
    ) as { version: string };
    const keyFile = path.join(firstDataDir, 'acme/certificates', DOMAIN, current.version, 'privkey.pem');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.ok(log.find('http-01 challenge valid'));
    const issued = log.find('serving ACME certificate for new handshakes') as { why: string };
    timings.issuance = Number(/issued in (\d+) ms/.exec(issued.why)?.[1]);
    await stopProxy(proxy);
  });

  test('restart with the stored certificate: served at once, no new order', async () => {
    const dataDir = path.join(root, 'restart');
    cpSync(firstDataDir, dataDir, { recursive: true });
    const stored = readCertificateInfo(storedChain(dataDir));
    const { proxy, log } = await proxyInProcess(dataDir);
    assert.equal(servedOrigin(proxy), 'acme', 'no placeholder when a certificate is stored');
    assert.equal((await handshakeCertificate(proxy.httpsPort, DOMAIN)).serialNumber, stored.serialNumber);
    await waitFor('the start-up renewal check', () => log.find('certificate not due for renewal') !== undefined, {
      ...ACME_POLL,
      timeoutMs: 10_000,
    });
    assert.equal(await orders(proxy, 'success'), 0);
    assert.equal(await orders(proxy, 'failure'), 0);
    assert.equal(log.find('ACME order created'), undefined);
    await stopProxy(proxy);
  });

  test('ECDSA and RSA (--acme-key-type twice): a second order, both stored and served, each renewal planned', async () => {
    const dataDir = path.join(root, 'dual');
    cpSync(firstDataDir, dataDir, { recursive: true });
    const ecdsa = readCertificateInfo(storedChain(dataDir));
    const { proxy, log } = await proxyInProcess(dataDir, { 'acme-key-type': ['ecdsa-p256', 'rsa-2048'] });
    await waitFor(
      'the RSA certificate beside the ECDSA one',
      () => proxy.certificateStore.certificatesFor(DOMAIN).length === 2,
      { ...ACME_POLL, timeoutMs: 30_000, log: pebble.log },
    );
    assert.equal(await orders(proxy, 'success'), 1, 'one order: the ECDSA certificate was not due');
    const [ec, rsa] = proxy.certificateStore.certificatesFor(DOMAIN);
    assert.deepEqual([ec!.keyType, rsa!.keyType], ['ec', 'rsa']);
    assert.equal(ec!.serialNumber, ecdsa.serialNumber);
    const rsaStored = path.join(dataDir, 'acme/certificates', `${DOMAIN}+rsa-2048`, 'current.json');
    assert.ok(existsSync(rsaStored), 'the RSA certificate is stored under its own key');
    // The client's signature algorithms pick one.
    const viaEcdsa = await handshakeCertificate(proxy.httpsPort, DOMAIN, undefined, 'ecdsa_secp256r1_sha256');
    assert.equal(viaEcdsa.serialNumber, ec!.serialNumber.toUpperCase());
    const viaRsa = await handshakeCertificate(proxy.httpsPort, DOMAIN, undefined, 'rsa_pss_rsae_sha256:RSA+SHA256');
    assert.equal(viaRsa.serialNumber, rsa!.serialNumber.toUpperCase());
    // Each certificate has its own renewal (and ARI window) under its storage key.
    const metrics = await proxy.registry.metrics();
    for (const domain of [DOMAIN, `${DOMAIN}+rsa-2048`])
      await waitFor(`the next renewal of ${domain}`, async () =>
        metricValue(await proxy.registry.metrics(), 'ocpp_edge_acme_next_renewal_timestamp_seconds', { domain }),
      );
    assert.ok(metrics.length > 0);
    assert.ok(log.find('certificate not due for renewal'), 'the ECDSA certificate was checked and kept');
    await stopProxy(proxy);
  });

  test('`certs renew --force` while a WSS connection stays open: new handshakes see the new serial', async () => {
    const dataDir = path.join(root, 'renew');
    cpSync(firstDataDir, dataDir, { recursive: true });
    const { proxy } = await proxyInProcess(dataDir);
    const before = await handshakeCertificate(proxy.httpsPort, DOMAIN);

    const socket = new WebSocket(`wss://127.0.0.1:${proxy.httpsPort}/ocpp/CP-ACME-1`, ['ocpp1.6'], {
      servername: DOMAIN,
      rejectUnauthorized: false,
    } as WebSocket.ClientOptions);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const echo = async (text: string) => {
      const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
      socket.send(text);
      return reply;
    };
    assert.equal(await echo('before'), 'before');
    const tlsSocket = (socket as unknown as { _socket: import('node:tls').TLSSocket })._socket;
    const openSerial = tlsSocket.getPeerCertificate().serialNumber.toUpperCase();
    assert.equal(openSerial, before.serialNumber);

    const started = Date.now();
    const result = await runCli(['certs', 'renew', '--force', ...flagsToArgs(flags(dataDir, { host: '127.0.0.1' }))], {
      env: childEnv(),
    });
    timings.certsRenewForceCli = Date.now() - started;
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /^Renewed charger\.test/);

    let after = before;
    await waitFor(
      'the renewed certificate',
      async () => {
        after = await handshakeCertificate(proxy.httpsPort, DOMAIN);
        return after.serialNumber !== before.serialNumber;
      },
      { ...ACME_POLL, timeoutMs: 5_000 },
    );
    timings.pickUpAfterCli = Date.now() - started - timings.certsRenewForceCli;
    assert.match(result.stdout, new RegExp(`serial ${after.serialNumber}`));
    assert.equal(socket.readyState, WebSocket.OPEN, 'the open connection survived');
    assert.equal(await echo('after'), 'after');
    assert.equal(
      tlsSocket.getPeerCertificate().serialNumber.toUpperCase(),
      before.serialNumber,
      'the open connection keeps its handshake',
    );
    socket.close();

    const list = await runCli(['certs', 'list', '--json', '--tls', 'acme', '--domain', DOMAIN, '--data-dir', dataDir], {
      env: childEnv(),
    });
    const [listing] = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    assert.equal(listing.domain, DOMAIN);
    assert.equal(listing.serialNumber, after.serialNumber);
    assert.equal(listing.keyType, 'ecdsa-p256');
    assert.equal(listing.chainLength, 2);
    assert.ok((listing.daysLeft as number) > 1000, 'Pebble issues 5-year certificates');
    const table = await runCli(['certs', 'list', '--tls', 'acme', '--domain', DOMAIN, '--data-dir', dataDir], {
      env: childEnv(),
    });
    assert.match(table.stdout, /^DOMAIN\s+NAMES\s+ISSUER\s+KEY\s+NOT BEFORE\s+NOT AFTER\s+DAYS LEFT\s+CHAIN\s+BYTES/);
    assert.match(table.stdout, /charger\.test\s+charger\.test\s+Pebble Intermediate CA \w+\s+ecdsa-p256/);

    const dryRun = await runCli(
      ['certs', 'renew', '--dry-run', ...flagsToArgs(flags(dataDir, { host: '127.0.0.1' }))],
      { env: childEnv() },
    );
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.match(dryRun.stdout, /Dry run OK .* Nothing was stored/);
    assert.equal(
      (await handshakeCertificate(proxy.httpsPort, DOMAIN)).serialNumber,
      after.serialNumber,
      'a dry run changes nothing served',
    );
    await stopProxy(proxy);
  });

  test('two proxy processes sharing the data dir: exactly one order, both serve it, both pick up a renewal', async () => {
    const dataDir = path.join(root, 'shared');
    const [otherHttpPort] = await freePorts(1);
    // Only the first binds Pebble's validation port; the second's tokens are answered by the first (shared files).
    // B starts once A listens: in this topology B's tokens can only be answered through A's port (under PM2
    // cluster mode the workers share one port and the order would not matter).
    const a = spawnProxy(
      flagsToArgs({ ...flags(dataDir), host: '127.0.0.1', 'https-port': 0, 'metrics-port': 0, tls: 'acme' }),
      childEnv(),
    );
    running.push(a);
    const portsA = await a.ports;
    const b = spawnProxy(
      flagsToArgs({
        ...flags(dataDir, { 'http-port': otherHttpPort }),
        host: '127.0.0.1',
        'https-port': 0,
        'metrics-port': 0,
        tls: 'acme',
      }),
      childEnv(),
    );
    running.push(b);
    const portsB = await b.ports;
    const served = async (port: number) => (await handshakeCertificate(port, DOMAIN)).issuer;
    await waitFor(
      'both proxies to serve the ACME certificate',
      async () => /Pebble/.test(await served(portsA.httpsPort)) && /Pebble/.test(await served(portsB.httpsPort)),
      { ...ACME_POLL, timeoutMs: 20_000, log: [...a.output, ...b.output] },
    );
    const [serialA, serialB] = await Promise.all([
      handshakeCertificate(portsA.httpsPort, DOMAIN),
      handshakeCertificate(portsB.httpsPort, DOMAIN),
    ]);
    assert.equal(serialA.serialNumber, serialB.serialNumber);

    const ordersOf = async (port: number, result: string) =>
      metricValue(await scrape(port), 'ocpp_edge_acme_orders_total', { result }) ?? 0;
    // Let the loser of the lock finish its check: it must find the stored certificate and not order.
    await waitFor(
      'the second process to skip',
      async () =>
        [...a.output, ...b.output].filter((line) => line.includes('certificate not due for renewal')).length >= 1,
      { ...ACME_POLL, timeoutMs: 10_000, log: [...a.output, ...b.output] },
    );
    assert.equal(
      (await ordersOf(portsA.metricsPort, 'success')) + (await ordersOf(portsB.metricsPort, 'success')),
      1,
      'one order between them',
    );
    assert.equal((await ordersOf(portsA.metricsPort, 'failure')) + (await ordersOf(portsB.metricsPort, 'failure')), 0);

    const renewed = await runCli(['certs', 'renew', '--force', ...flagsToArgs(flags(dataDir, { host: '127.0.0.1' }))], {
      env: childEnv(),
    });
    assert.equal(renewed.code, 0, renewed.stderr);
    const newSerial = /serial ([0-9A-F]+)/.exec(renewed.stdout)![1];
    await waitFor(
      'both proxies to serve the renewed certificate',
      async () =>
        (await handshakeCertificate(portsA.httpsPort, DOMAIN)).serialNumber === newSerial &&
        (await handshakeCertificate(portsB.httpsPort, DOMAIN)).serialNumber === newSerial,
      { ...ACME_POLL, timeoutMs: 5_000 },
    );
    await Promise.all([a.stop(), b.stop()]);
  });

  test('PM2-style cluster: workers sharing ports and data dir start together and place exactly one order', async () => {
    const dataDir = path.join(root, 'cluster');
    const [httpsPort, metricsPort] = await freePorts(2);
    const cluster = spawnProxy(
      flagsToArgs({
        ...flags(dataDir),
        host: '127.0.0.1',
        'https-port': httpsPort,
        'metrics-port': metricsPort,
        tls: 'acme',
      }),
      childEnv(),
      CLUSTER,
    );
    running.push(cluster);
    const lines = () =>
      cluster.output
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { pid: number; msg: string });
    const pidsWith = (message: string) =>
      new Set(
        lines()
          .filter((line) => line.msg === message)
          .map((line) => line.pid),
      );
    await waitFor(
      'both workers to serve the certificate',
      () => pidsWith('serving ACME certificate for new handshakes').size === 2,
      { ...ACME_POLL, timeoutMs: 20_000, log: cluster.output },
    );
    assert.equal(pidsWith('proxy listening').size, 2, 'two workers');
    assert.equal(
      lines().filter((line) => line.msg === 'ACME order created').length,
      1,
      'one order between the workers',
    );
    assert.equal(lines().filter((line) => line.msg === 'certificate issued and stored').length, 1);
    assert.equal(lines().filter((line) => /failed/.test(line.msg)).length, 0);
    // Connections are spread over the workers; every one of them presents the ACME certificate.
    const serials = new Set<string>();
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const served = await handshakeCertificate(httpsPort, DOMAIN);
      assert.match(served.issuer, /Pebble/);
      serials.add(served.serialNumber);
    }
    assert.equal(serials.size, 1);
  });

  test('ARI (RFC 9773): a window in the future waits, a window in the past renews now with `replaces`', async () => {
    const ari: AriEndpoint = await startAriEndpoint(pebble);
    running.push({ stop: () => ari.close() });
    const day = 86_400_000;
    const future = { start: new Date(Date.now() + 30 * day), end: new Date(Date.now() + 31 * day) };
    ari.windowFor = () => future;
    const dataDir = path.join(root, 'ari');
    const extra = { 'acme-directory': ari.directoryUrl };

    // Issue through the ARI-capable directory; the renewal decision then follows the window.
    const first = await proxyInProcess(dataDir, extra);
    await waitFor('the first ACME certificate', () => servedOrigin(first.proxy) === 'acme', {
      ...ACME_POLL,
      timeoutMs: 20_000,
    });
    await waitFor('a renewalInfo request', async () => ari.requestedIds.length > 0, {
      ...ACME_POLL,
      timeoutMs: 10_000,
    });
    const leafPem = first.proxy.certificateStore.lookup(DOMAIN)!.certPem;
    const expectedId = certIdWithOpenssl(leafPem);
    assert.equal(ari.requestedIds.at(-1), expectedId, 'asked about the certificate by its RFC 9773 id');
    const next = nextRenewalMs;
    await waitFor(
      'the next renewal inside the window',
      async () => (await next(first.proxy)) >= future.start.getTime() - 1000,
      { ...ACME_POLL, timeoutMs: 5_000 },
    );
    assert.ok((await next(first.proxy)) <= future.end.getTime(), 'renewal time inside the suggested window');
    assert.equal(await orders(first.proxy, 'success'), 1, 'window in the future: no renewal yet');
    const firstSerial = (await handshakeCertificate(first.proxy.httpsPort, DOMAIN)).serialNumber;
    await stopProxy(first.proxy);

    // The CA moves this certificate's window into the past (as before a mass revocation): renew at once, naming
    // it in `replaces`. Its successor gets a future window, so there is exactly one renewal.
    const issuedAt = Date.parse(
      (
        JSON.parse(readFileSync(path.join(dataDir, 'acme/certificates', DOMAIN, 'current.json'), 'utf8')) as {
          issuedAt: string;
        }
      ).issuedAt,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const past = { start: new Date(issuedAt + 1), end: new Date(Date.now() - 10) };
    ari.windowFor = (certId) => (certId === expectedId ? past : future);
    const newOrders: Array<Record<string, unknown>> = [];
    const interceptor = acme.axios.interceptors.request.use((config) => {
      if (config.method === 'post' && config.url?.includes('order-plz')) {
        const jws = (typeof config.data === 'string' ? JSON.parse(config.data) : config.data) as { payload: string };
        newOrders.push(JSON.parse(Buffer.from(jws.payload, 'base64url').toString('utf8')) as Record<string, unknown>);
      }
      return config;
    });
    try {
      const second = await proxyInProcess(dataDir, { ...extra, 'acme-profile': 'shortlived' });
      assert.equal((await handshakeCertificate(second.proxy.httpsPort, DOMAIN)).serialNumber, firstSerial);
      await waitFor(
        'the ARI-triggered renewal',
        async () => (await handshakeCertificate(second.proxy.httpsPort, DOMAIN)).serialNumber !== firstSerial,
        { ...ACME_POLL, timeoutMs: 20_000 },
      );
      // Pebble rejects 5% of nonces and acme-client re-sends: count orders by the metric, check every attempt.
      const renewedId = certIdWithOpenssl(second.proxy.certificateStore.lookup(DOMAIN)!.certPem);
      await waitFor('renewal information for the new certificate', () => ari.requestedIds.includes(renewedId), {
        ...ACME_POLL,
        timeoutMs: 5_000,
      });
      assert.ok(
        (await nextRenewalMs(second.proxy)) >= future.start.getTime() - 1000,
        'the new certificate waits for its own window',
      );
      // The window the CA suggests is exported for the console's Edge page.
      const metricsText = await second.proxy.registry.metrics();
      const windowOf = (edge: string) =>
        metricValue(metricsText, `ocpp_edge_acme_ari_window_${edge}_timestamp_seconds`, { domain: DOMAIN });
      assert.equal(windowOf('start'), Math.floor(future.start.getTime() / 1000));
      assert.equal(windowOf('end'), Math.floor(future.end.getTime() / 1000));
      assert.equal(await orders(second.proxy, 'success'), 1);
      assert.ok(newOrders.length >= 1);
      for (const order of newOrders) {
        assert.equal(order.replaces, expectedId, 'the order names the certificate it replaces');
        assert.equal(order.profile, 'shortlived', '--acme-profile is sent');
      }
      assert.equal(second.log.find(/does not advertise this profile/), undefined, 'the directory advertises it');
      const current = JSON.parse(
        readFileSync(path.join(dataDir, 'acme/certificates', DOMAIN, 'current.json'), 'utf8'),
      ) as { replaced?: string };
      assert.equal(current.replaced, expectedId);
      assert.ok(second.log.find('renewing certificate'));
      await stopProxy(second.proxy);
    } finally {
      acme.axios.interceptors.request.eject(interceptor);
    }
  });

  test("a failed challenge: `certs renew` exits 1 with the server's problem document, stores nothing, leaves no token", async () => {
    // Nothing listens on Pebble's validation port now; --http-port 0 skips our own pre-flight check.
    const dataDir = path.join(root, 'challenge-failed');
    const result = await runCli(['certs', 'renew', ...flagsToArgs(flags(dataDir, { 'http-port': 0 }))], {
      env: childEnv(),
    });
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /renewal failed: urn:ietf:params:acme:error:connection: .*connection refused/);
    const logged = result.stderr.split('\n').find((line) => line.includes('certificate renewal failed'));
    assert.ok(logged, result.stderr);
    const { problem } = JSON.parse(logged) as { problem: { type: string; detail: string; status: number } };
    assert.equal(problem.type, 'urn:ietf:params:acme:error:connection');
    assert.ok(problem.detail.length > 0);
    assert.deepEqual(readdirSync(path.join(dataDir, 'acme-challenges')), [], 'the token was withdrawn');
    assert.equal(existsSync(path.join(dataDir, 'acme/certificates')), false, 'nothing stored');
  });

  test('disk full while storing: the served certificate stays, the error is logged and counted, a retry is scheduled', async () => {
    const dataDir = path.join(root, 'disk-full');
    cpSync(firstDataDir, dataDir, { recursive: true });
    const realOpen = fs.promises.open;
    mock.method(fs.promises, 'open', async (file: fs.PathLike, ...rest: unknown[]) => {
      if (String(file).startsWith(dataDir) && String(file).includes('fullchain.pem.tmp'))
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return (realOpen as (...args: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    });
    syncBuiltinESMExports();
    try {
      // Switching to RSA makes a renewal due at once; the order succeeds, writing the chain does not.
      const { proxy, log } = await proxyInProcess(dataDir, { 'acme-key-type': 'rsa-2048' });
      const served = await handshakeCertificate(proxy.httpsPort, DOMAIN);
      await waitFor('the failed renewal to be counted', async () => (await orders(proxy, 'failure')) === 1, {
        ...ACME_POLL,
        timeoutMs: 15_000,
      });
      // The order is counted a moment before the source logs the failure: wait for the line itself.
      const failure = (await waitFor('the failure to be logged', () =>
        log.find('ACME renewal failed; the current certificate keeps serving'),
      )) as { problem: { type: string }; retryInSeconds: number };
      assert.equal(failure.problem.type, 'local:ENOSPC');
      assert.ok(failure.retryInSeconds >= 60);
      assert.equal((await handshakeCertificate(proxy.httpsPort, DOMAIN)).serialNumber, served.serialNumber);
      assert.equal(storedChain(dataDir), storedChain(firstDataDir), 'the stored certificate is untouched');
      await stopProxy(proxy);
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  test('Pebble stopped mid-way: the old certificate keeps serving, the error is logged and counted, a retry is scheduled', async () => {
    const dataDir = path.join(root, 'outage');
    cpSync(firstDataDir, dataDir, { recursive: true });
    await pebble.stopPebble();
    // The operator switches to RSA keys while the CA is down: a renewal is due at once and must fail cleanly.
    const { proxy, log } = await proxyInProcess(dataDir, { 'acme-key-type': 'rsa-2048' });
    const before = await handshakeCertificate(proxy.httpsPort, DOMAIN);
    await waitFor('the failed order to be counted', async () => (await orders(proxy, 'failure')) === 1, {
      ...ACME_POLL,
      timeoutMs: 10_000,
    });
    const failure = (await waitFor('the failure to be logged', () =>
      log.find('ACME renewal failed; the current certificate keeps serving'),
    )) as { problem: { type: string; detail: string }; retryInSeconds: number; retryAt: string };
    assert.ok(failure, 'failure logged');
    assert.equal(failure.problem.type, 'transport');
    assert.match(failure.problem.detail, /ECONNREFUSED/);
    assert.ok(
      failure.retryInSeconds >= 60 && failure.retryInSeconds <= 66,
      `first retry after about a minute, got ${failure.retryInSeconds} s`,
    );
    assert.equal(
      await nextRenewalMs(proxy),
      Math.floor(Date.parse(failure.retryAt) / 1000) * 1000,
      'the retry is the next renewal',
    );
    assert.equal((await handshakeCertificate(proxy.httpsPort, DOMAIN)).serialNumber, before.serialNumber);
    assert.equal(storedChain(dataDir), storedChain(firstDataDir), 'nothing stored was replaced');
    await stopProxy(proxy);
    await pebble.startPebble();
  });
});

function storedChain(dataDir: string): string {
  const current = JSON.parse(readFileSync(path.join(dataDir, 'acme/certificates', DOMAIN, 'current.json'), 'utf8')) as {
    version: string;
  };
  return readFileSync(path.join(dataDir, 'acme/certificates', DOMAIN, current.version, 'fullchain.pem'), 'utf8');
}

/** RFC 9773 §4.1 computed independently of our code, from what openssl prints. */
function certIdWithOpenssl(chainPem: string): string {
  const file = path.join(root, `leaf-${Date.now()}.pem`);
  writeFileSync(file, chainPem.slice(0, chainPem.indexOf('-----END CERTIFICATE-----') + 25));
  const text = execFileSync('openssl', ['x509', '-in', file, '-noout', '-ext', 'authorityKeyIdentifier', '-serial'], {
    encoding: 'utf8',
  });
  const akiHex = /([0-9A-F]{2}(?::[0-9A-F]{2})+)/.exec(text.split('\n').slice(1).join('\n'))![1].replace(/:/g, '');
  let serialHex = /serial=([0-9A-F]+)/.exec(text)![1];
  if (serialHex.length % 2) serialHex = `0${serialHex}`;
  if (parseInt(serialHex.slice(0, 2), 16) >= 0x80) serialHex = `00${serialHex}`;
  return `${Buffer.from(akiHex, 'hex').toString('base64url')}.${Buffer.from(serialHex, 'hex').toString('base64url')}`;
}
