// docs/MIGRATION.md and docs/OPERATIONS.md: every link between them lands on a heading that exists, every file
// they tell operators to use is in the repository, and they cover what an operator cannot do without.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { headingAnchors, inRepo } from '../support/ops-tools.js';

const DOCS = ['docs/MIGRATION.md', 'docs/OPERATIONS.md'] as const;

function read(file: string): string {
  return readFileSync(inRepo(file), 'utf8');
}

describe('operations docs', () => {
  for (const file of DOCS) {
    test(`${file}: every relative link points at an existing file and heading`, () => {
      const text = read(file);
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [linked, anchor] = target.split('#');
        const linkedFile = linked === '' ? file : path.join(path.dirname(file), linked);
        assert.ok(existsSync(inRepo(linkedFile)), `${file}: link to missing ${linkedFile}`);
        if (anchor) assert.ok(headingAnchors(read(linkedFile)).has(anchor), `${file}: no heading for ${target}`);
      }
    });

    test(`${file}: the repository files it names exist`, () => {
      const named = read(file).match(/\b(?:config\/[\w./-]+\.(?:ya?ml|service)|ecosystem\.config\.c?js)\b/g) ?? [];
      assert.ok(named.length > 0);
      for (const name of new Set(named))
        assert.ok(existsSync(inRepo(name)), `${file} names ${name}, which does not exist`);
    });
  }

  test('the migration covers DNS, ports without root, start-up at boot, the 24-hour watch and rollback', () => {
    const migration = read('docs/MIGRATION.md');
    for (const needed of [
      'DNS only',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
      "setcap 'cap_net_bind_service=+ep'",
      'net.ipv4.ip_unprivileged_port_start=80',
      'pm2 startup',
      'pm2 save',
      'ocpp-edge simulate',
      'ocpp-edge check',
      '## 8. The 24-hour watch',
      '## 9. Rollback',
    ]) {
      assert.ok(migration.includes(needed), `docs/MIGRATION.md mentions ${needed}`);
    }
  });

  test('operations cover the daily checks, log locations and rotation', () => {
    const operations = read('docs/OPERATIONS.md');
    for (const needed of [
      'ocpp-edge certs list',
      'ocpp-edge check',
      'journalctl -u ocpp-edge-proxy',
      'pm2-logrotate',
      'copytruncate',
      '## Daily checks',
      '## Weekly maintenance',
    ]) {
      assert.ok(operations.includes(needed), `docs/OPERATIONS.md mentions ${needed}`);
    }
  });
});
