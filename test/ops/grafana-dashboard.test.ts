// config/grafana-dashboard.json, and the PromQL of config/alerts.yml, against what the processes really export: a
// real backend and a real proxy are started, their private metrics listeners scraped, and every metric name in
// every expression (parsed with Prometheus' own PromQL grammar, @prometheus-io/lezer-promql) must be one they
// serve, from the process the expression's job selects. The dashboard shows what the issue asks for: chargers
// connected, sessions by result, OCPP messages and p99 per action, certificate days left, 5xx per route, RSS,
// event-loop delay, and disk space.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import YAML from 'yaml';
import { spawnBackend, type SpawnedBackend } from '../support/cluster/spawned-backend.js';
import { inRepo } from '../support/ops-tools.js';
import { startProxyProcess, type ProxyProcess } from '../support/proxy-process.js';
import { redisServerUnavailable, startRedis, type TestRedis } from '../support/redis-server.js';
import { metricValue } from '../support/proxy-under-test.js';

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(inRepo('config/grafana-dashboard.json'), 'utf8')) as {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
};
const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);

/** Grafana's interval variables, as Grafana substitutes them before the query reaches Prometheus. */
function asPromql(expr: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s').replaceAll('$__range', '1h');
}

interface Selector {
  metric: string;
  /** The job an equality matcher names (job="ocpp-edge-backend"), if any. */
  job?: string;
}

/** Every vector selector of a PromQL expression; throws on a syntax error. */
function selectors(expr: string): Selector[] {
  const text = asPromql(expr);
  const tree = parser.parse(text);
  const found: Selector[] = [];
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new Error(`PromQL syntax error at ${cursor.from} in: ${text}`);
    if (cursor.name !== 'VectorSelector') continue;
    const node = cursor.node;
    const identifier = node.getChild('Identifier');
    if (!identifier) continue;
    const selector = text.slice(node.from, node.to);
    const job = /\bjob="([^"]+)"/.exec(selector)?.[1];
    found.push({ metric: text.slice(identifier.from, identifier.to), ...(job ? { job } : {}) });
  } while (cursor.next());
  return found;
}

/** Metric names a scrape offers: each # TYPE, with the series names of histograms and summaries. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Prometheus' own series for every target, not exported by any process. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

describe('config/grafana-dashboard.json', () => {
  const expressions = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );

  test('every panel queries the Prometheus data source variable, with unique ids, inside the 24-column grid', () => {
    assert.equal(dashboard.uid, 'ocpp-edge');
    assert.ok(
      dashboard.templating.list.some((variable) => variable.name === 'datasource' && variable.query === 'prometheus'),
    );
    const ids = panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length, 'unique panel ids');
    for (const panel of panels) {
      assert.deepEqual(panel.datasource, { type: 'prometheus', uid: '${datasource}' }, panel.title);
      assert.ok(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the grid`);
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    }
  });

  test('every expression is valid PromQL', () => {
    for (const { panel, expr } of expressions) assert.doesNotThrow(() => selectors(expr), `${panel}: ${expr}`);
  });

  test('shows what an operator watches: chargers, sessions, OCPP per action, certificates, 5xx, RSS, event loop, disk', () => {
    const query = (pattern: RegExp) => expressions.filter(({ expr }) => pattern.test(expr));
    const needed: [string, RegExp][] = [
      ['chargers connected', /ocpp_edge_connected_charge_points/],
      ['sessions by result', /sum by \(result\) \(increase\(ocpp_edge_ws_sessions_total/],
      ['OCPP messages per action', /sum by \(action, direction\) \(rate\(ocpp_edge_ocpp_messages_total/],
      [
        'OCPP p99 per action',
        /histogram_quantile\(0\.99, sum by \(action, le\) \(rate\(ocpp_edge_ocpp_handler_duration_seconds_bucket/,
      ],
      ['certificate days left', /\(ocpp_edge_certificate_expiry_timestamp_seconds\{[^}]*\} - time\(\)\) \/ 86400/],
      ['5xx per route', /sum by \(job, route\) \(rate\(ocpp_edge_http_requests_total\{status=~"5\.\."\}/],
      ['RSS', /process_resident_memory_bytes/],
      ['event-loop delay', /nodejs_eventloop_lag_p99_seconds/],
      ['disk used', /1 - ocpp_edge_filesystem_avail_bytes\{[^}]*\} \/ ocpp_edge_filesystem_size_bytes/],
    ];
    for (const [what, pattern] of needed) assert.ok(query(pattern).length > 0, `a panel for ${what}`);
  });

  describe('against the running processes', { skip: redisServerUnavailable('dashboard metric checks') }, () => {
    let dir: string;
    let backend: SpawnedBackend;
    let proxy: ProxyProcess;
    let redis: TestRedis;
    let scraped: Record<'ocpp-edge-backend' | 'ocpp-edge-proxy', string>;
    let exported: Record<'ocpp-edge-backend' | 'ocpp-edge-proxy', Set<string>>;

    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ocpp-edge-dashboard-'));
      // With Redis (a private server) and ACME (a directory nobody answers: the orders fail, the proxy serves its
      // placeholder certificate meanwhile), so the series of those modes exist too.
      redis = await startRedis();
      backend = await spawnBackend({ database: `sqlite:${path.join(dir, 'db', 'ocpp.db')}`, redis: redis.url });
      proxy = await startProxyProcess([
        '--tls',
        'acme',
        '--acme-directory',
        'https://127.0.0.1:9/directory',
        '--acme-email',
        'ops@example.net',
        '--domain',
        'charger.example',
        '--data-dir',
        path.join(dir, 'data'),
        '--log-dir',
        path.join(dir, 'logs'),
        '--upstream',
        backend.httpUrl,
      ]);
      scraped = {
        'ocpp-edge-backend': await (await fetch(backend.metricsUrl)).text(),
        'ocpp-edge-proxy': await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics`)).text(),
      };
      exported = {
        'ocpp-edge-backend': exportedNames(scraped['ocpp-edge-backend']),
        'ocpp-edge-proxy': exportedNames(scraped['ocpp-edge-proxy']),
      };
    });
    after(async () => {
      await proxy?.stop();
      await backend?.stop();
      await redis?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    /** Each selector's metric is served by the process its job names (or by one of them). */
    function assertExported(source: string, expr: string): void {
      for (const { metric, job } of selectors(expr)) {
        if (SYNTHETIC.has(metric)) continue;
        if (job === 'ocpp-edge-backend' || job === 'ocpp-edge-proxy')
          assert.ok(exported[job].has(metric), `${source}: ${metric} is not exported by ${job}`);
        else
          assert.ok(
            exported['ocpp-edge-backend'].has(metric) || exported['ocpp-edge-proxy'].has(metric),
            `${source}: ${metric} is exported by neither process`,
          );
      }
    }

    test('every metric of every dashboard query is exported by the process it reads', () => {
      for (const { panel, expr } of expressions) assertExported(panel, expr);
    });

    test('every metric of every alert rule is exported too', () => {
      const alerts = YAML.parse(readFileSync(inRepo('config/alerts.yml'), 'utf8')) as {
        groups: { rules: { alert: string; expr: string }[] }[];
      };
      const missing: string[] = [];
      for (const rule of alerts.groups.flatMap((group) => group.rules))
        try {
          assertExported(rule.alert, rule.expr);
        } catch (error) {
          missing.push((error as Error).message);
        }
      assert.deepEqual(missing, []);
    });

    test('the disk panel and alert have their series: data and logs from the proxy, the database from the backend', () => {
      const proxyText = scraped['ocpp-edge-proxy'];
      for (const [purpose, watched] of [
        ['data', path.join(dir, 'data')],
        ['logs', path.join(dir, 'logs')],
      ] as const) {
        const size = metricValue(proxyText, 'ocpp_edge_filesystem_size_bytes', { purpose, path: watched });
        const avail = metricValue(proxyText, 'ocpp_edge_filesystem_avail_bytes', { purpose, path: watched });
        assert.ok(
          size !== undefined && size > 0 && avail !== undefined && avail <= size,
          `proxy ${purpose}: ${avail}/${size}`,
        );
      }
      const database = metricValue(scraped['ocpp-edge-backend'], 'ocpp_edge_filesystem_size_bytes', {
        purpose: 'database',
        path: path.join(dir, 'db'),
      });
      assert.ok(database !== undefined && database > 0, 'backend database filesystem');
    });
  });
});
