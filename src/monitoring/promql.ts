/**
 * PromQL building blocks shared by the rules and the dashboard. Every metric name comes from a catalog entry,
 * so a query against a series nothing emits cannot be written (reference.md section 7, defect 3).
 */
import { metricName, type MetricSpec } from '../metrics/catalog.ts';
import type { MonitoringConfig } from './config.ts';

/** Suffixes a histogram exposes besides its name. */
export type SeriesSuffix = '' | '_bucket' | '_sum' | '_count';

/** `name{matchers}` with the config's selector and any extra matchers (empty parts skipped). */
export function series(
  config: MonitoringConfig,
  spec: MetricSpec,
  matchers: string | readonly string[] = [],
  suffix: SeriesSuffix = '',
): string {
  const extra = typeof matchers === 'string' ? [matchers] : matchers;
  const parts = [config.selector, ...extra].filter((m) => m.trim() !== '');
  return `${metricName(spec, config.prefix)}${suffix}{${parts.join(', ')}}`;
}

/** `without (instance, pod, ...)`: drops the replica labels plus `extra`, keeps everything else (job, cluster). */
export function withoutReplicas(config: MonitoringConfig, extra: readonly string[] = []): string {
  return `without (${[...config.replicaLabels, ...extra].join(', ')})`;
}

/** Per-second rate of a counter summed across replicas (and `drop` labels). */
export function rateSum(
  config: MonitoringConfig,
  spec: MetricSpec,
  matchers: string | readonly string[],
  drop: readonly string[],
  suffix: SeriesSuffix = '',
): string {
  return `sum ${withoutReplicas(config, drop)} (rate(${series(config, spec, matchers, suffix)}[${config.rateWindow}]))`;
}

/**
 * `num / den` over summed rates. The denominator is filtered to `> 0` so that a window with no traffic yields no
 * sample instead of 0/0 (no lookups means no alert, defect 5); a numerator series that does not exist yet (no
 * failure so far) counts as 0 rather than hiding the ratio.
 */
export function ratio(num: string, den: string): string {
  return `(${num} or 0 * ${den}) / (${den} > 0)`;
}

/**
 * Quantile over the buckets summed across replicas before `histogram_quantile` (averaging per-replica quantiles
 * is wrong; reference.md section 7, defect 9).
 */
export function quantile(
  config: MonitoringConfig,
  spec: MetricSpec,
  q: number,
  drop: readonly string[] = [],
  matchers: string | readonly string[] = [],
): string {
  return `histogram_quantile(${q}, ${rateSum(config, spec, matchers, drop, '_bucket')})`;
}

/** Recording rule name in the `level:metric:operation` convention, e.g. `job:victor_tool_duration_ms:p95`. */
export function recordName(
  config: MonitoringConfig,
  level: string,
  spec: MetricSpec,
  operation: string,
): string {
  return `${level}:${metricName(spec, config.prefix)}:${operation}`;
}

/** The health score series the summary group records (the exporter does not emit it). */
export function healthScoreName(config: MonitoringConfig): string {
  return `${config.prefix}performance_health_score`;
}
