// The warning for chargers that check the Common Name: an ACME profile known to drop it (Let's Encrypt's
// tlsserver, shortlived) is named at start-up; certificates are told apart by whether their subject has a CN.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { hasCommonName, profileDropsCommonName } from '../../../../proxy/tls/acme/common-name.js';
import { startProxyUnderTest } from '../../../support/proxy-under-test.js';
import { createTestCa, issueCertificate } from '../../../support/test-certificates.js';

describe('ACME certificates without a Common Name', () => {
  it('names the profiles that drop the CN', () => {
    assert.equal(profileDropsCommonName('tlsserver'), true);
    assert.equal(profileDropsCommonName('shortlived'), true);
    assert.equal(profileDropsCommonName('classic'), false);
    assert.equal(profileDropsCommonName(undefined), false);
  });

  it('tells a certificate with a CN from one without', async () => {
    const withCn = await issueCertificate(await createTestCa(), ['charge.example']);
    assert.equal(hasCommonName(withCn.certPem), true);
    const withoutCn = await generate([{ name: 'organizationName', value: 'No CN' }], {
      keyType: 'ec',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'charge.example' }] }],
    });
    assert.equal(hasCommonName(withoutCn.cert), false);
  });

  for (const [profile, warns] of [
    ['tlsserver', true],
    ['classic', false],
  ] as const)
    it(`--acme-profile ${profile}: ${warns ? 'a warning' : 'no warning'} at start-up`, async () => {
      // A directory that answers nothing useful: the proxy starts on its placeholder and keeps trying.
      const directory = http.createServer((_req, res) => res.writeHead(503).end());
      await new Promise<void>((resolve) => directory.listen(0, '127.0.0.1', resolve));
      const edge = await startProxyUnderTest({
        tls: 'acme',
        domain: ['charge.example'],
        'acme-directory': `http://127.0.0.1:${(directory.address() as AddressInfo).port}/directory`,
        'acme-profile': profile,
        upstream: ['http://127.0.0.1:9'],
      });
      try {
        const warnings = edge.logs.matching((line) => String(line.msg).includes('without a subject Common Name'));
        assert.equal(warnings.length > 0, warns);
        if (warns) assert.match(String(warnings[0]!.msg), /--acme-profile tlsserver/);
      } finally {
        await edge.close();
        directory.close();
      }
    });
});
