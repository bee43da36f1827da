// Issue 17 §1: the rules under the limits, on their own: which key a client counts against (IPv6 per /64, mapped
// IPv4, --trust-proxy), token buckets, the ceiling from /proc/self/limits, sizes as nginx writes them.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseByteSize } from '../../../proxy/limits/byte-size.js';
import { clientKey } from '../../../proxy/limits/client-address.js';
import { ceilingFor, connectionCeiling, readFileLimit } from '../../../proxy/limits/fd-limit.js';
import { TokenBuckets } from '../../../proxy/limits/token-bucket.js';

describe('client keys', () => {
  test('IPv4 is itself, IPv4-mapped IPv6 is the IPv4 address', () => {
    assert.equal(clientKey('192.0.2.7', 64), '192.0.2.7');
    assert.equal(clientKey('::ffff:192.0.2.7', 64), '192.0.2.7');
  });
  test('IPv6 addresses of one /64 share a key; another /64 has its own', () => {
    assert.equal(clientKey('2001:db8:1:2::10', 64), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:DB8:1:2:ffff:eeee:dddd:1', 64), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8:1:3::10', 64), '2001:db8:1:3::/64');
    assert.equal(clientKey('2001:db8:1:2:aaaa::1', 48), '2001:db8:1::/48');
    assert.equal(clientKey('::1', 128), '::1');
    assert.equal(clientKey('fe80::1%eth0', 64), 'fe80::/64');
  });
});

describe('token buckets', () => {
  test('a burst at once, then the rate; keys are independent', () => {
    let now = 0;
    const buckets = new TokenBuckets(2, 3, () => now);
    assert.deepEqual([buckets.take('a'), buckets.take('a'), buckets.take('a')], [0, 0, 0]);
    assert.equal(buckets.take('a'), 500);
    assert.equal(buckets.take('b'), 0);
    now += 500;
    assert.equal(buckets.take('a'), 0);
    assert.ok(buckets.take('a') > 0);
  });
  test('full buckets are forgotten', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 5, () => now);
    buckets.take('a');
    now += 2000;
    buckets.take('b');
    assert.equal(buckets.size, 1);
  });
});

describe('the open-file limit', () => {
  const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;
  test('read from /proc/self/limits', () => {
    assert.deepEqual(readFileLimit(limits), { soft: 1024, hard: 524288 });
    assert.equal(readFileLimit('nothing here'), undefined);
    assert.ok((readFileLimit()?.soft ?? 0) > 0, 'this process has a limit');
  });
  test('two descriptors per connection after a reserve; a warning when low or over-committed', () => {
    assert.equal(ceilingFor(256), 112);
    assert.equal(ceilingFor(65536), 32256);
    const low = connectionCeiling(0, { soft: 1024, hard: 4096 });
    assert.equal(low.maxConnections, ceilingFor(1024));
    assert.match(low.warnings[0]!, /RLIMIT_NOFILE\) is 1024/);
    const over = connectionCeiling(5000, { soft: 1024, hard: 4096 });
    assert.equal(over.maxConnections, 5000);
    assert.match(over.warnings.join(' '), /--max-connections 5000 is above/);
    assert.deepEqual(connectionCeiling(0, { soft: 65536, hard: 65536 }).warnings, []);
  });
});

test('sizes as nginx writes them', () => {
  assert.equal(parseByteSize('1m'), 1048576);
  assert.equal(parseByteSize('64K'), 65536);
  assert.equal(parseByteSize('1000'), 1000);
  assert.equal(parseByteSize('1 mb'), 1048576);
  assert.equal(parseByteSize('lots'), undefined);
});
