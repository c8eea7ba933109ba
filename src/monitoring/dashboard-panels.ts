/**
 * The panels of the Grafana dashboard (reference.md section 5 plus bootstrap and alerts), as plain data: the
 * Grafana builder (dashboard.ts), the live-stack tests (every query against a real Prometheus) and the built-in
 * web dashboard all read this one list. Queries aggregate across replicas (`sum by (...)`) and honour the
 * dashboard's filter variables.
 */
import { CATALOG, type MetricSpec } from '../metrics/catalog.ts';
import { ALERT_GROUPS } from './alerts.ts';
import type { MonitoringConfig } from './config.ts';
import { series, type SeriesSuffix } from './promql.ts';

export type PanelType = 'timeseries' | 'gauge' | 'stat' | 'piechart' | 'bargauge' | 'table';

export interface PanelQuery {
  readonly refId: string;
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
  'Tool Execution',
  'Bootstrap',
  'Alerts',
] as const;

/** Filter variables, in display order; each has an "All" option. */
export const FILTER_VARIABLES = ['cluster', 'instance', 'namespace', 'provider', 'tool'] as const;

export function dashboardPanels(config: MonitoringConfig): PanelSpec[] {
  const C = CATALOG;
  const scope = ['cluster=~"$cluster"', 'instance=~"$instance"'];
  const sel = (spec: MetricSpec, extra: readonly string[] = [], suffix: SeriesSuffix = ''): string =>
    series(config, spec, [...scope, ...extra], suffix);
  const rate = (s: string, window = '$__rate_interval'): string => `rate(${s}[${window}])`;
  const q = (refId: string, expr: string, legend: string, instant = false): PanelQuery => ({
    refId,
    expr,
    legend,
    instant,
  });
  const hq = (spec: MetricSpec, quantile: number, extra: readonly string[] = [], by: string[] = []): string =>
    `histogram_quantile(${quantile}, sum by (${[...by, 'le'].join(', ')}) (${rate(sel(spec, extra, '_bucket'))}))`;
  const ns = 'namespace=~"$namespace"';
  const provider = 'provider=~"$provider"';
  const tool = 'tool=~"$tool"';
  const lookups = sel(C.cacheOperations, [ns, 'operation=~"hits|misses"']);
  const red = (value: number): ThresholdStep[] => [
    { color: 'green', value: null },
    { color: 'red', value },
  ];

  return [
    // --- Overview ---
    {
      row: 'Overview',
      title: 'Tool Selection Latency P95',
      type: 'timeseries',
      unit: 'ms',
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
          `sum(${rate(sel(C.cacheOperations, [ns, 'operation="hits"']))}) / sum(${rate(lookups)})`,
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
      queries: [q('A', `sum by (instance) (${sel(C.systemMemoryBytes)})`, '{{instance}}')],
    },
    {
      row: 'Overview',
      title: 'System Uptime',
      type: 'stat',
      unit: 's',
      description: 'Uptime of the most recently started replica.',
      queries: [q('A', `min(${sel(C.systemUptime)})`, 'uptime')],
    },
    // --- Cache Performance ---
    {
      row: 'Cache Performance',
      title: 'Cache Entries by Namespace',
      type: 'timeseries',
      unit: 'short',
      queries: [q('A', `sum by (namespace) (${sel(C.cacheEntries, [ns])})`, '{{namespace}}')],
    },
    {
      row: 'Cache Performance',
      title: 'Cache Hit/Miss Ratio',
      type: 'piechart',
      unit: 'short',
      queries: [q('A', `sum by (operation) (increase(${lookups}[$__range]))`, '{{operation}}', true)],
    },
    {
      row: 'Cache Performance',
      title: 'Cache Evictions',
      type: 'timeseries',
      unit: 'ops',
      queries: [
        q(
          'A',
          `sum by (namespace) (${rate(sel(C.cacheOperations, [ns, 'operation="evictions"']))})`,
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
      queries: [q('A', `max by (namespace) (${sel(C.cacheUtilization, [ns])})`, '{{namespace}}')],
    },
    // --- Tool Selection ---
    {
      row: 'Tool Selection',
      title: 'Selection Latency P50/P95/P99',
      type: 'timeseries',
      unit: 'ms',
      thresholds: red(config.thresholds.toolSelectionLatencyP95Ms.warning.threshold),
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
          `sum by (namespace) (${rate(sel(C.toolSelections, [ns, 'result="hit"']))}) / sum by (namespace) (${rate(sel(C.toolSelections, [ns]))})`,
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
        q('A', `sum by (namespace) (${rate(sel(C.toolSelections, [ns, 'result="miss"']))})`, '{{namespace}}'),
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
      queries: [q('A', `min by (provider) (${sel(C.providerHealth, [provider])})`, '{{provider}}', true)],
    },
    {
      row: 'Provider Pool',
      title: 'Provider Latency P95 by provider',
      type: 'timeseries',
      unit: 'ms',
      queries: [q('A', hq(C.providerLatency, 0.95, [provider], ['provider']), '{{provider}}')],
    },
    {
      row: 'Provider Pool',
      title: 'Active Providers',
      type: 'stat',
      unit: 'short',
      description: 'Providers with health above 0 on at least one replica.',
      queries: [
        q('A', `count(max by (provider) (${sel(C.providerHealth, [provider])}) > 0) or vector(0)`, 'active'),
      ],
    },
    // --- Tool Execution ---
    {
      row: 'Tool Execution',
      title: 'Execution Duration P95/P99',
      type: 'timeseries',
      unit: 'ms',
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
          `sum(${rate(sel(C.toolExecutions, [tool, 'status="failure"']))}) / sum(${rate(sel(C.toolExecutions, [tool]))})`,
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
          `topk(10, sum by (tool) (increase(${sel(C.toolExecutions, [tool])}[$__range])))`,
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
      unit: 'ms',
      queries: [q('A', `max(${sel(C.bootstrapStartup)})`, 'startup')],
    },
    {
      row: 'Bootstrap',
      title: 'Bootstrap Phases',
      type: 'bargauge',
      unit: 'ms',
      queries: [q('A', `max by (phase) (${sel(C.bootstrapPhaseDuration)})`, '{{phase}}')],
    },
    {
      row: 'Bootstrap',
      title: 'Lazy Loads',
      type: 'stat',
      unit: 'short',
      queries: [q('A', `sum(increase(${sel(C.bootstrapLazyLoads)}[$__range]))`, 'lazy loads', true)],
    },
    {
      row: 'Bootstrap',
      title: 'First Access Overhead',
      type: 'stat',
      unit: 'ms',
      queries: [q('A', `max(${sel(C.bootstrapFirstAccessOverhead)})`, 'overhead')],
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
          `sum by (alertname, severity, component) (ALERTS{alertstate="firing", component=~"${componentsRegex()}"})`,
          '{{alertname}}',
          true,
        ),
      ],
    },
  ];
}

function componentsRegex(): string {
  return ALERT_GROUPS.map((g) => g.replace('victor_performance_', '')).join('|');
}
