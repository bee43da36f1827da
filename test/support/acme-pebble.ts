// Pebble (Let's Encrypt's RFC 8555 test CA) for the ACME tests: started on loopback with its own ports, its HTTP
// validation port pointed at the proxy's HTTP listener, names resolved by pebble-challtestsrv (every A query →
// 127.0.0.1), and no artificial validation sleeps. Pebble's HTTPS listener uses a certificate generated here;
// `caFile` is what clients must trust (NODE_EXTRA_CA_CERTS for child processes, trustPebble() in-process).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import acme from 'acme-client';
import { generate } from 'selfsigned';
import { freePorts } from './ports.js';
import { waitFor, type WaitOptions } from './waiting.js';

export const PEBBLE_BINARY = '/usr/bin/pebble';
export const CHALLTESTSRV_BINARY = '/usr/bin/pebble-challtestsrv';

/** undefined when Pebble can run; otherwise why not. In CI a missing Pebble is a failure, not a skip. */
export function pebbleUnavailable(): string | undefined {
  if (existsSync(PEBBLE_BINARY) && existsSync(CHALLTESTSRV_BINARY)) return undefined;
  const reason = `${PEBBLE_BINARY} or ${CHALLTESTSRV_BINARY} missing (apt-get install -y pebble)`;
  if (process.env.CI === 'true') throw new Error(`CI requires Pebble for the ACME tests: ${reason}`);
  process.stderr.write(`\n*** SKIPPING ACME integration tests: ${reason} ***\n\n`);
  return reason;
}

/** How the ACME tests poll (with waitFor): every 100 ms, through errors (a listener not up yet, a refused handshake). */
export const ACME_POLL: WaitOptions = { intervalMs: 100, retryErrors: true };

export interface Pebble {
  directoryUrl: string;
  managementUrl: string;
  /** The port Pebble's VA connects to for http-01: the proxy's HTTP listener must be there. */
  httpPort: number;
  /** PEM of the certificate Pebble's API listener presents (self-signed): trust it. */
  caFile: string;
  caPem: string;
  /** Key of that certificate, so a test endpoint in front of Pebble can present the same trusted certificate. */
  listenerKeyPem: string;
  /** Pebble's issuing root, to verify chains. */
  rootPem(): Promise<string>;
  /** Stop Pebble (not the DNS server); `start()` brings up a fresh Pebble (new CA!) on the same ports. */
  stopPebble(): Promise<void>;
  startPebble(): Promise<void>;
  /** Lines Pebble printed, for diagnosing failures. */
  log: string[];
  close(): Promise<void>;
}

export interface PebbleOptions {
  httpPort: number;
  /** Environment additions for Pebble (PEBBLE_AUTHZREUSE, ...). */
  env?: NodeJS.ProcessEnv;
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const directory = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-pebble-'));
  const [apiPort, managementPort, tlsPort, dnsPort, dnsManagementPort] = await freePorts(5);
  const tls = await generate([{ name: 'commonName', value: 'pebble test listener' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const caFile = path.join(directory, 'pebble-listener.pem');
  const keyFile = path.join(directory, 'pebble-listener.key');
  writeFileSync(caFile, tls.cert);
  writeFileSync(keyFile, tls.private);
  const configFile = path.join(directory, 'pebble-config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${apiPort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: caFile,
        privateKey: keyFile,
        httpPort: options.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );

  const log: string[] = [];
  const children: ChildProcess[] = [];
  const dns = launch(
    CHALLTESTSRV_BINARY,
    [
      '-dns01',
      `127.0.0.1:${dnsPort}`,
      '-http01',
      '',
      '-https01',
      '',
      '-tlsalpn01',
      '',
      '-management',
      `127.0.0.1:${dnsManagementPort}`,
      '-defaultIPv6',
      '',
    ],
    {},
    log,
  );
  children.push(dns);
  let pebble: ChildProcess | undefined;
  const directoryUrl = `https://127.0.0.1:${apiPort}/dir`;
  const agent = new https.Agent({ ca: tls.cert });

  const startPebbleProcess = async () => {
    pebble = launch(
      PEBBLE_BINARY,
      ['-config', configFile, '-dnsserver', `127.0.0.1:${dnsPort}`],
      { PEBBLE_VA_NOSLEEP: '1', ...options.env },
      log,
    );
    await waitFor(`Pebble at ${directoryUrl}`, async () => (await getText(directoryUrl, agent)).includes('newOrder'), {
      ...ACME_POLL,
      timeoutMs: 10_000,
      log,
    });
  };
  const stopPebbleProcess = async () => {
    if (!pebble || pebble.exitCode !== null) return;
    const exited = new Promise((resolve) => pebble!.once('exit', resolve));
    pebble.kill('SIGTERM');
    await Promise.race([exited, sleep(3_000).then(() => pebble!.kill('SIGKILL'))]);
  };
  await startPebbleProcess();

  return {
    directoryUrl,
    managementUrl: `https://127.0.0.1:${managementPort}`,
    httpPort: options.httpPort,
    caFile,
    caPem: tls.cert,
    listenerKeyPem: tls.private,
    rootPem: () => getText(`https://127.0.0.1:${managementPort}/roots/0`, agent),
    stopPebble: stopPebbleProcess,
    startPebble: startPebbleProcess,
    log,
    close: async () => {
      await stopPebbleProcess();
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Makes acme-client (and everything else using its axios) in this process trust Pebble's listener. */
export function trustPebble(pebble: Pebble): void {
  acme.axios.defaults.httpsAgent = new https.Agent({ ca: pebble.caPem });
}

function launch(binary: string, args: string[], env: NodeJS.ProcessEnv, log: string[]): ChildProcess {
  const child = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const name = path.basename(binary);
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') log.push(`[${name}] ${line}`);
      if (log.length > 2_000) log.splice(0, log.length - 2_000);
    });
  }
  return child;
}

function getText(url: string, agent: https.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { agent, timeout: 2_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}
