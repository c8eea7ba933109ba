/**
 * The panels of the Grafana dashboard (the description's panels plus bootstrap and alerts), as plain data: the
 * Grafana builder (dashboard.ts), the live-stack tests (every query against a real Prometheus) and the built-in
 * web dashboard all read this one list. Queries aggregate across replicas (`sum by (...)`) and honour the
 * dashboard's filter variables.
 */
import { CATALOG, PROCESS_LABEL, TOTAL_PROCESS, unitsForm, type MetricSpec } from '../metrics/catalog.ts';
import { ALERT_GROUPS } from './alerts.ts';
import type { MonitoringConfig } from './config.ts';
import {
  by,
  count,
  div,
  eq,
  histogramQuantile,
  increase,
  max,
  min,
  ne,
  or,
  rate,
  re,
  select,
  sum,
  topk,
  vector,
  compare,
  type Expr,
  type Matcher,
  type SelectExpr,
  type SeriesSuffix,
} from '../query/expr.ts';
import { HEALTH_TERMS } from '../query/health.ts';
import { toPromQL } from '../query/promql.ts';
import { healthScoreName, perExposedUnit, selectorMatchers, series } from './promql.ts';
import { CUSTOM_ALERT_GROUP, CUSTOM_ROW, customLegend, customPanelQuery } from './custom.ts';

export type PanelType = 'timeseries' | 'gauge' | 'stat' | 'piechart' | 'bargauge' | 'table';

export interface PanelQuery {
  readonly refId: string;
  /** The query in the query form (the built-in dashboard evaluates it over its history). */
  readonly query: Expr;
  /** PromQL with Grafana variables (`$instance`, `$__rate_interval`, `$__range`); see interpolateQuery. */
  readonly expr: string;
  readonly legend: string;
  /** Evaluated once at the end of the range (tables, pies) rather than as a range. */
  readonly instant: boolean;
}

export interface ThresholdStep {
  readonly color: 'green' | 'yellow' | 'red' | 'blue';
  /** null: the base step. */
  readonly value: number | null;
}

export interface ValueMapping {
  readonly value: number;
  readonly text: string;
  readonly color: 'green' | 'yellow' | 'red';
}

export interface PanelSpec {
  readonly row: string;
  readonly title: string;
  readonly type: PanelType;
  /** Grafana unit id: ms, bytes, s, percentunit, short, ops. */
  readonly unit: string;
  readonly queries: readonly PanelQuery[];
  readonly thresholds?: readonly ThresholdStep[];
  readonly min?: number;
  readonly max?: number;
  readonly mappings?: readonly ValueMapping[];
  readonly description?: string;
}

export const DASHBOARD_ROWS = [
  'Overview',
  'Cache Performance',
  'Tool Selection',
  'Provider Pool',
  'LLM usage',
  'Tool Execution',
  'Bootstrap',
  'Alerts',
] as const;

/** Filter variables, in display order; each has an "All" option. */
export const FILTER_VARIABLES = ['cluster', 'instance', 'namespace', 'provider', 'tool'] as const;

export function dashboardPanels(config: MonitoringConfig): PanelSpec[] {
  const C = CATALOG;
  const scope = [re('cluster', '$cluster'), re('instance', '$instance')];
  const sel = (spec: MetricSpec, extra: readonly Matcher[] = [], suffix: SeriesSuffix = ''): SelectExpr =>
    series(config, spec, [...scope, ...extra], suffix);
  const rated = (s: SelectExpr): Expr => rate(s, '$__rate_interval');
  const q = (refId: string, query: Expr, legend: string, instant = false): PanelQuery => ({
    refId,
    query,
    expr: toPromQL(query),
    legend,
    instant,
  });
  const hq = (
    spec: MetricSpec,
    quantile: number,
    extra: readonly Matcher[] = [],
    labels: string[] = [],
  ): Expr => histogramQuantile(quantile, sum(rated(sel(spec, extra, '_bucket')), by(...labels, 'le')));
  const ns = re('namespace', '$namespace');
  const provider = re('provider', '$provider');
  const tool = re('tool', '$tool');
  const perProcess = ne(PROCESS_LABEL, TOTAL_PROCESS);
  const lookups = sel(C.cacheOperations, [ns, re('operation', 'hits|misses')]);
  const red = (value: number): ThresholdStep[] => [
    { color: 'green', value: null },
    { color: 'red', value },
  ];
  // Panels over millisecond metrics show the exposed unit: ms (seed) or s (base); thresholds follow it.
  const timeUnit = (spec: MetricSpec): string =>
    unitsForm(spec, config.units)?.unit === 'seconds' ? 's' : 'ms';
  const redFor = (spec: MetricSpec, ms: number): ThresholdStep[] => red(ms / perExposedUnit(config, spec));

  const health = config.thresholds.healthScore;
  const cluster = re('cluster', '$cluster');
  const firing = select('ALERTS', [
    eq('alertstate', 'firing'),
    re('component', componentsRegex(config)),
    cluster,
  ]);
  return [
    // --- Overview: the score, and beside it how many alerts fire (a green score with alerts firing means
    // the score leaves out what they watch: see the provider availability weight) ---
    {
      row: 'Overview',
      title: 'Health Score',
      type: 'stat',
      unit: 'none',
      min: 0,
      max: 100,
      description: `Weighted score (0-100), lowest of the selected clusters: ${healthTermsText(config)}.`,
      thresholds: [
        { color: 'red', value: null },
        { color: 'yellow', value: health.critical.threshold },
        { color: 'green', value: health.warning.threshold },
      ],
      queries: [
        q('A', min(select(healthScoreName(config), [...selectorMatchers(config), cluster])), 'score'),
      ],
    },
    {
      row: 'Overview',
      title: FIRING_COUNT_TITLE,
      type: 'stat',
      unit: 'short',
      description: 'Alerts of the victor-perf rule groups firing now, shown beside the health score.',
      thresholds: [
        { color: 'green', value: null },
        { color: 'red', value: 1 },
      ],
      queries: [q('A', or(count(firing), vector(0)), 'firing alerts')],
    },
    {
      row: 'Overview',
      title: 'Tool Selection Latency P95',
      type: 'timeseries',
      unit: timeUnit(C.toolSelectionDuration),
      queries: [q('A', hq(C.toolSelectionDuration, 0.95), 'P95')],
    },
    {
      row: 'Overview',
      title: 'Cache Hit Rate',
      type: 'gauge',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [
        { color: 'red', value: null },
        { color: 'yellow', value: 0.4 },
        { color: 'green', value: 0.6 },
      ],
      queries: [
        q(
          'A',
          div(sum(rated(sel(C.cacheOperations, [ns, eq('operation', 'hits')]))), sum(rated(lookups))),
          'hit rate',
        ),
      ],
    },
    {
      row: 'Overview',
      title: 'Memory Usage',
      type: 'timeseries',
      unit: 'bytes',
      thresholds: red(config.healthScore.memoryBudgetBytes),
      // Per process, summed by instance: in cluster mode the processes' `total` series is left out.
      queries: [q('A', sum(sel(C.systemMemoryBytes, [perProcess]), by('instance')), '{{instance}}')],
    },
    {
      row: 'Overview',
      title: 'System Uptime',
      type: 'stat',
      unit: 's',
      description: 'Uptime of the most recently started replica.',
      queries: [q('A', min(sel(C.systemUptime, [perProcess])), 'uptime')],
    },
    // --- Cache Performance ---
    {
      row: 'Cache Performance',
      title: 'Cache Entries by Namespace',
      type: 'timeseries',
      unit: 'short',
      queries: [q('A', sum(sel(C.cacheEntries, [ns]), by('namespace')), '{{namespace}}')],
    },
    {
      row: 'Cache Performance',
      title: 'Cache Hit/Miss Ratio',
      type: 'piechart',
      unit: 'short',
      queries: [q('A', sum(increase(lookups, '$__range'), by('operation')), '{{operation}}', true)],
    },
    {
      row: 'Cache Performance',
      title: 'Cache Evictions',
      type: 'timeseries',
      unit: 'ops',
      queries: [
        q(
          'A',
          sum(rated(sel(C.cacheOperations, [ns, eq('operation', 'evictions')])), by('namespace')),
          '{{namespace}}',
        ),
      ],
    },
    {
      row: 'Cache Performance',
      title: 'Cache Utilization',
      type: 'gauge',
      unit: 'percentunit',
      min: 0,
      max: 1,
      thresholds: [
        { color: 'green', value: null },
        { color: 'yellow', value: 0.7 },
        { color: 'red', value: 0.9 },
      ],
      queries: [q('A', max(sel(C.cacheUtilization, [ns]), by('namespace')), '{{namespace}}')],
    },
    // --- Tool Selection ---
    {
      row: 'Tool Selection',
      title: 'Selection Latency P50/P95/P99',
      type: 'timeseries',
      unit: timeUnit(C.toolSelectionDuration),
      thresholds: redFor(
        C.toolSelectionDuration,
        config.thresholds.toolSelectionLatencyP95Ms.warning.threshold,
      ),
      queries: [0.5, 0.95, 0.99].map((p, i) =>
        q(String.fromCharCode(65 + i), hq(C.toolSelectionDuration, p), `P${Math.round(p * 100)}`),
      ),
    },
    {
      row: 'Tool Selection',
      title: 'Selection Hit Rate by Type',
      type: 'bargauge',
      unit: 'percentunit',
      min: 0,
      max: 1,
      description: 'Share of tool selections answered from the cache, per cache namespace.',
      queries: [
        q(
          'A',
          div(
            sum(rated(sel(C.toolSelections, [ns, eq('result', 'hit')])), by('namespace')),
            sum(rated(sel(C.toolSelections, [ns])), by('namespace')),
          ),
          '{{namespace}}',
        ),
      ],
    },
    {
      row: 'Tool Selection',
      title: 'Selection Misses Rate',
      type: 'timeseries',
      unit: 'ops',
      queries: [
        q(
          'A',
          sum(rated(sel(C.toolSelections, [ns, eq('result', 'miss')])), by('namespace')),
          '{{namespace}}',
        ),
      ],
    },
    // --- Provider Pool ---
    {
      row: 'Provider Pool',
      title: 'Provider Health',
      type: 'table',
      unit: 'short',
      mappings: [
        { value: 1, text: 'Healthy', color: 'green' },
        { value: 0, text: 'Unhealthy', color: 'red' },
      ],
      queries: [q('A', min(sel(C.providerHealth, [provider]), by('provider')), '{{provider}}', true)],
    },
    {
      row: 'Provider Pool',
      title: 'Provider Latency P95 by provider',
      type: 'timeseries',
      unit: timeUnit(C.providerLatency),
      queries: [q('A', hq(C.providerLatency, 0.95, [provider], ['provider']), '{{provider}}')],
    },
    {
      row: 'Provider Pool',
      title: 'Active Providers',
      type: 'stat',
      unit: 'short',
      description: 'Providers with health above 0 on at least one replica.',
      queries: [
        q(
          'A',
          or(count(compare(max(sel(C.providerHealth, [provider]), by('provider')), '>', 0)), vector(0)),
          'active',
        ),
      ],
    },
    // --- LLM usage: what the SDK adapters report (tokens, time to first chunk, rate limits) ---
    {
      row: 'LLM usage',
      title: 'Tokens per second by provider and model',
      type: 'timeseries',
      unit: 'short',
      description:
        'Input and output tokens reported by the providers (cached input and reasoning are parts of them).',
      queries: [
        q(
          'A',
          sum(rated(sel(C.providerTokens, [provider, re('type', 'input|output')])), by('provider', 'model')),
          '{{provider}} {{model}}',
        ),
      ],
    },
    {
      row: 'LLM usage',
      title: 'Time to First Chunk P95 by provider',
      type: 'timeseries',
      unit: timeUnit(C.providerTimeToFirstChunk),
      thresholds: redFor(C.providerTimeToFirstChunk, config.thresholds.timeToFirstChunkP95Ms.threshold),
      queries: [q('A', hq(C.providerTimeToFirstChunk, 0.95, [provider], ['provider']), '{{provider}}')],
    },
    {
      row: 'LLM usage',
      title: 'Rate-limited Requests',
      type: 'timeseries',
      unit: 'percentunit',
      thresholds: red(config.thresholds.providerRateLimitRate.threshold),
      description: 'Share of requests refused with a rate limit (HTTP 429), per provider.',
      queries: [
        q(
          'A',
          div(
            sum(rated(sel(C.providerErrors, [provider, eq('type', 'rate_limit')])), by('provider')),
            sum(rated(sel(C.providerRequests, [provider])), by('provider')),
          ),
          '{{provider}}',
        ),
      ],
    },
    // --- Tool Execution ---
    {
      row: 'Tool Execution',
      title: 'Execution Duration P95/P99',
      type: 'timeseries',
      unit: timeUnit(C.toolExecutionDuration),
      queries: [0.95, 0.99].map((p, i) =>
        q(String.fromCharCode(65 + i), hq(C.toolExecutionDuration, p, [tool]), `P${Math.round(p * 100)}`),
      ),
    },
    {
      row: 'Tool Execution',
      title: 'Execution Errors',
      type: 'timeseries',
      unit: 'percentunit',
      thresholds: red(config.thresholds.toolErrorRate.warning.threshold),
      description: 'Failed / total tool executions.',
      queries: [
        q(
          'A',
          div(
            sum(rated(sel(C.toolExecutions, [tool, eq('status', 'failure')]))),
            sum(rated(sel(C.toolExecutions, [tool]))),
          ),
          'error rate',
        ),
      ],
    },
    {
      row: 'Tool Execution',
      title: 'Top Tools by Execution',
      type: 'table',
      unit: 'short',
      queries: [
        q(
          'A',
          topk(10, sum(increase(sel(C.toolExecutions, [tool]), '$__range'), by('tool'))),
          '{{tool}}',
          true,
        ),
      ],
    },
    // --- Bootstrap ---
    {
      row: 'Bootstrap',
      title: 'Startup Time',
      type: 'stat',
      unit: timeUnit(C.bootstrapStartup),
      queries: [q('A', max(sel(C.bootstrapStartup)), 'startup')],
    },
    {
      row: 'Bootstrap',
      title: 'Bootstrap Phases',
      type: 'bargauge',
      unit: timeUnit(C.bootstrapPhaseDuration),
      queries: [q('A', max(sel(C.bootstrapPhaseDuration), by('phase')), '{{phase}}')],
    },
    {
      row: 'Bootstrap',
      title: 'Lazy Loads',
      type: 'stat',
      unit: 'short',
      queries: [q('A', sum(increase(sel(C.bootstrapLazyLoads), '$__range')), 'lazy loads', true)],
    },
    {
      row: 'Bootstrap',
      title: 'First Access Overhead',
      type: 'stat',
      unit: timeUnit(C.bootstrapFirstAccessOverhead),
      queries: [q('A', max(sel(C.bootstrapFirstAccessOverhead)), 'overhead')],
    },
    // --- Alerts: the rule set's firing alerts, from Prometheus' own ALERTS series ---
    {
      row: 'Alerts',
      title: 'Firing Alerts',
      type: 'table',
      unit: 'short',
      description: 'Alerts of the victor-perf rule groups that are firing now.',
      queries: [
        q(
          'A',
          sum(
            select('ALERTS', [eq('alertstate', 'firing'), re('component', componentsRegex(config))]),
            by('alertname', 'severity', 'component'),
          ),
          '{{alertname}}',
          true,
        ),
      ],
    },
    // --- Custom: the application's own metrics listed in the config (custom.ts); none by default ---
    ...config.custom.map((entry): PanelSpec => ({
      row: CUSTOM_ROW,
      title: entry.panel.title,
      type: entry.panel.kind ?? 'timeseries',
      unit: entry.panel.unit ?? 'short',
      queries: [q('A', customPanelQuery(config, entry, '$__rate_interval', scope), customLegend(entry))],
    })),
  ];
}

/** Title of the Overview stat that counts the firing alerts (Prometheus' ALERTS series). */
export const FIRING_COUNT_TITLE = 'Alerts Firing Now';

/** The weighted terms, for the score's description: `40 % cache hit rate, 30 % tool success, ...`. */
function healthTermsText(config: MonitoringConfig): string {
  const w = config.healthScore.weights;
  return HEALTH_TERMS.filter((t) => w[t.key] > 0)
    .map((t) => `${Math.round(w[t.key] * 1000) / 10} % ${t.input.split(':')[0]}`)
    .join(', ');
}

function componentsRegex(config: MonitoringConfig): string {
  const custom = config.custom.some((e) => (e.alerts ?? []).length > 0) ? [CUSTOM_ALERT_GROUP] : [];
  return [...ALERT_GROUPS, ...custom].map((g) => g.replace('victor_performance_', '')).join('|');
}
