// The one charge point identity rule (common/charge-point-identity.ts), as the proxy, the OCPP endpoint and the
// REST API apply it. Each side's own test connects or calls with the same identities (test/proxy/bad-input.test.ts,
// test/backend/ocpp-endpoint.test.ts); this one pins the rule itself.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CHARGE_POINT_ID_PATTERN,
  chargePointIdFromPath,
  isChargePointId,
  printableIdentity,
} from '../../common/charge-point-identity.js';

describe('charge point identity rule', () => {
  it("percent-decodes the identity: OCPP-J's own examples RDAM%7C123 and RDAM%20123", () => {
    assert.deepEqual(chargePointIdFromPath('/ocpp/RDAM%7C123', '/ocpp/'), { id: 'RDAM|123', trailingSlash: false });
    assert.deepEqual(chargePointIdFromPath('/ocpp/RDAM%20123', '/ocpp/'), { id: 'RDAM 123', trailingSlash: false });
    assert.equal(chargePointIdFromPath('/ocpp/CP%41', '/ocpp/')?.id, 'CPA');
    assert.equal(chargePointIdFromPath('/ocpp/CP$1', '/ocpp/')?.id, 'CP$1');
    assert.equal(chargePointIdFromPath('/ocpp/a*b-c_d=e+f|g@h.i', '/ocpp/')?.id, 'a*b-c_d=e+f|g@h.i');
  });

  it('tolerates one trailing slash and says so', () => {
    assert.deepEqual(chargePointIdFromPath('/ocpp/CP1/', '/ocpp/'), { id: 'CP1', trailingSlash: true });
    assert.equal(chargePointIdFromPath('/ocpp/CP1//', '/ocpp/'), undefined);
  });

  it('refuses what the rule excludes', () => {
    const refused = [
      '/ocpp/',
      `/ocpp/${'A'.repeat(49)}`,
      `/ocpp/${'A'.repeat(47)}%7C%7C`,
      '/ocpp/has%3Acolon',
      '/ocpp/has:colon',
      '/ocpp/CP1/extra',
      '/ocpp/CP%2F1',
      '/ocpp/CP%5C1',
      '/ocpp/CP\\1',
      '/ocpp/%E0%A4%A',
      '/ocpp/CP%0A1',
      '/ocpp/CP%C3%A9',
      '/ocpp/%2E%2E',
      '/ocpp/.',
      '/other/CP1',
    ];
    for (const path of refused) assert.equal(chargePointIdFromPath(path, '/ocpp/'), undefined, path);
  });

  it('counts 48 characters after decoding, not in the URL', () => {
    const id = `${'A'.repeat(46)}|~`;
    assert.equal(chargePointIdFromPath(`/ocpp/${encodeURIComponent(id)}`, '/ocpp/')?.id, id);
  });

  it('is the same rule as the JSON-schema pattern the API validates with', () => {
    const pattern = new RegExp(CHARGE_POINT_ID_PATTERN, 'u');
    for (let code = 0; code < 0x100; code++) {
      const id = `CP${String.fromCharCode(code)}`;
      assert.equal(pattern.test(id), isChargePointId(id), `character 0x${code.toString(16)}`);
    }
  });

  it('prints refused identities with escapes instead of raw control bytes', () => {
    assert.equal(printableIdentity('/ocpp/CP\n1\u001b[31m'), '/ocpp/CP\\x0a1\\x1b[31m');
    assert.equal(printableIdentity('RDAM|123'), 'RDAM|123');
    assert.equal(printableIdentity('é\u2028'), '\\xe9\\u2028');
  });
});
