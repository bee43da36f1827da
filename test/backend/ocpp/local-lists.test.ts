// Local authorization lists against the simulator over a real WebSocket: sent at boot in chunks of the charger's
// SendLocalListMaxLength, differential after tag changes, full again when the charger lost its list or answers
// VersionMismatch, resumed after a charger that went away mid-sync, LocalAuthListEnabled and NotSupported
// honoured; tags imported and exported as CSV and JSON, with groups.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RPCClient } from 'ocpp-rpc';
import type { TestBackend } from '../../support/backend-instance.js';
import { withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { startSimulatedCharger } from '../../support/simulated-charger.js';
import { STORAGE_NAMES } from '../../support/storage-targets.js';
import { waitFor } from '../../support/waiting.js';

const FAST = { 'after-boot-delay': 0.05, 'local-list-retry-base': 0.2 };

function csvOfTags(count: number): string {
  const lines = ['idTag,status,expiryDate,parentIdTag'];
  for (let n = 1; n <= count; n++)
    lines.push(
      `TAG-${String(n).padStart(3, '0')},${n % 10 === 0 ? 'Blocked' : 'Accepted'},,${n <= 5 ? 'FLEET-A' : ''}`,
    );
  return `${lines.join('\n')}\n`;
}

async function importCsv(backend: TestBackend, csv: string, replace = false) {
  const response = await fetch(`${backend.httpUrl}/api/id-tags/import?replace=${replace}`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-token-0123456789', 'content-type': 'text/csv' },
    body: csv,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function syncedState(backend: TestBackend, id: string, version?: number) {
  return waitFor(
    `${id} local list synced${version ? ` at version ${version}` : ''}`,
    async () => {
      const { body } = await backend.api('GET', `/api/charge-points/${id}/local-list`);
      return body.status === 'synced' && (version === undefined || body.listVersion === version) && body;
    },
    { timeoutMs: 10_000 },
  );
}

describe('local authorization lists', () => {
  it('an OCPP 2.0.1 station gets the list in 2.0.1 words, in chunks of LocalAuthListCtrlr.ItemsPerMessage', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      await importCsv(backend, csvOfTags(25));
      const sim = await startSimulatedCharger(backend.ocppUrl, 'CS-LIST', { ocppVersion: '2.0.1' }, (charger) =>
        charger.configuration.set('SendLocalListMaxLength', 10),
      );
      try {
        const state = await syncedState(backend, 'CS-LIST');
        const list = sim.charger.localList;
        assert.equal(list.entries.size, 25);
        assert.equal(sim.stats.callsAnswered.get('SendLocalList'), 3, '25 tags in chunks of 10');
        assert.equal(state.listVersion, list.version);
        assert.equal(list.entries.get('TAG-010')?.status, 'Blocked');
        // The chunk size came from the device model (the 2.0.1 inventory), not from a 1.6 key.
        const { body } = await backend.api('GET', '/api/charge-points/CS-LIST/configuration');
        assert.ok(body.keys.some((key: { key: string }) => key.key === 'LocalAuthListCtrlr/ItemsPerMessage#Actual'));
        assert.ok(!body.keys.some((key: { key: string }) => key.key === 'SendLocalListMaxLength'));
        await backend.api('DELETE', '/api/id-tags/TAG-002');
        await waitFor('the removal on the station', () => !list.entries.has('TAG-002'));
      } finally {
        await sim.stop();
      }
    });
  });

  for (const dialect of STORAGE_NAMES) {
    it(`${dialect}: full list in chunks at boot, differential after changes, full after a lost list or VersionMismatch`, async (t) => {
      await withBackend(t, dialect, FAST, async (backend) => {
        const imported = await importCsv(backend, csvOfTags(45));
        assert.deepEqual(imported.body, { created: 45, updated: 0, removed: 0 });
        const sim = await startSimulatedCharger(backend.ocppUrl, 'CP-LIST', {}, (charger) =>
          charger.configuration.set('SendLocalListMaxLength', 10),
        );
        try {
          const list = sim.charger.localList;
          const sent = () => sim.stats.callsAnswered.get('SendLocalList') ?? 0;
          let state = await syncedState(backend, 'CP-LIST');
          assert.equal(list.entries.size, 45);
          assert.equal(sent(), 5, '45 tags in chunks of 10');
          assert.equal(state.listVersion, 5);
          assert.equal(state.chargerVersion, 5);
          assert.equal(state.entries, 45);
          assert.deepEqual(list.entries.get('TAG-003'), { status: 'Accepted', parentIdTag: 'FLEET-A' });
          assert.deepEqual(list.entries.get('TAG-010'), { status: 'Blocked' });

          // Two changes: sent as differences (one message when both fall in the same half second).
          await backend.api('PUT', '/api/id-tags/TAG-001', { status: 'Blocked' });
          await backend.api('DELETE', '/api/id-tags/TAG-002');
          await waitFor(
            'both changes on the charger',
            () => !list.entries.has('TAG-002') && list.entries.get('TAG-001')?.status === 'Blocked',
          );
          state = await syncedState(backend, 'CP-LIST', list.version);
          assert.ok(sent() === 6 || sent() === 7, `differential: ${sent() - 5} message(s)`);
          assert.equal(state.entries, 44);
          assert.equal(list.entries.size, 44);

          // The charger lost its list (a firmware update) and reboots: GetLocalListVersion says 0, so Full again.
          const beforeReboot = { version: state.listVersion, sent: sent() };
          list.entries.clear();
          list.version = 0;
          await backend.api('POST', '/api/charge-points/CP-LIST/reset', { type: 'Soft' });
          await sim.booted(2);
          state = await syncedState(backend, 'CP-LIST', beforeReboot.version + 5);
          assert.equal(list.entries.size, 44);
          assert.equal(sent(), beforeReboot.sent + 5);

          // A charger whose version is ahead of ours (another central system wrote to it): the differential update
          // is answered VersionMismatch, and the full list goes out with versions above the charger's.
          list.version = 100;
          await backend.api('PUT', '/api/id-tags/TAG-099', { status: 'Accepted' });
          state = await syncedState(backend, 'CP-LIST', 105);
          assert.equal(list.version, 105);
          assert.equal(list.entries.size, 45);
          assert.equal(list.entries.get('TAG-099')?.status, 'Accepted');

          const all = await backend.api('GET', '/api/local-lists');
          assert.deepEqual(
            all.body.map((row: { chargePointId: string; status: string }) => [row.chargePointId, row.status]),
            [['CP-LIST', 'synced']],
          );
        } finally {
          await sim.stop();
        }
      });
    });
  }

  it('a charger that goes away mid-sync resumes when it reconnects; a Failed answer is retried with back-off', async (t) => {
    await withBackend(t, 'sqlite', { ...FAST, 'call-timeout': 2 }, async (backend) => {
      await importCsv(backend, csvOfTags(12));
      const held = new Map<string, unknown>();
      let version = 0;
      const answers: Array<{ at: number; status: string }> = [];
      const answerLikeACharger = (charger: RPCClient, behaviour: { dropOnChunk?: number; failChunk?: number }) => {
        let chunks = 0;
        charger.handle('GetConfiguration', async () => ({
          configurationKey: [
            { key: 'SendLocalListMaxLength', readonly: true, value: '5' },
            { key: 'SupportedFeatureProfiles', readonly: true, value: 'Core,LocalAuthListManagement' },
          ],
        }));
        charger.handle('GetLocalListVersion', async () => ({ listVersion: version }));
        charger.handle('SendLocalList', async ({ params }: { params?: any }) => {
          chunks++;
          if (chunks === behaviour.dropOnChunk) {
            // Gone without answering, as a charger losing power or its modem.
            setImmediate(() => void charger.close({ force: true, code: 4000 }));
            return new Promise(() => {});
          }
          if (chunks === behaviour.failChunk) {
            answers.push({ at: Date.now(), status: 'Failed' });
            return { status: 'Failed' };
          }
          if (params.updateType === 'Full') held.clear();
          for (const entry of params.localAuthorizationList ?? []) held.set(entry.idTag, entry.idTagInfo);
          version = params.listVersion;
          answers.push({ at: Date.now(), status: 'Accepted' });
          return { status: 'Accepted' };
        });
      };
      const first = await connectCharger(backend.ocppUrl, 'CP-FLAKY');
      answerLikeACharger(first, { dropOnChunk: 2 });
      await first.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'Flaky' });
      const away = await waitFor('the charger gone mid-sync', async () => {
        const { body } = await backend.api('GET', '/api/charge-points/CP-FLAKY/local-list');
        return body.status === 'pending' && body.lastError && body;
      });
      assert.match(away.lastError, /not connected/);
      assert.equal(away.listVersion, 1, 'the first chunk was accepted and recorded');
      assert.equal(away.complete, false);
      assert.equal(held.size, 5);

      // Back without a reboot (no BootNotification): synced because it is behind; the first try is refused.
      const second = await connectCharger(backend.ocppUrl, 'CP-FLAKY');
      answerLikeACharger(second, { failChunk: 1 });
      try {
        const state = await syncedState(backend, 'CP-FLAKY');
        assert.equal(held.size, 12);
        assert.equal(state.failures, 0);
        assert.equal(state.lastError, null);
        assert.equal(state.complete, true);
        assert.equal(version, state.listVersion);
        const failedAt = answers.findIndex((answer) => answer.status === 'Failed');
        assert.ok(failedAt >= 0, 'the Failed answer was given');
        assert.equal(answers.at(-1)?.status, 'Accepted', 'retried until accepted');
      } finally {
        await second.close();
      }
    });
  });

  it('LocalAuthListEnabled false and NotSupported chargers are left alone; export, groups, bad imports', async (t) => {
    await withBackend(t, 'sqlite', FAST, async (backend) => {
      await importCsv(backend, csvOfTags(12));
      const disabled = await startSimulatedCharger(backend.ocppUrl, 'CP-OFF', {}, (charger) =>
        charger.configuration.set('LocalAuthListEnabled', 'false'),
      );
      const refuses = await connectCharger(backend.ocppUrl, 'CP-NOLIST');
      refuses.handle('GetLocalListVersion', async () => ({ listVersion: 0 }));
      refuses.handle('SendLocalList', async () => ({ status: 'NotSupported' }));
      await refuses.call('BootNotification', { chargePointVendor: 'Acme', chargePointModel: 'NoList' });
      try {
        await waitFor('CP-OFF disabled', async () => {
          const { body } = await backend.api('GET', '/api/charge-points/CP-OFF/local-list');
          return body.status === 'disabled';
        });
        assert.equal(disabled.stats.callsAnswered.get('SendLocalList') ?? 0, 0);
        await waitFor('CP-NOLIST unsupported', async () => {
          const { body } = await backend.api('GET', '/api/charge-points/CP-NOLIST/local-list');
          return body.status === 'unsupported';
        });
      } finally {
        await disabled.stop();
        await refuses.close();
      }

      const json = await backend.api('GET', '/api/id-tags?parentIdTag=FLEET-A');
      assert.deepEqual(
        json.body.map((tag: { idTag: string }) => tag.idTag),
        ['TAG-001', 'TAG-002', 'TAG-003', 'TAG-004', 'TAG-005'],
      );
      const groups = await backend.api('GET', '/api/id-tag-groups');
      assert.deepEqual(groups.body, [
        { parentIdTag: 'FLEET-A', members: ['TAG-001', 'TAG-002', 'TAG-003', 'TAG-004', 'TAG-005'] },
      ]);
      const csv = await fetch(`${backend.httpUrl}/api/id-tags?format=csv`, {
        headers: { authorization: 'Bearer test-token-0123456789' },
      });
      assert.match(String(csv.headers.get('content-type')), /^text\/csv/);
      const text = await csv.text();
      assert.equal(text.split('\r\n')[0], 'idTag,status,expiryDate,parentIdTag');
      assert.equal(text.split('\r\n')[1], 'TAG-001,Accepted,,FLEET-A');
      // Round trip: the export imports back unchanged; replace with a JSON list removes the rest.
      assert.deepEqual((await importCsv(backend, text)).body, { created: 0, updated: 12, removed: 0 });
      const replaced = await backend.api('POST', '/api/id-tags/import?replace=true', [
        { idTag: 'ONLY-ONE', expiryDate: '2030-01-01T00:00:00+01:00' },
      ]);
      assert.deepEqual(replaced.body, { created: 1, updated: 0, removed: 12 });
      assert.equal((await backend.api('GET', '/api/id-tags/ONLY-ONE')).body.expiryDate, '2029-12-31T23:00:00.000Z');
      const bad = await importCsv(backend, 'idTag,status\nTOO-LONG-FOR-OCPP-IDTOKEN-X,Accepted\n');
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /CSV line 2: idTag must be 1 to 20 characters/);
      const badStatus = await backend.api('POST', '/api/id-tags/import', [{ idTag: 'A', status: 'Maybe' }]);
      assert.equal(badStatus.status, 400);
      assert.equal((await backend.api('GET', '/api/id-tags')).body.length, 1, 'a refused import changes nothing');
    });
  });
});
