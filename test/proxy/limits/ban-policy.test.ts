// Issue 17 §1: the ban policy on its own, on a fake clock: bans double up to --ban-max-time and are forgotten
// after it; the address rule needs many ids AND failures far over successes; --ban-ignore is never banned.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../../common/logger.js';
import { BanList } from '../../../proxy/limits/ban-list.js';
import { BanPolicy } from '../../../proxy/limits/ban-policy.js';

const logger = createLogger({ level: 'silent', name: 'test' });

function setup(overrides: Partial<ConstructorParameters<typeof BanPolicy>[1]> = {}) {
  const clock = { now: 0 };
  const now = () => clock.now;
  const bans = new BanList(logger, 3_600_000, now);
  const policy = new BanPolicy(
    bans,
    {
      failuresPerId: 3,
      idsPerAddress: 5,
      addressRatio: 4,
      windowMs: 600_000,
      banMs: 60_000,
      maxBanMs: 3_600_000,
      ignored: () => false,
      onBan: () => {},
      ...overrides,
    },
    logger,
    now,
  );
  return { clock, bans, policy };
}

describe('the ban policy', () => {
  test('each further ban of an id doubles, capped at the maximum; forgotten a maximum after the last ended', () => {
    const { clock, bans, policy } = setup();
    const durations: number[] = [];
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 3; i++) policy.failed('192.0.2.1', 'CP-1', 401);
      const ban = bans.find('charge_point', 'CP-1')!;
      durations.push((ban.until - ban.since) / 1000);
      clock.now = ban.until + 1;
    }
    assert.deepEqual(durations, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    clock.now += 3_600_000;
    for (let i = 0; i < 3; i++) policy.failed('192.0.2.1', 'CP-1', 401);
    const fresh = bans.find('charge_point', 'CP-1')!;
    assert.equal(fresh.offences, 1);
    assert.equal(fresh.until - fresh.since, 60_000);
  });

  test('a success starts the id afresh', () => {
    const { bans, policy } = setup();
    policy.failed('192.0.2.1', 'CP-1', 401);
    policy.failed('192.0.2.1', 'CP-1', 401);
    policy.succeeded('192.0.2.1', 'CP-1');
    policy.failed('192.0.2.1', 'CP-1', 401);
    assert.equal(bans.find('charge_point', 'CP-1'), undefined);
  });

  test('failures of one id never ban the address, however many', () => {
    const { bans, policy } = setup({ failuresPerId: 0 });
    for (let i = 0; i < 1000; i++) policy.failed('192.0.2.1', 'CP-ROTATED', 401);
    assert.equal(bans.find('address', '192.0.2.1'), undefined);
  });

  test('many ids ban the address only when failures are ratio times the successes', () => {
    const { bans, policy } = setup();
    for (let i = 0; i < 10; i++) policy.succeeded('192.0.2.2', `CP-OK-${i}`);
    for (let i = 0; i < 39; i++) policy.failed('192.0.2.2', `CP-BAD-${i % 20}`, 401);
    assert.equal(bans.find('address', '192.0.2.2'), undefined, '39 failures over 10 successes: under 4x');
    policy.failed('192.0.2.2', 'CP-BAD-0', 401);
    assert.ok(bans.find('address', '192.0.2.2'), '40 failures over 20 ids and 10 successes: banned');
  });

  test('the window ends: old failures no longer count', () => {
    const { clock, bans, policy } = setup();
    policy.failed('192.0.2.1', 'CP-1', 401);
    policy.failed('192.0.2.1', 'CP-1', 401);
    clock.now += 600_001;
    policy.failed('192.0.2.1', 'CP-1', 401);
    assert.equal(bans.find('charge_point', 'CP-1'), undefined);
  });

  test('--ban-ignore addresses are never banned by address', () => {
    const { bans, policy } = setup({ ignored: (key) => key === '192.0.2.3' });
    for (let i = 0; i < 50; i++) policy.failed('192.0.2.3', `CP-${i}`, 403);
    assert.equal(bans.find('address', '192.0.2.3'), undefined);
  });
});
