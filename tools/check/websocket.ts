// The plan's step 4.4, as a charger: a WSS upgrade to <ocpp-path>/<charger id> offering ocpp1.6 (with HTTP Basic
// when --password is given), a BootNotification that must come back Accepted, then a Heartbeat. Each is timed
// against the plan's targets. The TLS connection is opened first, so the upgrade's time is the HTTP exchange alone,
// as it is for a charger whose connection is already up; the handshake is shown beside it.
//
// ocpp-rpc in strict mode validates the central system's answers against the OCPP 1.6 schemas.

import { performance } from 'node:perf_hooks';
import { RPCClient } from 'ocpp-rpc';
import { median } from '../../common/median.js';
import { type CheckResult, describeError, formatMs, PLAN_TARGETS_MS, timed } from './result.js';
import { connectTls, type CheckTarget } from './target.js';

const GROUP = 'websocket';
const UPGRADE = 'WebSocket upgrade';
const BOOT = 'BootNotification';
const HEARTBEAT = 'Heartbeat';
const HEARTBEATS = 3;

interface BootAnswer {
  status: 'Accepted' | 'Pending' | 'Rejected';
  interval: number;
}

export async function checkWebSocket(target: CheckTarget): Promise<CheckResult[]> {
  const { chargerId, password, ocppPath } = target.config;
  const endpoint = `wss://${target.url.host}${ocppPath.replace(/\/$/, '')}`;
  const where = `${endpoint}/${chargerId}`;
  const skipped = (names: string[], reason: string): CheckResult[] =>
    names.map((name) => ({ group: GROUP, name, status: 'skipped', figure: '–', detail: reason }));

  let connection: Awaited<ReturnType<typeof connectTls>>;
  try {
    connection = await connectTls(target);
  } catch (error) {
    return [
      { group: GROUP, name: UPGRADE, status: 'fail', figure: 'no answer', detail: `${where}: ${describeError(error)}` },
      ...skipped([BOOT, HEARTBEAT], 'no connection'),
    ];
  }
  const client = new RPCClient({
    endpoint,
    identity: chargerId,
    password: password ?? null,
    protocols: ['ocpp1.6'],
    strictMode: true,
    reconnect: false,
    callTimeoutMs: target.timeoutMs,
    wsOpts: {
      // The connection opened above: ws sends its upgrade request on it.
      createConnection: () => connection.socket,
      perMessageDeflate: false,
      handshakeTimeout: target.timeoutMs,
    },
    // ocpp-rpc's typings list every option as required; the rest keep their defaults.
  } as unknown as ConstructorParameters<typeof RPCClient>[0]);
  client.on('error', () => {});

  const results: CheckResult[] = [];
  try {
    let started = performance.now();
    try {
      await client.connect();
    } catch (error) {
      return [
        {
          group: GROUP,
          name: UPGRADE,
          status: 'fail',
          figure: refusalFigure(error),
          target: '101',
          detail: `${where}: ${refusalDetail(error)}`,
        },
        ...skipped([BOOT, HEARTBEAT], 'the upgrade failed'),
      ];
    }
    const upgradeMs = performance.now() - started;
    results.push(
      timed(
        GROUP,
        UPGRADE,
        upgradeMs,
        PLAN_TARGETS_MS.upgrade,
        `${where}, subprotocol ${client.protocol ?? 'none'}, TLS handshake before it ${connection.handshakeMs.toFixed(1)} ms`,
        '101 in ',
      ),
    );

    started = performance.now();
    let boot: BootAnswer;
    try {
      boot = (await client.call('BootNotification', {
        chargePointVendor: 'ocpp-edge',
        chargePointModel: 'check',
      })) as BootAnswer;
    } catch (error) {
      results.push({
        group: GROUP,
        name: BOOT,
        status: 'fail',
        figure: 'failed',
        target: 'Accepted',
        detail: describeError(error),
      });
      return [...results, ...skipped([HEARTBEAT], 'the BootNotification failed')];
    }
    const bootMs = performance.now() - started;
    if (boot.status !== 'Accepted') {
      results.push({
        group: GROUP,
        name: BOOT,
        status: 'fail',
        figure: boot.status,
        target: 'Accepted',
        detail: `the central system does not accept charger ${chargerId} (retry in ${boot.interval} s)`,
      });
      return [...results, ...skipped([HEARTBEAT], 'the charger was not accepted')];
    }
    results.push(
      timed(
        GROUP,
        BOOT,
        bootMs,
        PLAN_TARGETS_MS.ocppRoundTrip,
        `heartbeat interval ${boot.interval} s`,
        'Accepted in ',
      ),
    );

    try {
      // A few heartbeats, the median reported: one round trip on a busy machine says little.
      const samplesMs: number[] = [];
      let currentTime = '';
      for (let index = 0; index < HEARTBEATS; index++) {
        started = performance.now();
        currentTime = ((await client.call('Heartbeat', {})) as { currentTime: string }).currentTime;
        samplesMs.push(performance.now() - started);
      }
      results.push(
        timed(
          GROUP,
          HEARTBEAT,
          median(samplesMs),
          PLAN_TARGETS_MS.ocppRoundTrip,
          `median of ${HEARTBEATS}, max ${formatMs(Math.max(...samplesMs))}; central system time ${currentTime}`,
        ),
      );
    } catch (error) {
      results.push({ group: GROUP, name: HEARTBEAT, status: 'fail', figure: 'failed', detail: describeError(error) });
    }
    return results;
  } finally {
    await closeWithin(client, target.timeoutMs);
    connection.socket.destroy();
  }
}

/** A clean close (1000), but a server that never answers the close frame does not keep the check waiting. */
async function closeWithin(client: RPCClient, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  await Promise.race([client.close({ code: 1000, reason: 'check done' }).catch(() => {}), expired]);
  clearTimeout(timer);
}

/** ocpp-rpc's refused upgrade carries the HTTP status as `code`. */
function refusalFigure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? String(code) : 'failed';
}

function refusalDetail(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 401) return '401: the charger was refused (unknown charger id, or --password missing or wrong)';
  if (code === 404) return '404: no OCPP endpoint here (--ocpp-path)';
  return describeError(error);
}
