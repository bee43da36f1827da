// SIGHUP on the backend (systemctl reload / ExecReload, pm2 sendSignal SIGHUP): the configuration is read again
// and what can change without dropping a charger is applied at once (API tokens, log level, CORS origins, the
// heartbeat interval of the next BootNotification, the registration mode of the next connection); other changes
// are logged as needing a restart; an invalid file changes nothing. Connected chargers stay connected throughout.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnOcppEdge, type OcppEdgeProcess } from '../support/cli.js';
import { RawCharger, upgradeStatus } from '../support/ocpp-chargers.js';

const BOOT = { chargePointVendor: 'TestVendor', chargePointModel: 'TestModel' };

describe('backend reload on SIGHUP', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ocpp-edge-reload-'));
  const configFile = path.join(dir, 'backend.yaml');
  let backend: OcppEdgeProcess;
  let httpUrl: string;
  let charger: RawCharger;

  const writeConfig = (lines: string[]) =>
    writeFileSync(configFile, `backend:\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  const api = (token: string, origin?: string) =>
    fetch(`${httpUrl}/api/charge-points`, {
      headers: { authorization: `Bearer ${token}`, ...(origin ? { origin } : {}) },
    });
  const reloaded = async (count: number) => {
    backend.child.kill('SIGHUP');
    for (;;) {
      const lines = backend.output.filter(
        (line) => line.includes('"msg":"reloaded"') || line.includes('reload refused'),
      );
      if (lines.length >= count) return JSON.parse(lines[count - 1]!) as Record<string, unknown>;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  before(async () => {
    writeConfig([
      'port: 0',
      'metrics-port: 0',
      `database: sqlite:${path.join(dir, 'ocpp.db')}`,
      'api-token: [old-token]',
      'cors-origin: [https://old.example]',
      'heartbeat-interval: 300',
      'registration: open',
      'log-level: info',
    ]);
    backend = spawnOcppEdge(['backend', '--config', configFile]);
    const listening = await backend.logLine('backend listening');
    httpUrl = `http://127.0.0.1:${listening.port as number}`;
    charger = await RawCharger.connect(`ws://127.0.0.1:${listening.port as number}/ocpp`, 'CP-RELOAD', ['ocpp1.6']);
    const [, , boot] = await charger.call('b1', 'BootNotification', BOOT);
    assert.equal((boot as { interval: number }).interval, 300);
  });
  after(async () => {
    await backend?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('applies tokens, CORS, log level, heartbeat and registration without dropping the charger', async () => {
    assert.equal((await api('old-token')).status, 200);
    writeConfig([
      'port: 0',
      'metrics-port: 0',
      `database: sqlite:${path.join(dir, 'ocpp.db')}`,
      'api-token: [new-token]',
      'cors-origin: [https://new.example]',
      'heartbeat-interval: 60',
      'registration: known',
      'log-level: debug',
      'message-log-size: 5',
    ]);
    const line = await reloaded(1);
    assert.deepEqual([...(line.applied as string[])].sort(), [
      'api-token',
      'cors-origin',
      'heartbeat-interval',
      'log-level',
      'registration',
    ]);
    assert.deepEqual(line.restartNeeded, ['message-log-size']);
    assert.ok(
      backend.output.some((text) => text.includes('configuration changed message-log-size: restart to apply')),
      'the change that needs a restart is named',
    );

    assert.equal((await api('old-token')).status, 401, 'the old token is refused');
    const fresh = await api('new-token', 'https://new.example');
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('access-control-allow-origin'), 'https://new.example');
    assert.equal((await api('new-token', 'https://old.example')).headers.get('access-control-allow-origin'), null);

    // The connected charger is still there; its next boot gets the new interval.
    const [, , boot] = await charger.call('b2', 'BootNotification', BOOT);
    assert.equal((boot as { interval: number }).interval, 60);
    // registration: known now refuses a charge point nobody registered.
    assert.equal(await upgradeStatus(`ws://${new URL(httpUrl).host}/ocpp`, 'CP-UNKNOWN'), 401);
    // log-level debug: the request lines the backend logs at debug now appear.
    await api('new-token');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(
      backend.output.some((text) => text.includes('"msg":"http request"')),
      'debug lines after the reload',
    );
  });

  test('an invalid file changes nothing and says why', async () => {
    writeFileSync(configFile, 'backend:\n  api-token: [other]\n  heartbeat-interval: -5\n');
    const line = await reloaded(2);
    assert.match(
      String(line.msg),
      /reload refused, nothing changed: invalid configuration: backend\.heartbeat-interval in .*: must be at least 1/,
    );
    assert.equal((await api('new-token')).status, 200, 'the tokens in force stay');
    const [, , boot] = await charger.call('b3', 'BootNotification', BOOT);
    assert.equal((boot as { interval: number }).interval, 60);
  });
});
