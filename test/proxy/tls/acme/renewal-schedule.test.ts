import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, parseRetryAfter, retryDelayMs } from '../../../../proxy/tls/acme/backoff.js';
import { ariRenewalTime, decideRenewal, lifetimeRenewalTime } from '../../../../proxy/tls/acme/renewal-schedule.js';

const DAY = 86_400_000;
const start = new Date('2026-01-01T00:00:00Z');
const days = (count: number) => new Date(start.getTime() + count * DAY);

describe('renewal time without ARI: a third of the lifetime remaining', () => {
  for (const [lifetime, before] of [
    [90, 30],
    [45, 15],
    [6, 2],
  ] as const) {
    test(`${lifetime}-day certificate renews ${before} days before expiry`, () => {
      const renewAt = lifetimeRenewalTime(start, days(lifetime));
      assert.equal(days(lifetime).getTime() - renewAt.getTime(), before * DAY);
    });
  }

  const live = {
    names: ['charger.test'],
    keyType: 'ecdsa-p256',
    directory: 'https://ca/dir',
    notBefore: start,
    notAfter: days(90),
  };
  const wanted = { domains: ['charger.test'], keyType: 'ecdsa-p256', directory: 'https://ca/dir' };

  test('a certificate that no longer matches the configuration is renewed now', () => {
    const now = days(1);
    assert.match(
      decideRenewal(live, { ...wanted, domains: ['charger.test', 'api.charger.test'] }, undefined, now).reason,
      /does not cover api\.charger\.test/,
    );
    assert.equal(decideRenewal(live, { ...wanted, keyType: 'rsa-2048' }, undefined, now).renewAt, now);
    assert.equal(decideRenewal(live, { ...wanted, directory: 'https://other/dir' }, undefined, now).renewAt, now);
  });

  test('an ARI time wins over the lifetime rule', () => {
    const ari = { window: { start: days(9), end: days(11) }, renewAt: days(10) };
    assert.deepEqual(decideRenewal(live, wanted, ari, days(1)).renewAt, days(10));
    assert.deepEqual(decideRenewal(live, wanted, undefined, days(1)).renewAt, days(60));
  });

  test('an ARI window that closed before the certificate was issued is ignored (no renewal loop)', () => {
    const stale = { window: { start: days(-3), end: days(-2) }, renewAt: days(-2.5) };
    assert.deepEqual(decideRenewal({ ...live, issuedAt: start }, wanted, stale, days(1)).renewAt, days(60));
    const afterIssuance = { window: { start: days(0.5), end: days(0.9) }, renewAt: days(0.7) };
    assert.deepEqual(
      decideRenewal({ ...live, issuedAt: start }, wanted, afterIssuance, days(1)).renewAt,
      days(0.7),
      'a past window opened after issuance: renew now',
    );
  });
});

describe('ARI window (RFC 9773 §4.2)', () => {
  const window = { start: days(60), end: days(62) };

  test('picks a time inside the window', () => {
    for (const random of [0, 0.25, 0.999999]) {
      const at = ariRenewalTime(window, undefined, () => random).getTime();
      assert.ok(at >= window.start.getTime() && at <= window.end.getTime());
    }
  });

  test('keeps its pick while the window stays, re-picks when the CA moves it', () => {
    const first = ariRenewalTime(window, undefined, () => 0.5);
    assert.equal(
      ariRenewalTime(window, { window, renewAt: first }, () => 0.9),
      first,
    );
    const moved = { start: days(30), end: days(31) };
    const again = ariRenewalTime(moved, { window, renewAt: first }, () => 0);
    assert.deepEqual(again, moved.start);
  });
});

describe('retry back-off after a failed order', () => {
  test('starts at 1 minute, doubles, stops at 6 hours', () => {
    const noSpread = () => 0;
    assert.equal(retryDelayMs(1, undefined, noSpread), BACKOFF_MIN_MS);
    assert.equal(retryDelayMs(2, undefined, noSpread), 2 * BACKOFF_MIN_MS);
    assert.equal(retryDelayMs(5, undefined, noSpread), 16 * BACKOFF_MIN_MS);
    assert.equal(retryDelayMs(20, undefined, noSpread), BACKOFF_MAX_MS);
    assert.ok(retryDelayMs(20, undefined, () => 0.99) <= BACKOFF_MAX_MS);
    assert.ok(retryDelayMs(1, undefined, () => 0.99) <= 1.1 * BACKOFF_MIN_MS);
  });

  test("never retries before the server's Retry-After", () => {
    assert.equal(
      retryDelayMs(1, 3 * 3_600_000, () => 0),
      3 * 3_600_000,
    );
    assert.equal(
      retryDelayMs(1, 5_000, () => 0),
      BACKOFF_MIN_MS,
    );
  });

  test('Retry-After in seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('120'), 120_000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:10:00 GMT', now), 600_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});
