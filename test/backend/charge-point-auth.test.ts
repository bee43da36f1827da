// Charge point authentication at the upgrade (OCPP 1.6 security profiles 1 and 2: HTTP Basic per charge point)
// and registration: open registers unknown charge points, known refuses them.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBackend } from '../support/backend-instance.js';
import { connectCharger, upgradeStatus } from '../support/ocpp-chargers.js';
import { waitFor } from '../support/waiting.js';

const PASSWORD = 'correct-horse-battery-staple';

describe('charge point authentication', () => {
  it('401 at the upgrade for a missing or wrong password; the right one connects', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const put = await backend.api('PUT', '/api/charge-points/CP-SECURE', { password: PASSWORD });
      assert.equal(put.status, 201);
      assert.equal(put.body.hasPassword, true);

      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-SECURE'), 401, 'no Authorization header');
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-SECURE', { password: 'wrong-password-123' }), 401);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-SECURE', { password: PASSWORD.slice(0, -1) }), 401);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-SECURE', { password: PASSWORD }), 101);

      const charger = await connectCharger(backend.ocppUrl, 'CP-SECURE', { password: PASSWORD });
      assert.equal(
        (
          (await charger.call('BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' })) as {
            status: string;
          }
        ).status,
        'Accepted',
      );
      await charger.close();
    });
  });

  it('stores the password as a salted scrypt hash, never in plain text', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      await backend.api('PUT', '/api/charge-points/CP-A', { password: PASSWORD });
      await backend.api('PUT', '/api/charge-points/CP-B', { password: PASSWORD });
      const a = (await backend.handle.store.getChargePoint('CP-A'))!.passwordHash!;
      const b = (await backend.handle.store.getChargePoint('CP-B'))!.passwordHash!;
      assert.match(a, /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      assert.ok(!a.includes(PASSWORD));
      assert.notEqual(a, b, 'salted: the same password hashes differently');
      const view = await backend.api('GET', '/api/charge-points/CP-A');
      assert.equal(JSON.stringify(view.body).includes('scrypt'), false, 'the API never shows the hash');
    });
  });

  it('a password can be removed (null) and kept (absent)', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      await backend.api('PUT', '/api/charge-points/CP-P', { password: PASSWORD });
      assert.equal((await backend.api('PUT', '/api/charge-points/CP-P', {})).body.hasPassword, true);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-P'), 401);
      const cleared = await backend.api('PUT', '/api/charge-points/CP-P', { password: null });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.hasPassword, false);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-P'), 101);
      const tooShort = await backend.api('PUT', '/api/charge-points/CP-P', { password: 'short' });
      assert.equal(tooShort.status, 400);
      assert.match(tooShort.body.message, /password/);
    });
  });

  it('registration open: an unknown charge point is registered when it connects', async (t) => {
    await withBackend(t, 'sqlite', { registration: 'open' }, async (backend) => {
      assert.equal((await backend.api('GET', '/api/charge-points/CP-NEW')).status, 404);
      const charger = await connectCharger(backend.ocppUrl, 'CP-NEW');
      await charger.call('BootNotification', { chargePointVendor: 'V', chargePointModel: 'M' });
      const registered = await backend.api('GET', '/api/charge-points/CP-NEW');
      assert.equal(registered.status, 200);
      assert.equal(registered.body.hasPassword, false);
      await charger.close();
    });
  });

  it('registration known: an unknown charge point gets 401; once registered (PUT) it connects', async (t) => {
    await withBackend(t, 'sqlite', { registration: 'known' }, async (backend) => {
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-STRANGER'), 401);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-STRANGER', { protocols: [] }), 401);
      assert.equal((await backend.api('GET', '/api/charge-points/CP-STRANGER')).status, 404, 'nothing was registered');
      assert.equal((await backend.api('PUT', '/api/charge-points/CP-STRANGER', {})).status, 201);
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-STRANGER'), 101);
    });
  });

  it('removing a charge point closes its connection and refuses it under known registration', async (t) => {
    await withBackend(t, 'sqlite', { registration: 'known' }, async (backend) => {
      await backend.api('PUT', '/api/charge-points/CP-GONE', { password: PASSWORD });
      const charger = await connectCharger(backend.ocppUrl, 'CP-GONE', { password: PASSWORD });
      const closed = new Promise<{ code: number }>((resolve) => charger.once('close', resolve));
      assert.equal((await backend.api('DELETE', '/api/charge-points/CP-GONE')).status, 204);
      assert.equal((await closed).code, 1000);
      await waitFor('disconnect', async () => !(await backend.handle.connections.isConnected('CP-GONE')), {
        timeoutMs: 2000,
      });
      assert.equal(await upgradeStatus(backend.ocppUrl, 'CP-GONE', { password: PASSWORD }), 401);
      assert.equal((await backend.api('DELETE', '/api/charge-points/CP-GONE')).status, 404);
    });
  });
});
