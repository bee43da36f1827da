// e. Boot storm: N chargers connect at the same moment and each sends a BootNotification, against the full stack
// (target → `ocpp-edge backend` with SQLite, a fresh database each run, so every charger is registered on the
// spot as in a first deployment). Time until the last one was accepted, the p99 of the per-charger time (start →
// Accepted), and failures (connect errors, timeouts, anything but Accepted).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BenchCertificates } from '../certificates.js';
import { startProcess, stopProcess } from '../child-process.js';
import { chargerIds, type LoadFleet } from '../load-fleet.js';
import { LatencyHistogram } from '../../common/latency-histogram.js';
import { OCPP_EDGE_CLI, startTarget, type TargetName } from '../targets.js';
import { totalFailures } from './context.js';

export interface BootStormOptions {
  chargers: number;
  /** Per charger, from the common start until Accepted. */
  timeoutMs: number;
}

export interface BootStormResult {
  accepted: number;
  failures: number;
  failureKinds: Record<string, number>;
  allAcceptedSeconds: number;
  p99Ms: number;
}

export interface BootStormSetup {
  fleet: LoadFleet;
  certificates: BenchCertificates;
  nginxBinary: string;
  /** The Node binary of the whole stack (backend and proxy): --node, else this one. */
  nodeBinary?: string;
}

export async function measureBootStorm(
  name: TargetName,
  setup: BootStormSetup,
  options: BootStormOptions,
): Promise<BootStormResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ocpp-edge-bench-backend-'));
  const backend = await startProcess(
    setup.nodeBinary ?? process.execPath,
    [
      OCPP_EDGE_CLI,
      'backend',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--database',
      `sqlite:${path.join(dataDir, 'ocpp.db')}`,
      '--log-level',
      'info',
    ],
    {
      isReady: (line) => line.msg === 'backend listening',
      env: { ...process.env, OCPP_EDGE_LOG_PRETTY: '0', NODE_ENV: 'production' },
    },
  );
  const port = Number(backend.ready.port);
  try {
    const target = await startTarget(name, {
      backendPort: port,
      backendPid: backend.pid,
      directOcppUrl: `ws://127.0.0.1:${port}/ocpp`,
      directApiUrl: undefined,
      certificates: setup.certificates,
      nginxBinary: setup.nginxBinary,
      nodeBinary: setup.nodeBinary,
    });
    try {
      const ids = chargerIds('BOOT', options.chargers);
      const result = await setup.fleet.open({
        url: target.ocppUrl,
        ids,
        concurrency: ids.length,
        caPem: setup.certificates.caPem,
        boot: true,
        timeoutMs: options.timeoutMs,
      });
      await setup.fleet.closeAll();
      return {
        accepted: result.opened,
        failures: totalFailures(result.failures),
        failureKinds: result.failures,
        allAcceptedSeconds: result.lastReadyMs / 1000,
        p99Ms: LatencyHistogram.of(result.readyAtMs).percentileMs(99),
      };
    } finally {
      await target.stop();
    }
  } finally {
    await stopProcess(backend.child, 10_000);
    await rm(dataDir, { recursive: true, force: true });
  }
}
