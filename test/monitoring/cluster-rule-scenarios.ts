/**
 * promtool unit tests of the per-cluster recording rules: two clusters, cluster "a" with two instances whose
 * other labels differ (they must be summed away), cluster "b" with one. Each rate rule must give one series
 * per cluster and kept label set, equal to the sum over that cluster's instances; each P95 must come from the
 * cluster's merged buckets (not from per-instance quantiles); the health score rule keeps each cluster's
 * lowest score.
 */
import { CATALOG, type MetricSpec } from '../../src/metrics/catalog.ts';
import { clusterRecordingDefinitions } from '../../src/monitoring/cluster-rules.ts';
import type { MonitoringConfig } from '../../src/monitoring/config.ts';
import { healthScoreName, series } from '../../src/monitoring/promql.ts';
import type { InputSeries } from './rule-scenarios.ts';

type Labels = Record<string, string>;
const SAMPLES = 60;
const A1 = { cluster: 'a', instance: 'a1:8000' };
const A2 = { cluster: 'a', instance: 'a2:8000' };
const B1 = { cluster: 'b', instance: 'b1:8000' };

const text = (name: string, labels: Labels): string =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

/** Prometheus' round(v, 0.001), computed the same way (promtool compares values exactly). */
const round = (v: number): number => Math.floor(v * 1000 + 0.5) / 1000;

export function clusterRuleTests(config: MonitoringConfig): { tests: object[]; covered: string[] } {
  // Names as the rules derive them (prefix and naming mode of the config).
  const metricName = (spec: MetricSpec, suffix: '' | '_bucket' = ''): string =>
    series(config, spec, [], suffix).metric;
  const job = Object.fromEntries([...config.selector.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const defs = new Map(clusterRecordingDefinitions(config).map((d) => [d.record, d]));
  const recordOf = (spec: MetricSpec, suffix: string, operation: string): string => {
    const base = metricName(spec) + suffix;
    const name = [...defs.keys()].find(
      (r) => r.endsWith(`:${operation}`) && r.startsWith(`cluster:${base.replace(/_total$/, '')}:`),
    );
    if (!name) throw new Error(`no per-cluster ${operation} rule for ${base}`);
    return name;
  };
  const kept = (spec: MetricSpec, record: string): string[] => {
    const q = defs.get(record)!.query;
    return q.kind === 'aggregate' ? [...(q.grouping?.labels ?? [])].filter((l) => l !== 'cluster') : [];
  };
  /** The metric's labels: kept ones the same everywhere, the others different per instance. */
  const labelsFor = (spec: MetricSpec, keep: readonly string[], instance: Labels): Labels => {
    const out: Labels = { ...job, ...instance };
    for (const l of spec.labels) {
      out[l] = keep.includes(l) ? (spec.labelValues?.[l]?.[0] ?? `${l}-1`) : `${instance.instance}-${l}`;
    }
    return out;
  };
  const counter = (spec: MetricSpec, labels: Labels, perSecond: number): InputSeries => ({
    series: text(metricName(spec), labels),
    values: `0+${perSecond * 60}x${SAMPLES}`,
  });
  /** `perSecond` observations of `value` a second, as cumulative buckets. */
  const histogram = (spec: MetricSpec, labels: Labels, value: number, perSecond: number): InputSeries[] =>
    [...(spec.buckets ?? []).map(String), '+Inf'].map((le) => ({
      series: text(metricName(spec, '_bucket'), { ...labels, le }),
      values: `0+${le === '+Inf' || value <= Number(le) ? perSecond * 60 : 0}x${SAMPLES}`,
    }));

  const tests: object[] = [];
  const covered: string[] = [];
  const C = CATALOG;

  // Rates: a = 1 + 2 per second, b = 4.
  const counters = [
    C.cacheOperations,
    C.toolSelections,
    C.toolExecutions,
    C.providerRequests,
    C.providerErrors,
    C.providerTokens,
  ];
  for (const spec of counters) {
    const rec = recordOf(spec, '', `rate${config.rateWindow}`);
    const keep = kept(spec, rec);
    const keptLabels = (i: Labels): Labels =>
      Object.fromEntries(keep.map((l) => [l, labelsFor(spec, keep, i)[l]!]));
    tests.push({
      name: `${rec} sums each cluster's instances`,
      interval: '1m',
      input_series: [
        counter(spec, labelsFor(spec, keep, A1), 1),
        counter(spec, labelsFor(spec, keep, A2), 2),
        counter(spec, labelsFor(spec, keep, B1), 4),
      ],
      promql_expr_test: [
        {
          expr: rec,
          eval_time: '10m',
          exp_samples: [
            { labels: text(rec, { cluster: 'a', ...keptLabels(A1) }), value: 3 },
            { labels: text(rec, { cluster: 'b', ...keptLabels(B1) }), value: 4 },
          ],
        },
      ],
    });
    covered.push(rec);
  }

  // Buckets and P95s. a1 observes b[7] 18 times a second and a2 b[9] twice: 19 of 20 observations fall at or
  // below b[9], so the cluster's P95 is the middle of (b[8], b[9]] (a2 alone would say b[9] almost, a1 alone
  // b[7] almost). b observes b[6] only: its P95 is 95 % of the way through (b[5], b[6]].
  for (const spec of [C.toolSelectionDuration, C.toolExecutionDuration, C.providerLatency]) {
    const b = spec.buckets!;
    const bucketRec = recordOf(spec, '_bucket', `rate${config.rateWindow}`);
    const p95Rec = recordOf(spec, '', 'p95');
    const keep = kept(spec, bucketRec).filter((l) => l !== 'le');
    const extra = (i: Labels): Labels =>
      Object.fromEntries(keep.map((l) => [l, labelsFor(spec, keep, i)[l]!]));
    const input = [
      ...histogram(spec, labelsFor(spec, keep, A1), b[7]!, 18),
      ...histogram(spec, labelsFor(spec, keep, A2), b[9]!, 2),
      ...histogram(spec, labelsFor(spec, keep, B1), b[6]!, 10),
    ];
    tests.push({
      name: `${bucketRec} and ${p95Rec} merge each cluster's buckets`,
      interval: '1m',
      input_series: input,
      promql_expr_test: [
        {
          expr: `${bucketRec}{le="+Inf"}`,
          eval_time: '10m',
          exp_samples: [
            { labels: text(bucketRec, { cluster: 'a', ...extra(A1), le: '+Inf' }), value: 20 },
            { labels: text(bucketRec, { cluster: 'b', ...extra(B1), le: '+Inf' }), value: 10 },
          ],
        },
        {
          expr: `round(${p95Rec}, 0.001)`,
          eval_time: '10m',
          exp_samples: [
            { labels: text('', { cluster: 'a', ...extra(A1) }), value: round((b[8]! + b[9]!) / 2) },
            {
              labels: text('', { cluster: 'b', ...extra(B1) }),
              value: round(b[5]! + (b[6]! - b[5]!) * 0.95),
            },
          ],
        },
      ],
    });
    covered.push(bucketRec, p95Rec);
  }

  // The lowest health score of each cluster (the score series given directly: no inputs for its own rule).
  const score = healthScoreName(config);
  const minRec = `cluster:${score}:min`;
  if (!defs.has(minRec)) throw new Error(`no ${minRec} rule`);
  const scoreSeries = (cluster: string, ns: string, v: number): InputSeries => ({
    series: text(score, { ...job, cluster, kubernetes_namespace: ns }),
    values: `${v}x${SAMPLES}`,
  });
  tests.push({
    name: `${minRec} keeps each cluster's lowest score`,
    interval: '1m',
    input_series: [scoreSeries('a', 'x', 80), scoreSeries('a', 'y', 60), scoreSeries('b', 'x', 90)],
    promql_expr_test: [
      {
        expr: minRec,
        eval_time: '10m',
        exp_samples: [
          { labels: text(minRec, { cluster: 'a' }), value: 60 },
          { labels: text(minRec, { cluster: 'b' }), value: 90 },
        ],
      },
    ],
  });
  covered.push(minRec);
  return { tests, covered };
}
