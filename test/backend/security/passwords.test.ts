import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, PasswordVerifier, verifyPassword } from '../../../backend/security/passwords.js';

describe('charge point passwords', () => {
  test('are stored as salted scrypt hashes: the same password hashes differently twice', async () => {
    const [first, second] = [await hashPassword('s3cret'), await hashPassword('s3cret')];
    assert.match(first, /^scrypt\$16384\$8\$1\$/);
    assert.notEqual(first, second);
    assert.doesNotMatch(first, /s3cret/);
    assert.equal(await verifyPassword('s3cret', first), true);
    assert.equal(await verifyPassword('s3cret!', first), false);
  });

  test('a verified password is remembered: reconnecting chargers do not pay scrypt again', async () => {
    const verifier = new PasswordVerifier();
    const stored = await hashPassword('s3cret');
    assert.equal(await verifier.verify('s3cret', stored), true);
    assert.equal(await verifier.verify('s3cret', stored), true);
    assert.deepEqual(verifier.counts, { derived: 1, remembered: 1 });
  });

  test('a wrong password always costs scrypt and never matches a remembered success', async () => {
    const verifier = new PasswordVerifier();
    const stored = await hashPassword('s3cret');
    await verifier.verify('s3cret', stored);
    assert.equal(await verifier.verify('guess', stored), false);
    assert.equal(await verifier.verify('guess', stored), false);
    assert.deepEqual(verifier.counts, { derived: 3, remembered: 0 });
  });

  test('a changed password (a new stored hash) makes the old one fail at once', async () => {
    const verifier = new PasswordVerifier();
    const before = await hashPassword('old-password');
    assert.equal(await verifier.verify('old-password', before), true);
    const after = await hashPassword('new-password');
    assert.equal(await verifier.verify('old-password', after), false);
    assert.equal(await verifier.verify('new-password', after), true);
  });

  test('remembered successes expire and the number kept is bounded', async () => {
    const expiring = new PasswordVerifier({ ttlMs: 0 });
    const stored = await hashPassword('s3cret');
    await expiring.verify('s3cret', stored);
    await expiring.verify('s3cret', stored);
    assert.deepEqual(expiring.counts, { derived: 2, remembered: 0 });

    const small = new PasswordVerifier({ maxEntries: 1 });
    const [a, b] = [await hashPassword('a'), await hashPassword('b')];
    await small.verify('a', a);
    await small.verify('b', b); // evicts a
    await small.verify('a', a);
    assert.deepEqual(small.counts, { derived: 3, remembered: 0 });
  });
});
