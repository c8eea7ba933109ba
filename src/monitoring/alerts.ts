/**
 * The description's alerts, built from catalog entries and the monitoring config.
 *
 * Aggregation follows what each signal means: ratios and quantiles are computed over rates summed across
 * replicas (one value per job); resource gauges (memory, CPU, threads, evictions) belong to one process and
 * alert per replica (per process where several are aggregated, never on their total); cache utilization and
 * provider health alert per namespace / provider on the worst replica.
 */
import { CATALOG } from '../metrics/catalog.ts';
import type { AlertThreshold, MonitoringConfig, Severity, ThresholdPair } from './config.ts';
import { compare, eq, max, min, ne, rate, re, sum, without, type Expr } from '../query/expr.ts';
import { toPromQL } from '../query/promql.ts';
import { CUSTOM_ALERT_GROUP, customAlertQuery } from './custom.ts';
import {
  cpuPercentSeries,
  healthScoreSeries,
  inSeconds,
  perExposedUnit,
  processSeries,
  quantile,
  rateSum,
  ratio,
  series,
  withoutReplicas,
} from './promql.ts';

export const ALERT_GROUPS = [
  'victor_performance_cache',
  'victor_performance_tool_selection',
  'victor_performance_system',
  'victor_performance_tool_execution',
  'victor_performance_provider_pool',
  'victor_performance_summary',
] as const;
/** Built-in groups, plus the custom group when the config lists custom alerts (custom.ts). */
export type AlertGroupName = (typeof ALERT_GROUPS)[number] | typeof CUSTOM_ALERT_GROUP;

export type Component =
  'cache' | 'tool_selection' | 'system' | 'tool_execution' | 'provider_pool' | 'summary' | 'custom';

/** How the alert's `$value` is printed in its description. */
export type ValueFormat =
  'ratio' | 'percent' | 'bytes' | 'ms' | 'seconds' | 'perSecond' | 'integer' | 'fixed2';

export interface AlertSpec {
  readonly alert: string;
  readonly group: AlertGroupName;
  readonly severity: Severity;
  readonly component: Component;
  /** Shared by the warning and critical level of one condition; the inhibition matches on it. */
  readonly family: string;
  /** The condition in the query form (evaluated in-process by the local alerts). */
  readonly query: Expr;
  /** Its PromQL text (the rule file's `expr`). */
  readonly expr: string;
  readonly for: string;
  /** Threshold in the unit of the expression's value. */
  readonly threshold: number;
  readonly comparison: '>' | '<';
  readonly valueFormat: ValueFormat;
  readonly summary: string;
  readonly description: string;
}

const VALUE_TEMPLATE: Record<ValueFormat, string> = {
  ratio: '{{ $value | humanizePercentage }}',
  percent: '{{ $value | printf "%.1f" }}%', // CPU is already 0..100: humanizePercentage would print 8000%
  bytes: '{{ $value | humanize1024 }}B',
  ms: '{{ $value | printf "%.2f" }} ms',
  seconds: '{{ $value | humanizeDuration }}',
  perSecond: '{{ $value | printf "%.2f" }}/s',
  integer: '{{ $value | printf "%.0f" }}',
  fixed2: '{{ $value | printf "%.2f" }}',
};

/** The threshold as a reader expects it in a description. */
export function formatThreshold(format: ValueFormat, t: number): string {
  switch (format) {
    case 'ratio':
      return `${+(t * 100).toFixed(4)}%`;
    case 'percent':
      return `${t}%`;
    case 'bytes':
      return t % 1024 ** 3 === 0 ? `${t / 1024 ** 3} GiB` : `${t / 1024 ** 2} MiB`;
    case 'ms':
      return `${t} ms`;
    case 'seconds':
      // Sub-second thresholds (a millisecond one shown in base units) read better in ms.
      return t < 1 ? `${+(t * 1000).toFixed(6)} ms` : `${t}s`;
    case 'perSecond':
      return `${t}/s`;
    default:
      return `${t}`;
  }
}

interface Level {
  readonly alert: string;
  readonly severity: Severity;
  readonly t: AlertThreshold;
}

function levels(prefix: string, base: string, pair: ThresholdPair): Level[] {
  return [
    { alert: `High${base}`, severity: 'warning', t: pair.warning },
    { alert: `${prefix}${base}`, severity: 'critical', t: pair.critical },
  ];
}

export function buildAlerts(config: MonitoringConfig): AlertSpec[] {
  const th = config.thresholds;
  const w = config.rateWindow;
  const out: AlertSpec[] = [];
  const add = (
    group: AlertGroupName,
    component: Component,
    family: string,
    level: Level,
    o: {
      expr: () => Expr;
      comparison: '>' | '<';
      format: ValueFormat;
      summary: string;
      what: string;
      scale?: number;
    },
  ): void => {
    const threshold = level.t.threshold / (o.scale ?? 1);
    const value = VALUE_TEMPLATE[o.format];
    const word = o.comparison === '>' ? 'above' : 'below';
    const query = compare(o.expr(), o.comparison, threshold);
    out.push({
      alert: level.alert,
      group,
      severity: level.severity,
      component,
      family,
      query,
      expr: toPromQL(query),
      for: level.t.for,
      threshold,
      comparison: o.comparison,
      valueFormat: o.format,
      summary: o.summary,
      description: `${o.what} is ${value}, ${word} the threshold of ${formatThreshold(o.format, threshold)} for ${level.t.for}.`,
    });
  };
  const C = CATALOG;
  const job = '{{ $labels.job }}';
  const instance = '{{ $labels.instance }}';

  // --- cache: the hit ratio from hits and misses summed over namespaces and replicas ---
  const lookups = rateSum(
    config,
    C.cacheOperations,
    [re('operation', 'hits|misses')],
    ['namespace', 'operation'],
  );
  const hitRatio = ratio(
    rateSum(config, C.cacheOperations, [eq('operation', 'hits')], ['namespace', 'operation']),
    lookups,
  );
  for (const l of [
    { alert: 'HighCacheMissRate', severity: 'warning', t: th.cacheHitRate.warning },
    { alert: 'CriticalCacheMissRate', severity: 'critical', t: th.cacheHitRate.critical },
  ] as const) {
    add('victor_performance_cache', 'cache', 'CacheMissRate', l, {
      expr: () => hitRatio,
      comparison: '<',
      format: 'ratio',
      summary: `Tool selection cache hit rate is low on ${job}`,
      what: `The cache hit rate of ${job} over the last ${w}`,
    });
  }
  const utilization = max(
    series(config, C.cacheUtilization, [ne('namespace', 'overall')]),
    withoutReplicas(config),
  );
  for (const l of levels('Critical', 'CacheUtilization', th.cacheUtilization)) {
    add('victor_performance_cache', 'cache', 'CacheUtilization', l, {
      expr: () => utilization,
      comparison: '>',
      format: 'ratio',
      summary: `Cache namespace {{ $labels.namespace }} is nearly full on ${job}`,
      what: `The utilization of cache namespace {{ $labels.namespace }} (fullest replica)`,
    });
  }
  add(
    'victor_performance_cache',
    'cache',
    'CacheEvictionRate',
    { alert: 'HighCacheEvictionRate', severity: 'warning', t: th.cacheEvictionRate },
    {
      expr: () =>
        sum(
          rate(series(config, C.cacheOperations, [eq('operation', 'evictions')]), w),
          without('namespace', 'operation'),
        ),
      comparison: '>',
      format: 'perSecond',
      summary: `High cache eviction rate on ${instance}`,
      what: `The cache eviction rate of ${instance}`,
    },
  );

  // --- tool selection: the selection histogram (tool_duration_ms), never the execution one (defect 4) ---
  const selectionP95 = quantile(config, C.toolSelectionDuration, 0.95);
  // The P95 in the exposed unit: milliseconds (seed) or seconds (base), the threshold converted to match.
  const selectionScale = perExposedUnit(config, C.toolSelectionDuration);
  for (const l of levels('Critical', 'ToolSelectionLatency', th.toolSelectionLatencyP95Ms)) {
    add('victor_performance_tool_selection', 'tool_selection', 'ToolSelectionLatency', l, {
      expr: () => selectionP95,
      comparison: '>',
      format: selectionScale === 1 ? 'ms' : 'seconds',
      scale: selectionScale,
      summary: `Tool selection is slow on ${job}`,
      what: `The P95 tool selection latency of ${job}`,
    });
  }
  const selections = rateSum(config, C.toolSelections, [re('result', 'hit|miss')], ['namespace', 'result']);
  const missRatio = ratio(
    rateSum(config, C.toolSelections, [eq('result', 'miss')], ['namespace', 'result']),
    selections,
  );
  add(
    'victor_performance_tool_selection',
    'tool_selection',
    'ToolSelectionMissRate',
    { alert: 'HighToolSelectionMissRate', severity: 'warning', t: th.toolSelectionMissRate },
    {
      expr: () => missRatio,
      comparison: '>',
      format: 'ratio',
      summary: `Most tool selections miss the cache on ${job}`,
      what: `The share of tool selections that missed the cache (misses / (hits + misses)) on ${job}`,
    },
  );

  // --- system: one process each (in cluster mode each process, never their total) ---
  for (const l of levels('Critical', 'MemoryUsage', th.memoryBytes)) {
    add('victor_performance_system', 'system', 'MemoryUsage', l, {
      expr: () => processSeries(config, C.systemMemoryBytes),
      comparison: '>',
      format: 'bytes',
      summary: `High memory usage on ${instance}`,
      what: `The resident memory of ${instance}`,
    });
  }
  for (const l of levels('Critical', 'CPUUsage', th.cpuPercent)) {
    add('victor_performance_system', 'system', 'CPUUsage', l, {
      expr: () => cpuPercentSeries(config),
      comparison: '>',
      format: 'percent',
      summary: `High CPU usage on ${instance}`,
      what: `The CPU usage of ${instance}`,
    });
  }
  add(
    'victor_performance_system',
    'system',
    'ThreadCount',
    { alert: 'HighThreadCount', severity: 'warning', t: th.threads },
    {
      expr: () => processSeries(config, C.systemThreads),
      comparison: '>',
      format: 'integer',
      summary: `High thread count on ${instance}`,
      what: `The thread count of ${instance}`,
    },
  );

  // --- start-up events: information (the low-priority receiver), one per process start or restart ---
  add(
    'victor_performance_system',
    'system',
    'ProcessStarted',
    { alert: 'ProcessStarted', severity: 'info', t: th.recentStart },
    {
      expr: () => processSeries(config, C.systemUptime),
      comparison: '<',
      format: 'seconds',
      summary: `${instance} started or restarted`,
      what: `The uptime of ${instance}`,
    },
  );
  add(
    'victor_performance_system',
    'system',
    'SlowStartup',
    { alert: 'SlowStartup', severity: 'info', t: th.startupDurationMs },
    {
      expr: () => inSeconds(config, C.bootstrapStartup, series(config, C.bootstrapStartup)),
      comparison: '>',
      format: 'seconds',
      scale: 1000,
      summary: `Slow start-up of ${instance}`,
      what: `The start-up time of ${instance}`,
    },
  );

  // --- tool execution: the execution histogram, in seconds so that humanizeDuration prints it ---
  const executionP95 = quantile(config, C.toolExecutionDuration, 0.95, ['tool']);
  for (const l of levels('Critical', 'ToolExecutionLatency', th.toolExecutionLatencyP95Ms)) {
    add('victor_performance_tool_execution', 'tool_execution', 'ToolExecutionLatency', l, {
      expr: () => inSeconds(config, C.toolExecutionDuration, executionP95),
      comparison: '>',
      format: 'seconds',
      scale: 1000,
      summary: `Tool executions are slow on ${job}`,
      what: `The P95 tool execution duration of ${job}`,
    });
  }
  const executions = rateSum(config, C.toolExecutions, [], ['tool', 'status']);
  const errorRatio = ratio(
    rateSum(config, C.toolExecutions, [eq('status', 'failure')], ['tool', 'status']),
    executions,
  );
  for (const l of levels('Critical', 'ToolErrorRate', th.toolErrorRate)) {
    add('victor_performance_tool_execution', 'tool_execution', 'ToolErrorRate', l, {
      expr: () => errorRatio,
      comparison: '>',
      format: 'ratio',
      summary: `Tool executions are failing on ${job}`,
      what: `The share of failed tool executions of ${job} over the last ${w}`,
    });
  }

  // --- provider pool: per provider ---
  const provider = '{{ $labels.provider }}';
  add(
    'victor_performance_provider_pool',
    'provider_pool',
    'UnhealthyProviders',
    { alert: 'UnhealthyProviders', severity: 'warning', t: th.providerHealth },
    {
      expr: () => min(series(config, C.providerHealth), withoutReplicas(config)),
      comparison: '<',
      format: 'fixed2',
      summary: `Provider ${provider} is unhealthy on ${job}`,
      what: `The health of provider ${provider} (least healthy replica, 1 = healthy)`,
    },
  );
  const failureRatio = ratio(
    rateSum(config, C.providerErrors, [], ['type']),
    rateSum(config, C.providerRequests, [], []),
  );
  for (const l of levels('Critical', 'ProviderFailureRate', th.providerFailureRate)) {
    add('victor_performance_provider_pool', 'provider_pool', 'ProviderFailureRate', l, {
      expr: () => failureRatio,
      comparison: '>',
      format: 'ratio',
      summary: `Requests to provider ${provider} are failing on ${job}`,
      what: `The share of failed requests to provider ${provider} over the last ${w}`,
    });
  }
  add(
    'victor_performance_provider_pool',
    'provider_pool',
    'ProviderLatency',
    { alert: 'HighProviderLatency', severity: 'warning', t: th.providerLatencyP95Ms },
    {
      expr: () => inSeconds(config, C.providerLatency, quantile(config, C.providerLatency, 0.95)),
      comparison: '>',
      format: 'seconds',
      scale: 1000,
      summary: `Provider ${provider} is slow on ${job}`,
      what: `The P95 latency of provider ${provider}`,
    },
  );
  // LLM usage: streamed requests' first chunk, and the share of requests refused with a rate limit.
  add(
    'victor_performance_provider_pool',
    'provider_pool',
    'TimeToFirstToken',
    { alert: 'HighTimeToFirstToken', severity: 'warning', t: th.timeToFirstChunkP95Ms },
    {
      expr: () =>
        inSeconds(config, C.providerTimeToFirstChunk, quantile(config, C.providerTimeToFirstChunk, 0.95)),
      comparison: '>',
      format: 'seconds',
      scale: 1000,
      summary: `Provider ${provider} is slow to its first token on ${job}`,
      what: `The P95 time to the first streamed chunk of provider ${provider}`,
    },
  );
  const rateLimited = ratio(
    rateSum(config, C.providerErrors, [eq('type', 'rate_limit')], ['type']),
    rateSum(config, C.providerRequests, [], []),
  );
  add(
    'victor_performance_provider_pool',
    'provider_pool',
    'ProviderRateLimited',
    { alert: 'ProviderRateLimited', severity: 'warning', t: th.providerRateLimitRate },
    {
      expr: () => rateLimited,
      comparison: '>',
      format: 'ratio',
      summary: `Provider ${provider} is rate limiting ${job}`,
      what: `The share of requests to provider ${provider} refused with a rate limit over the last ${w}`,
    },
  );

  // --- summary: on the recorded health score ---
  for (const l of [
    { alert: 'PerformanceDegraded', severity: 'warning', t: th.healthScore.warning },
    { alert: 'PerformanceCritical', severity: 'critical', t: th.healthScore.critical },
  ] as const) {
    add('victor_performance_summary', 'summary', 'PerformanceHealth', l, {
      expr: () => healthScoreSeries(config),
      comparison: '<',
      format: 'integer',
      summary: `Overall performance of ${job} is degraded`,
      what: `The performance health score of ${job} (0-100)`,
    });
  }

  // --- custom: the application's own metrics listed in the config, per label set ---
  for (const entry of config.custom) {
    const labels = (entry.labels ?? []).map((l) => `${l}={{ $labels.${l} }}`).join(', ');
    const what = {
      counter: 'The rate of',
      gauge: 'The value of',
      histogram: `The P${+((entry.quantile ?? 0.95) * 100).toFixed(2)} of`,
    }[entry.type];
    for (const a of entry.alerts ?? []) {
      add(
        CUSTOM_ALERT_GROUP,
        'custom',
        a.name,
        { alert: a.name, severity: a.severity, t: a },
        {
          expr: () => customAlertQuery(config, entry, a.comparison),
          comparison: a.comparison,
          format: 'fixed2',
          summary: `${entry.panel.title} crossed its threshold on ${job}`,
          what: `${what} ${entry.metric}${labels ? ` (${labels})` : ''} on ${job}`,
        },
      );
    }
  }
  return out;
}

/** Runbook link: base URL + the anchor of the alert's section in docs/runbook.md. */
export function runbookUrl(config: MonitoringConfig, alert: string): string {
  return `${config.runbookBaseUrl}#${alert.toLowerCase()}`;
}
