/**
 * The multi-cluster sketch: a cluster's Prometheus (the stack, one demo, external label cluster="edge-a") and a
 * central Prometheus federating from it with the generated federation config. The central one answers the
 * dashboard's queries with the cluster variable set, and the series it holds carry cluster="edge-a".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { interpolateQuery } from '../../src/monitoring/dashboard.ts';
import { buildFederationPrometheusConfig } from '../../src/monitoring/prometheus.ts';
import { clusterRecordingDefinitions } from '../../src/monitoring/cluster-rules.ts';
import { healthScoreName } from '../../src/monitoring/promql.ts';
import { freePort, startProcess, waitReady, type ManagedProcess } from '../../src/stack/proc.ts';
import { startStack, type Stack } from '../../src/stack/stack.ts';
import { dataQueries, finiteValues, promQuery, queriesWithoutData, waitFor } from './helpers.ts';

const config = resolveMonitoringConfig({});
let edge: Stack | undefined;
let central: ManagedProcess | undefined;
let centralDir: string | undefined;
let centralUrl = '';

beforeAll(async () => {
  edge = await startStack({
    demos: [{ scenario: 'normal', seed: 5 }],
    monitoring: config,
    externalLabels: { cluster: 'edge-a' },
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
  const federation = buildFederationPrometheusConfig(
    resolveMonitoringConfig({ federation: { targets: [new URL(edge.prometheusUrl).host] } }),
  );
  // The generated config federates every 30 s (right for a central Prometheus); rates over a 1 m window need
  // two federated samples and the test cannot wait minutes, so only the interval is shortened here.
  federation.global = { ...(federation.global as object), scrape_interval: '1s', evaluation_interval: '1s' };
  centralDir = mkdtempSync(join(tmpdir(), 'victor-perf-federation-'));
  const configFile = join(centralDir, 'prometheus.yml');
  writeFileSync(configFile, JSON.stringify(federation, null, 2)); // JSON is YAML
  const port = await freePort();
  centralUrl = `http://127.0.0.1:${port}`;
  central = startProcess({
    name: 'central-prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(centralDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
  });
  await waitReady(central, `${centralUrl}/-/ready`);
  let seen = '';
  await waitFor(
    async () => {
      const up = await promQuery(centralUrl, 'up{job="victor-federate"}');
      const rates = await promQuery(
        centralUrl,
        'sum(rate(victor_tool_executions_total{cluster="edge-a"}[1m])) > 0',
      );
      const samples = await promQuery(
        centralUrl,
        'min(count_over_time(victor_system_uptime_seconds{cluster="edge-a"}[1m])) >= 5',
      );
      seen = `up=${JSON.stringify(up)} rates=${rates.length} samples=${samples.length}`;
      return up[0]?.value[1] === '1' && rates.length > 0 && samples.length > 0;
    },
    120_000,
    () => `the central Prometheus has no federated rates yet: ${seen}\n${central?.output() ?? ''}`,
  );
}, 180_000);

afterAll(async () => {
  await central?.stop();
  await edge?.stop();
  if (centralDir) rmSync(centralDir, { recursive: true, force: true });
}, 60_000);

describe('a central Prometheus federating from the cluster Prometheus', () => {
  it('answers every dashboard panel query with cluster="edge-a"', async () => {
    // "Firing Alerts" (ALERTS) is not federated by the match[] of the generated config, and is empty anyway
    // while nothing fires; alerts.live.test.ts covers it.
    const edgeA = { rateInterval: '1m', range: '5m', values: { cluster: 'edge-a' } };
    const queries = dataQueries(config).map((q) => ({
      name: q.name,
      expr: interpolateQuery(q.query.expr, edgeA),
    }));
    const empty = await queriesWithoutData(centralUrl, queries, 90_000);
    expect(empty, `panel queries without data on the central Prometheus:\n${empty.join('\n')}`).toEqual([]);

    // The filter applies: another cluster has nothing.
    const other = { rateInterval: '1m', range: '5m', values: { cluster: 'edge-b' } };
    const memory = dataQueries(config).find((q) => q.panel.title === 'Memory Usage')!.query.expr;
    expect(await promQuery(centralUrl, interpolateQuery(memory, other))).toEqual([]);
  }, 240_000);

  it('federated series carry cluster="edge-a" and keep their job and instance', async () => {
    const byCluster = await promQuery(centralUrl, 'count by (cluster, job) ({job="victor-perf"})');
    expect(byCluster.map((s) => s.metric)).toEqual([{ cluster: 'edge-a', job: 'victor-perf' }]);
    const memory = await promQuery(centralUrl, 'victor_system_memory_bytes');
    expect(memory.map((s) => s.metric)).toEqual([
      expect.objectContaining({ cluster: 'edge-a', job: 'victor-perf', instance: edge!.targets[0] }),
    ]);
    // The recorded health score is federated too, with its cluster.
    const score = await promQuery(centralUrl, healthScoreName(config));
    expect(score.map((s) => s.metric)).toEqual([
      expect.objectContaining({ __name__: healthScoreName(config), cluster: 'edge-a' }),
    ]);
  }, 60_000);

  it('federates every per-cluster series, labelled with the cluster that recorded it', async () => {
    // Recorded on the cluster's Prometheus without a cluster label (it is the external label there); the
    // federation endpoint attaches it, and the central Prometheus keeps it (honor_labels).
    const records = clusterRecordingDefinitions(config).map((d) => d.record);
    let missing: string[] = [];
    await waitFor(
      async () => {
        const found = await promQuery(centralUrl, `count by (__name__, cluster) ({__name__=~"cluster:.+"})`);
        const have = new Set(
          found.filter((s) => s.metric.cluster === 'edge-a').map((s) => s.metric.__name__),
        );
        missing = records.filter((r) => !have.has(r));
        return missing.length === 0;
      },
      60_000,
      () => `per-cluster series not federated: ${missing.join(', ')}`,
    );
    const executions = await promQuery(
      centralUrl,
      `sum(${records.find((r) => r.includes('tool_executions'))})`,
    );
    expect(finiteValues(executions)[0]).toBeGreaterThan(0);
  }, 90_000);
});
