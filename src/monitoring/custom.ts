/**
 * Custom metrics in the monitoring config: each entry names a metric the application declares through
 * `collector.counter/gauge/histogram` and turns it into a panel of the dashboard's "Custom" row and, optionally,
 * alerts of the `victor_performance_custom` rule group. Queries are written in the same query form as ours, so
 * they select through the config's selector and aggregate replicas away the same way.
 */
import { findSpec, type MetricSpec } from '../metrics/catalog.ts';
import { MetricError, validateLabelNames, validateMetricName } from '../metrics/names.ts';
import { by, histogramQuantile, max, min, rate, re, sum, type Expr } from '../query/expr.ts';
import type { MonitoringConfig, Severity } from './config.ts';
import { quantile, rateSum, series, withoutReplicas } from './promql.ts';

export const CUSTOM_ALERT_GROUP = 'victor_performance_custom';
export const CUSTOM_ROW = 'Custom';

export type CustomPanelKind = 'timeseries' | 'stat' | 'gauge' | 'bargauge';

export interface CustomAlertConfig {
  /** Alert name, e.g. `SlowPlanning`. */
  readonly name: string;
  readonly threshold: number;
  readonly comparison: '>' | '<';
  /** Prometheus duration, e.g. `5m`. */
  readonly for: string;
  readonly severity: Severity;
  /** Optional runbook link (annotation `runbook_url`). */
  readonly runbookUrl?: string;
}

export interface CustomMetricConfig {
  /** Name without the prefix, as given to `collector.counter/gauge/histogram`. */
  readonly metric: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Label names the metric was declared with; the panel keeps them apart, alerts fire per label set. */
  readonly labels?: readonly string[];
  /** Histograms: the quantile the panel and alerts show (default 0.95). */
  readonly quantile?: number;
  /** Grafana unit id of the panel (default `short`), e.g. `ms`, `bytes`, `ops`. */
  readonly panel: { readonly kind?: CustomPanelKind; readonly title: string; readonly unit?: string };
  readonly alerts?: readonly CustomAlertConfig[];
}

const KINDS: readonly CustomPanelKind[] = ['timeseries', 'stat', 'gauge', 'bargauge'];
const TYPES = ['counter', 'gauge', 'histogram'];
const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
const ALERT_NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
const DURATION_RE = /^(\d+(ms|s|m|h|d|w|y))+$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the `custom` list; `reserved` are the alert names already used by the built-in rules. */
export function validateCustom(entries: unknown, reserved: ReadonlySet<string>): void {
  if (!Array.isArray(entries)) throw new Error(`custom: expected a list, got ${JSON.stringify(entries)}`);
  const metrics = new Set<string>();
  const alerts = new Set<string>();
  entries.forEach((e: unknown, i) => {
    const at = `custom[${i}]`;
    const fail = (key: string, msg: string): never => {
      throw new Error(`${at}${key ? `.${key}` : ''}: ${msg}`);
    };
    if (!isObject(e)) fail('', `expected an object, got ${JSON.stringify(e)}`);
    const entry = e as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!['metric', 'type', 'labels', 'quantile', 'panel', 'alerts'].includes(key))
        fail(key, 'unknown key');
    }
    const name = entry.metric;
    try {
      validateMetricName(name as string);
    } catch (err) {
      fail('metric', (err as Error).message);
    }
    if (findSpec(name as string))
      fail('metric', `${String(name)} is a catalog metric of victor-perf, not a custom one`);
    if (metrics.has(name as string)) fail('metric', `${String(name)} is listed twice`);
    metrics.add(name as string);
    if (!TYPES.includes(entry.type as string)) {
      fail('type', `expected counter, gauge or histogram, got ${JSON.stringify(entry.type)}`);
    }
    if (entry.labels !== undefined) {
      if (!Array.isArray(entry.labels))
        fail('labels', `expected a list, got ${JSON.stringify(entry.labels)}`);
      try {
        validateLabelNames(name as string, entry.labels as string[]);
      } catch (err) {
        fail('labels', (err as MetricError).message);
      }
      if ((entry.labels as string[]).includes('le')) fail('labels', '"le" belongs to histograms');
    }
    if (entry.quantile !== undefined) {
      if (entry.type !== 'histogram') fail('quantile', 'only histograms have quantiles');
      const q = entry.quantile;
      if (typeof q !== 'number' || !(q > 0 && q < 1))
        fail('quantile', `expected a number in (0, 1), got ${JSON.stringify(q)}`);
    }
    const panel = entry.panel;
    if (!isObject(panel)) fail('panel', `expected an object with a title, got ${JSON.stringify(panel)}`);
    const p = panel as Record<string, unknown>;
    for (const key of Object.keys(p)) {
      if (!['kind', 'title', 'unit'].includes(key)) fail(`panel.${key}`, 'unknown key');
    }
    if (typeof p.title !== 'string' || p.title.trim() === '')
      fail('panel.title', 'expected a non-empty string');
    if (p.kind !== undefined && !KINDS.includes(p.kind as CustomPanelKind)) {
      fail('panel.kind', `expected one of ${KINDS.join(', ')}, got ${JSON.stringify(p.kind)}`);
    }
    if (p.unit !== undefined && (typeof p.unit !== 'string' || p.unit === '')) {
      fail('panel.unit', `expected a Grafana unit id such as ms, bytes, ops, got ${JSON.stringify(p.unit)}`);
    }
    if (entry.alerts === undefined) return;
    if (!Array.isArray(entry.alerts)) fail('alerts', `expected a list, got ${JSON.stringify(entry.alerts)}`);
    (entry.alerts as unknown[]).forEach((a, j) => {
      const ak = `alerts[${j}]`;
      if (!isObject(a)) fail(ak, `expected an object, got ${JSON.stringify(a)}`);
      const al = a as Record<string, unknown>;
      for (const key of Object.keys(al)) {
        if (!['name', 'threshold', 'comparison', 'for', 'severity', 'runbookUrl'].includes(key)) {
          fail(`${ak}.${key}`, 'unknown key');
        }
      }
      if (typeof al.name !== 'string' || !ALERT_NAME_RE.test(al.name)) {
        fail(
          `${ak}.name`,
          `expected an alert name matching [A-Za-z][A-Za-z0-9_]*, got ${JSON.stringify(al.name)}`,
        );
      }
      if (reserved.has(al.name as string)) fail(`${ak}.name`, `${String(al.name)} is a built-in alert`);
      if (alerts.has(al.name as string)) fail(`${ak}.name`, `${String(al.name)} is used twice`);
      alerts.add(al.name as string);
      if (typeof al.threshold !== 'number' || !Number.isFinite(al.threshold)) {
        fail(`${ak}.threshold`, `expected a finite number, got ${JSON.stringify(al.threshold)}`);
      }
      if (al.comparison !== '>' && al.comparison !== '<') {
        fail(`${ak}.comparison`, `expected ">" or "<", got ${JSON.stringify(al.comparison)}`);
      }
      if (typeof al.for !== 'string' || !DURATION_RE.test(al.for)) {
        fail(`${ak}.for`, `invalid duration ${JSON.stringify(al.for)} (e.g. 30s, 5m, 1h)`);
      }
      if (!SEVERITIES.includes(al.severity as Severity)) {
        fail(`${ak}.severity`, `expected critical, warning or info, got ${JSON.stringify(al.severity)}`);
      }
      if (
        al.runbookUrl !== undefined &&
        (typeof al.runbookUrl !== 'string' || !/^https?:\/\//.test(al.runbookUrl))
      ) {
        fail(`${ak}.runbookUrl`, `expected an http(s) URL, got ${JSON.stringify(al.runbookUrl)}`);
      }
    });
  });
}

/** The entry as a metric spec, so queries are checked against its labels like catalog metrics are. */
export function customSpec(entry: CustomMetricConfig): MetricSpec {
  return {
    name: entry.metric,
    type: entry.type,
    help: entry.panel.title,
    unit: 'count',
    category: 'custom',
    labels: [...(entry.labels ?? [])],
  };
}

/** What the panel draws, per label set, across replicas: a rate, a gauge's value or a quantile. */
export function customPanelQuery(
  config: MonitoringConfig,
  entry: CustomMetricConfig,
  window: string,
  scope: ReturnType<typeof re>[],
): Expr {
  const spec = customSpec(entry);
  const labels = [...spec.labels];
  switch (entry.type) {
    case 'counter':
      return sum(rate(series(config, spec, scope), window), by(...labels));
    case 'gauge':
      return max(series(config, spec, scope), by(...labels));
    case 'histogram':
      return histogramQuantile(
        entry.quantile ?? 0.95,
        sum(rate(series(config, spec, scope, '_bucket'), window), by(...labels, 'le')),
      );
  }
}

/** The alert condition's left side, per label set (replicas aggregated away). */
export function customAlertQuery(
  config: MonitoringConfig,
  entry: CustomMetricConfig,
  comparison: '>' | '<',
): Expr {
  const spec = customSpec(entry);
  switch (entry.type) {
    case 'counter':
      return rateSum(config, spec, [], []);
    case 'gauge':
      // The worst replica: the highest for an upper bound, the lowest for a lower bound.
      return (comparison === '>' ? max : min)(series(config, spec), withoutReplicas(config));
    case 'histogram':
      return quantile(config, spec, entry.quantile ?? 0.95);
  }
}

/** A label set in a legend, e.g. `{{planner}}`; the metric name when it has no labels. */
export function customLegend(entry: CustomMetricConfig): string {
  const labels = entry.labels ?? [];
  return labels.length ? labels.map((l) => `{{${l}}}`).join(' ') : entry.metric;
}
