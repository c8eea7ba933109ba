/**
 * Per-cluster recording rules: what a global view (a central Prometheus federating many, or a long-term store
 * fed by remote_write) needs, summed over every process of a cluster so that it reads a few series per
 * cluster instead of every pod's. Counter rates keep the labels a global ratio needs (summed across clusters
 * first, then divided), bucket rates keep `le` so that global quantiles stay correct, and the P95s and the
 * lowest health score are ready to chart.
 *
 * Names follow Prometheus' `level:metric:operations` convention: `cluster:victor_tool_executions:rate5m`
 * (`_total` dropped after a rate). In a cluster's own Prometheus the `cluster` label is its external label, so
 * it is absent while the rule runs and attached when the series leave through federation or remote_write;
 * where series already carry `cluster` (a central ruler, a target label), `by (cluster)` keeps them apart.
 */
import { CATALOG, type MetricSpec } from '../metrics/catalog.ts';
import { by, histogramQuantile, min, rate, sum, type Expr, type SeriesSuffix } from '../query/expr.ts';
import type { MonitoringConfig } from './config.ts';
import { healthScoreName, healthScoreSeries, series } from './promql.ts';
import type { RecordingDefinition } from './rules.ts';

export const CLUSTER_GROUP = 'victor_performance_cluster';
/** The label the per-cluster series are grouped by (each Prometheus' `external_labels.cluster`). */
export const CLUSTER_LABEL = 'cluster';
const LEVEL = 'cluster';

/** `cluster:<series>:<operation>`, with `_total` dropped after a rate (the naming convention). */
function clusterRecordName(seriesName: string, operation: string): string {
  const metric = operation.startsWith('rate') ? seriesName.replace(/_total$/, '') : seriesName;
  return `${LEVEL}:${metric}:${operation}`;
}

/** Counters and histogram buckets recorded as per-cluster rates, with the labels each keeps. */
function ratedSeries(): [MetricSpec, string[], SeriesSuffix][] {
  const C = CATALOG;
  return [
    [C.cacheOperations, ['operation'], ''],
    [C.toolSelections, ['result'], ''],
    [C.toolExecutions, ['tool', 'status'], ''],
    [C.providerRequests, ['provider'], ''],
    [C.providerErrors, ['provider', 'type'], ''],
    [C.providerTokens, ['provider', 'type'], ''],
    [C.toolSelectionDuration, ['le'], '_bucket'],
    [C.toolExecutionDuration, ['le'], '_bucket'],
    [C.providerLatency, ['provider', 'le'], '_bucket'],
  ];
}

/** P95s per cluster (over the buckets summed across the cluster's processes). */
function quantileSeries(): [MetricSpec, string[]][] {
  const C = CATALOG;
  return [
    [C.toolSelectionDuration, []],
    [C.toolExecutionDuration, []],
    [C.providerLatency, ['provider']],
  ];
}

const bucketRate = (config: MonitoringConfig, spec: MetricSpec, keep: readonly string[]): Expr =>
  sum(rate(series(config, spec, [], '_bucket'), config.rateWindow), by(CLUSTER_LABEL, ...keep));

export function clusterRecordingDefinitions(config: MonitoringConfig): RecordingDefinition[] {
  const operation = `rate${config.rateWindow}`;
  const rates = ratedSeries().map(([spec, keep, suffix]): RecordingDefinition => {
    const s = series(config, spec, [], suffix);
    return {
      record: clusterRecordName(s.metric, operation),
      query: sum(rate(s, config.rateWindow), by(CLUSTER_LABEL, ...keep)),
    };
  });
  const p95s = quantileSeries().map(([spec, keep]): RecordingDefinition => ({
    record: clusterRecordName(series(config, spec).metric, 'p95'),
    query: histogramQuantile(0.95, bucketRate(config, spec, [...keep, 'le'])),
  }));
  const health: RecordingDefinition = {
    record: clusterRecordName(healthScoreName(config), 'min'),
    query: min(healthScoreSeries(config), by(CLUSTER_LABEL)),
  };
  return [...rates, ...p95s, health];
}

/**
 * A regex (anchored by Prometheus) matching the names of the per-cluster series: what federation's
 * `match[]` and remote_write's `keep` select.
 */
export function clusterSeriesRegex(config: MonitoringConfig): string {
  return `${LEVEL}:${config.prefix}.+:.+`;
}
