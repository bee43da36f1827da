// config/alerts.yml and config/prometheus.yml: valid for Prometheus (promtool), every alert proven to fire and to
// stay quiet (promtool test rules on test/ops/alerts.test.yml), and each one documented in docs/OPERATIONS.md.
//
// promtool comes from Debian's prometheus package. In CI (CI=true) a missing promtool fails the run; elsewhere the
// promtool tests are skipped with a message and the structural checks still run.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test, type TestContext } from 'node:test';
import YAML from 'yaml';
import { loadConfig } from '../../common/config.js';
import { backendOptions } from '../../backend/options.js';
import { proxyOptions } from '../../proxy/options.js';
import { findExecutable, headingAnchors, inRepo, runTool } from '../support/ops-tools.js';

const ALERTS = 'config/alerts.yml';
const PROMETHEUS = 'config/prometheus.yml';
const ALERT_TESTS = 'test/ops/alerts.test.yml';

/** The metric names proxy/ and backend/ promise (issues 2, 3 and 5); the alerts may use no other. */
const CONTRACT_METRICS = [
  'ocpp_edge_certificate_expiry_timestamp_seconds',
  'ocpp_edge_acme_orders_total',
  'ocpp_edge_acme_next_renewal_timestamp_seconds',
  'ocpp_edge_upstream_errors_total',
  'ocpp_edge_http_requests_total',
  'ocpp_edge_ws_connections',
  'ocpp_edge_upstream_healthy',
  'ocpp_edge_redis_up',
  // Issue 16: backend/metrics.ts, proven by test/backend/ocpp/security-messages.test.ts.
  'ocpp_edge_security_events_total',
  // Issue 16: backend/metrics.ts, proven by test/backend/security/profile-migration.test.ts.
  'ocpp_edge_security_profile_migrations_total',
  // Issue 18: common/filesystem-metrics.ts, proven by test/common/filesystem-metrics.test.ts.
  'ocpp_edge_filesystem_avail_bytes',
  'ocpp_edge_filesystem_size_bytes',
];

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}

const promtool = findExecutable('promtool');

function alertRules(): AlertRule[] {
  const document = YAML.parse(readFileSync(inRepo(ALERTS), 'utf8')) as {
    groups: { name: string; rules: AlertRule[] }[];
  };
  return document.groups.flatMap((group) => group.rules);
}

function alertRuleTests(): AlertRuleTest[] {
  const document = YAML.parse(readFileSync(inRepo(ALERT_TESTS), 'utf8')) as {
    tests: { alert_rule_test?: AlertRuleTest[] }[];
  };
  return document.tests.flatMap((group) => group.alert_rule_test ?? []);
}

/** promtool's path, or undefined after skipping the test (outside CI only). */
function requirePromtool(t: TestContext): string | undefined {
  if (promtool) return promtool;
  const message = "promtool not found: install Debian's prometheus package (apt-get install prometheus)";
  if (process.env.CI === 'true') assert.fail(`${message}; .ci/run must install it`);
  t.diagnostic(message);
  t.skip(message);
  return undefined;
}

describe('Prometheus files checked by promtool', () => {
  test('config/alerts.yml is a valid rule file', async (t) => {
    const tool = requirePromtool(t);
    if (!tool) return;
    const result = await runTool(tool, ['check', 'rules', ALERTS]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS: \d+ rules found/);
  });

  test('config/prometheus.yml is a valid configuration and loads alerts.yml', async (t) => {
    const tool = requirePromtool(t);
    if (!tool) return;
    const result = await runTool(tool, ['check', 'config', PROMETHEUS]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS: 1 rule files found/);
  });

  test('every alert fires and stays quiet when it should (promtool test rules)', async (t) => {
    const tool = requirePromtool(t);
    if (!tool) return;
    const result = await runTool(tool, ['test', 'rules', ALERT_TESTS]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });
});

describe('config/alerts.yml', () => {
  const rules = alertRules();

  test('holds the alerts of the runbook', () => {
    const names = new Set(rules.map((rule) => rule.alert));
    assert.deepEqual([...names].sort(), [
      'OcppEdgeAcmeOrderFailing',
      'OcppEdgeAcmeRenewalOverdue',
      'OcppEdgeBackendDown',
      'OcppEdgeCertificateExpiry',
      'OcppEdgeChargersDisconnected',
      'OcppEdgeCriticalSecurityEvent',
      'OcppEdgeDiskSpaceLow',
      'OcppEdgeHttp5xx',
      'OcppEdgeProxyDown',
      'OcppEdgeRedisDown',
      'OcppEdgeSecurityProfileMigrationFailed',
      'OcppEdgeUpstreamErrors',
      'OcppEdgeUpstreamUnhealthy',
    ]);
  });

  test('certificate expiry warns under 21 days and is critical under 7', () => {
    const expiry = rules.filter((rule) => rule.alert === 'OcppEdgeCertificateExpiry');
    const bySeverity = new Map(expiry.map((rule) => [rule.labels?.severity, rule.expr]));
    assert.deepEqual([...bySeverity.keys()].sort(), ['critical', 'warning']);
    assert.match(bySeverity.get('warning') ?? '', /< 21 \* 86400/);
    assert.match(bySeverity.get('critical') ?? '', /< 7 \* 86400/);
  });

  test("disk space warns over 80 % full (the plan's fourth alert) and is critical over 95 %", () => {
    const disk = rules.filter((rule) => rule.alert === 'OcppEdgeDiskSpaceLow');
    const bySeverity = new Map(disk.map((rule) => [rule.labels?.severity, rule.expr]));
    assert.deepEqual([...bySeverity.keys()].sort(), ['critical', 'warning']);
    assert.match(bySeverity.get('warning') ?? '', /> 0\.80\b/);
    assert.match(bySeverity.get('critical') ?? '', /> 0\.95\b/);
  });

  test('every alert has a severity, a summary, a description and a runbook section in docs/OPERATIONS.md', () => {
    const anchors = headingAnchors(readFileSync(inRepo('docs/OPERATIONS.md'), 'utf8'));
    for (const rule of rules) {
      assert.ok(
        ['warning', 'critical'].includes(rule.labels?.severity ?? ''),
        `${rule.alert}: severity warning or critical`,
      );
      assert.ok(rule.annotations?.summary, `${rule.alert}: summary annotation`);
      assert.ok(rule.annotations?.description, `${rule.alert}: description annotation`);
      const runbook = rule.annotations?.runbook_url ?? '';
      const [file, anchor] = runbook.split('#');
      assert.equal(file, 'docs/OPERATIONS.md', `${rule.alert}: runbook_url points into docs/OPERATIONS.md`);
      assert.ok(anchors.has(anchor), `${rule.alert}: docs/OPERATIONS.md has a heading for #${anchor}`);
    }
  });

  test('uses only the metric names the proxy and backend promise', () => {
    for (const rule of rules) {
      for (const [name] of rule.expr.matchAll(/\bocpp_edge_[a-z0-9_]+/g)) {
        assert.ok(CONTRACT_METRICS.includes(name), `${rule.alert} uses ${name}, which is not in the metrics contract`);
      }
    }
  });

  test('every alert has a firing case and a quiet case in test/ops/alerts.test.yml', () => {
    const cases = alertRuleTests();
    for (const rule of rules) {
      const severity = rule.labels?.severity;
      const fires = cases.some(
        (c) =>
          c.alertname === rule.alert && (c.exp_alerts ?? []).some((alert) => alert.exp_labels?.severity === severity),
      );
      const quiet = cases.some((c) => c.alertname === rule.alert && (c.exp_alerts ?? []).length === 0);
      assert.ok(fires, `${rule.alert} (${severity}) has no case where it fires`);
      assert.ok(quiet, `${rule.alert} has no case where it stays quiet`);
    }
  });
});

describe('config/prometheus.yml', () => {
  interface ScrapeConfig {
    job_name: string;
    metrics_path?: string;
    static_configs: { targets: string[] }[];
  }
  const document = YAML.parse(readFileSync(inRepo(PROMETHEUS), 'utf8')) as {
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  const job = (name: string) => document.scrape_configs.find((scrape) => scrape.job_name === name);

  test('loads alerts.yml', () => {
    assert.deepEqual(document.rule_files, ['alerts.yml']);
  });

  test('scrapes the proxy metrics listener and the backend where config/production.yaml puts them', () => {
    const proxy = loadConfig(proxyOptions, {
      flags: { config: inRepo('config/production.yaml') },
      section: 'proxy',
      env: {},
    });
    const backend = loadConfig(backendOptions, {
      flags: { config: inRepo('config/production.yaml') },
      section: 'backend',
      env: {},
    });
    assert.deepEqual(job('ocpp-edge-proxy')?.static_configs, [
      { targets: [`${proxy.metricsHost}:${proxy.metricsPort}`] },
    ]);
    assert.equal(job('ocpp-edge-proxy')?.metrics_path, '/metrics');
    assert.deepEqual(job('ocpp-edge-backend')?.static_configs, [
      { targets: [`${backend.metricsHost}:${backend.metricsPort}`] },
    ]);
    assert.equal(job('ocpp-edge-backend')?.metrics_path, '/metrics');
    assert.deepEqual(job('ocpp-edge-proxy')?.static_configs, [{ targets: ['127.0.0.1:9464'] }]);
    assert.deepEqual(job('ocpp-edge-backend')?.static_configs, [{ targets: ['127.0.0.1:9465'] }]);
  });

  test('its job names are the ones the down alerts watch', () => {
    const down = alertRules().filter((rule) => /^up\{/.test(rule.expr));
    const watched = down.map((rule) => /job="([^"]+)"/.exec(rule.expr)?.[1]).sort();
    assert.deepEqual(watched, document.scrape_configs.map((scrape) => scrape.job_name).sort());
  });
});
