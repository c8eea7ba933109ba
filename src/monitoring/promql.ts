/**
 * Query-form building blocks shared by the rules and the dashboard, bound to the monitoring config (prefix,
 * selector, replica labels, rate window). Every metric comes from a catalog entry, so a query against a series
 * nothing emits cannot be written (README "How it differs from the original", item 3).
 */
import {
  CATALOG,
  PROCESS_LABEL,
  TOTAL_PROCESS,
  metricName,
  unitsForm,
  type MetricSpec,
} from '../metrics/catalog.ts';
import {
  div,
  group,
  histogramQuantile,
  metric,
  mul,
  ne,
  parseMatchers,
  rate,
  select,
  sum,
  without,
  type Expr,
  type Grouping,
  type Matcher,
  type SelectExpr,
  type SeriesSuffix,
} from '../query/expr.ts';
import type { HealthDefinition, HealthScope } from '../query/health.ts';
import type { MonitoringConfig } from './config.ts';

export { ratio } from '../query/expr.ts';
export type { SeriesSuffix } from '../query/expr.ts';

/** The config's selector (e.g. `job="victor-perf"`) as matchers. */
export function selectorMatchers(config: MonitoringConfig): Matcher[] {
  return parseMatchers(config.selector);
}

/** `name{selector, matchers}`: the author's matchers are checked against the metric's labels. */
export function series(
  config: MonitoringConfig,
  spec: MetricSpec,
  matchers: readonly Matcher[] = [],
  suffix: SeriesSuffix = '',
): SelectExpr {
  const checked = metric(spec, config.prefix, matchers, suffix, config.units);
  return select(checked.metric, [...selectorMatchers(config), ...checked.matchers]);
}

/**
 * A system gauge, one series per process: where several processes are aggregated (victor-perf/cluster) their
 * `process="total"` sum is left out. A single process has no `process` label, which the matcher also matches.
 */
export function processSeries(config: MonitoringConfig, spec: MetricSpec): SelectExpr {
  return series(config, spec, [ne(PROCESS_LABEL, TOTAL_PROCESS)]);
}

/** `without (instance, pod, ...)`: drops the replica labels plus `extra`, keeps everything else (job, cluster). */
export function withoutReplicas(config: MonitoringConfig, extra: readonly string[] = []): Grouping {
  return without(...config.replicaLabels, ...extra);
}

/** Per-second rate of a counter summed across replicas (and `drop` labels). */
export function rateSum(
  config: MonitoringConfig,
  spec: MetricSpec,
  matchers: readonly Matcher[],
  drop: readonly string[],
  suffix: SeriesSuffix = '',
): Expr {
  return sum(rate(series(config, spec, matchers, suffix), config.rateWindow), withoutReplicas(config, drop));
}

/**
 * Quantile over the buckets summed across replicas before `histogram_quantile` (averaging per-replica quantiles
 * is wrong; README "How it differs from the original", item 9).
 */
export function quantile(
  config: MonitoringConfig,
  spec: MetricSpec,
  q: number,
  drop: readonly string[] = [],
  matchers: readonly Matcher[] = [],
): Expr {
  return histogramQuantile(q, rateSum(config, spec, matchers, drop, '_bucket'));
}

/** Recording rule name in the `level:metric:operation` convention, e.g. `job:victor_tool_duration_ms:p95`. */
export function recordName(
  config: MonitoringConfig,
  level: string,
  spec: MetricSpec,
  operation: string,
): string {
  return `${level}:${metricName(spec, config.prefix, config.units)}:${operation}`;
}

/**
 * How many of the metric's declared units (milliseconds) one exposed unit holds in the config's naming mode:
 * 1000 for a millisecond metric in base units (exposed in seconds), else 1. A threshold written in the
 * declared unit is divided by this to compare with the exposed values.
 */
export function perExposedUnit(config: MonitoringConfig, spec: MetricSpec): number {
  return unitsForm(spec, config.units)?.divisor ?? 1;
}

/** An expression over a millisecond metric, in seconds whichever the naming mode. */
export function inSeconds(config: MonitoringConfig, spec: MetricSpec, expr: Expr): Expr {
  const d = 1000 / perExposedUnit(config, spec);
  return d === 1 ? expr : div(expr, d);
}

/**
 * Process CPU in percent of one core, per process: the description's gauge in seed units, 100 × the rate of
 * the CPU seconds counter in base units (which leave the percent gauge out; aggregated processes add up in
 * the counter, so there it is the CPU of all of a replica's processes).
 */
export function cpuPercentSeries(config: MonitoringConfig): Expr {
  if (unitsForm(CATALOG.systemCpuPercent, config.units) !== null)
    return processSeries(config, CATALOG.systemCpuPercent);
  return mul(rate(series(config, CATALOG.systemCpuSeconds), config.rateWindow), 100);
}

/** The health score series the summary group records (the exporter does not emit it). */
export function healthScoreName(config: MonitoringConfig): string {
  return `${config.prefix}performance_health_score`;
}

/** The recorded health score, selected with the config's selector. */
export function healthScoreSeries(config: MonitoringConfig): SelectExpr {
  return select(healthScoreName(config), selectorMatchers(config));
}

/** Where the recorded health score reads its terms: the config's selector, across replicas, its rate window. */
export function healthScope(config: MonitoringConfig): HealthScope {
  return {
    prefix: config.prefix,
    units: config.units,
    matchers: selectorMatchers(config),
    replicaLabels: config.replicaLabels,
    window: config.rateWindow,
    anchor: group(processSeries(config, CATALOG.systemUptime), withoutReplicas(config, [PROCESS_LABEL])),
  };
}

/**
 * The collector's `health` option from the config: the same weights, budgets and window as the recording
 * rule (`new PerformanceMetricsCollector({ health: collectorHealthOptions(config) })`).
 */
export function collectorHealthOptions(
  config: MonitoringConfig,
): HealthDefinition & { readonly window: string } {
  const h = config.healthScore;
  return {
    weights: h.weights,
    memoryBudgetBytes: h.memoryBudgetBytes,
    latencyBudgetMs: h.latencyBudgetMs,
    providerFailureBudget: h.providerFailureBudget,
    window: config.rateWindow,
  };
}
