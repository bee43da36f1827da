// Profiles 1 and 2 as chargers do them: the whitepaper's AuthorizationKey (16-20 bytes, set as hex or text,
// compared on its bytes, whether the charger sends the bytes or their hex text), the Basic auth user name that must
// be the identity, and rotation through ChangeConfiguration: the new key is stored only once the charger accepted
// it, and the old one works until the charger has logged in with the new one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBackend } from '../../support/backend-instance.js';
import { connectCharger } from '../../support/ocpp-chargers.js';
import { metricValue } from '../../support/proxy-under-test.js';
import { closeAttempt, connectSecureCharger } from '../../support/secure-chargers.js';

const KEY_HEX = '00112233445566778899aabbccddeeff01020304';
const KEY = Buffer.from(KEY_HEX, 'hex');

describe('AuthorizationKey (security profiles 1 and 2)', () => {
  it('set as hex: the charger may send the key bytes or their hex text; anything else is 401', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const port = Number(new URL(backend.httpUrl).port);
      const put = await backend.api('PUT', '/api/charge-points/CP-K', {
        authorizationKey: KEY_HEX,
        securityProfile: 1,
      });
      assert.equal(put.status, 201, JSON.stringify(put.body));
      assert.equal(put.body.securityProfile, 1);
      const status = async (password: string | Buffer, user?: string) => {
        const headers = user
          ? {
              authorization: `Basic ${Buffer.concat([Buffer.from(`${user}:`), Buffer.from(password)]).toString('base64')}`,
            }
          : undefined;
        const attempt = await connectSecureCharger(port, 'CP-K', {
          plain: true,
          ...(headers ? { headers } : { password }),
        });
        await closeAttempt(attempt);
        return attempt.status;
      };
      assert.equal(await status(KEY), 101, 'the bytes');
      assert.equal(await status(KEY_HEX), 101, 'the hex text');
      assert.equal(await status(KEY_HEX.toUpperCase()), 101, 'the hex text, upper case');
      assert.equal(await status(KEY.subarray(0, 19)), 401);
      assert.equal(await status(KEY_HEX.slice(0, -2)), 401);
      assert.equal(await status(KEY, 'cp-k'), 401, 'the user name is the identity, exactly');
      assert.equal(metricValue(await backend.metrics(), 'ocpp_edge_hex_authorization_keys_total'), 2);
    });
  });

  it('set as text: compared on its UTF-8 bytes', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const port = Number(new URL(backend.httpUrl).port);
      const text = 'Schlüssel-für-CP-T';
      assert.equal((await backend.api('PUT', '/api/charge-points/CP-T', { authorizationKeyText: text })).status, 201);
      const attempt = await connectSecureCharger(port, 'CP-T', { plain: true, password: Buffer.from(text, 'utf8') });
      assert.equal(attempt.status, 101);
      await closeAttempt(attempt);
    });
  });

  it('refuses keys outside 16-20 bytes and malformed hex, with the reason', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      for (const [body, reason] of [
        [{ authorizationKey: '00112233445566778899aabbccddee' }, /16 to 20 bytes .* this one is 15/],
        [{ authorizationKey: `${KEY_HEX}05` }, /this one is 21/],
        [{ authorizationKey: 'xyz' }, /hex digits/],
        [{ authorizationKeyText: 'fifteen-bytes!!' }, /this one is 15/],
        [{ authorizationKey: KEY_HEX, password: 'another-password' }, /give one of/],
      ] as const) {
        const response = await backend.api('PUT', '/api/charge-points/CP-BAD', body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.match(response.body.message, reason);
      }
      assert.equal((await backend.api('GET', '/api/charge-points/CP-BAD')).status, 404, 'nothing was created');
    });
  });
});

describe('rotate-password', () => {
  it('stores the new key after Accepted, keeps the old until the charger logs in with the new', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      const port = Number(new URL(backend.httpUrl).port);
      await backend.api('PUT', '/api/charge-points/CP-R', { authorizationKey: KEY_HEX, securityProfile: 1 });
      const changes: Array<Record<string, string>> = [];
      const charger = await connectCharger(backend.ocppUrl, 'CP-R', { password: KEY_HEX });
      charger.handle('ChangeConfiguration', async ({ params }) => {
        changes.push(params as Record<string, string>);
        return { status: 'Accepted' };
      });
      const rotated = await backend.api('POST', '/api/charge-points/CP-R/rotate-password');
      assert.equal(rotated.status, 200);
      assert.equal(rotated.body.status, 'Accepted');
      const newKey = rotated.body.authorizationKey as string;
      assert.match(newKey, /^[0-9a-f]{40}$/);
      assert.deepEqual(changes, [{ key: 'AuthorizationKey', value: newKey }]);
      assert.equal((await backend.api('GET', '/api/charge-points/CP-R')).body.passwordRotationPending, true);
      await charger.close();

      const attempt = async (password: string) => {
        const result = await connectSecureCharger(port, 'CP-R', { plain: true, password });
        await closeAttempt(result);
        return result.status;
      };
      assert.equal(await attempt(KEY_HEX), 101, 'the old key still works');
      assert.equal(await attempt(newKey), 101, 'the new key works');
      assert.equal(await attempt(KEY_HEX), 401, 'after a login with the new key, the old one is void');
      assert.equal((await backend.api('GET', '/api/charge-points/CP-R')).body.passwordRotationPending, false);
    });
  });

  it('a charger that does not accept keeps its key; a bad key or an offline charger changes nothing', async (t) => {
    await withBackend(t, 'sqlite', {}, async (backend) => {
      await backend.api('PUT', '/api/charge-points/CP-N', { authorizationKey: KEY_HEX, securityProfile: 1 });
      assert.equal((await backend.api('POST', '/api/charge-points/CP-N/rotate-password')).status, 409, 'offline');
      const charger = await connectCharger(backend.ocppUrl, 'CP-N', { password: KEY_HEX });
      charger.handle('ChangeConfiguration', async () => ({ status: 'Rejected' }));
      try {
        const refused = await backend.api('POST', '/api/charge-points/CP-N/rotate-password', {
          authorizationKeyText: 'a-new-key-of-20-byte',
        });
        assert.equal(refused.status, 409);
        assert.match(refused.body.message, /answered Rejected/);
        const short = await backend.api('POST', '/api/charge-points/CP-N/rotate-password', {
          authorizationKey: 'abcd',
        });
        assert.equal(short.status, 400);
        assert.equal((await backend.api('GET', '/api/charge-points/CP-N')).body.passwordRotationPending, false);
      } finally {
        await charger.close();
      }
    });
  });
});
