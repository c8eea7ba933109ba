/**
 * The Grafana dashboard `victor-performance`, built from dashboardPanels().
 *
 * Why typed interfaces of our own rather than @grafana/grafana-foundation-sdk: the SDK is at 0.0.x on npm
 * (pre-1.0, generated per Grafana version, large API surface) for a dashboard of ~25 panels whose JSON we also
 * assert structurally in tests. The few interfaces below describe exactly the JSON we emit, with no extra
 * dependency; Grafana accepts it from 9.x on.
 */
import { CATALOG, metricName } from '../metrics/catalog.ts';
import type { MonitoringConfig } from './config.ts';
import {
  DASHBOARD_ROWS,
  FILTER_VARIABLES,
  dashboardPanels,
  type PanelSpec,
  type PanelType,
  type ThresholdStep,
} from './dashboard-panels.ts';
import { mul, re } from '../query/expr.ts';
import { toPromQL } from '../query/promql.ts';
import { series } from './promql.ts';
import { CUSTOM_ROW } from './custom.ts';
import { stableJson } from './yaml.ts';

export {
  DASHBOARD_ROWS,
  FILTER_VARIABLES,
  dashboardPanels,
  type PanelQuery,
  type PanelSpec,
  type PanelType,
  type ThresholdStep,
  type ValueMapping,
} from './dashboard-panels.ts';

export const DASHBOARD_UID = 'victor-performance';

/** The dashboard's uid: a base-units dashboard gets its own, so both sets can be loaded into one Grafana. */
export function dashboardUid(config: Pick<MonitoringConfig, 'units'>): string {
  return config.units === 'base' ? `${DASHBOARD_UID}-base` : DASHBOARD_UID;
}
export const DASHBOARD_FILE = 'victor-performance.json';
/** Every query panel's datasource: the dashboard's datasource variable. */
export const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' } as const;

export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GrafanaTarget {
  refId: string;
  datasource: typeof DATASOURCE_REF;
  expr: string;
  legendFormat: string;
  instant: boolean;
  range: boolean;
  format: 'time_series' | 'table';
}

export interface GrafanaPanel {
  id: number;
  type: PanelType | 'row';
  title: string;
  gridPos: GridPos;
  datasource?: typeof DATASOURCE_REF;
  description?: string;
  collapsed?: boolean;
  panels?: GrafanaPanel[];
  targets?: GrafanaTarget[];
  fieldConfig?: {
    defaults: {
      unit: string;
      min?: number;
      max?: number;
      thresholds: { mode: 'absolute'; steps: ThresholdStep[] };
      mappings: unknown[];
      custom?: Record<string, unknown>;
    };
    overrides: unknown[];
  };
  options?: Record<string, unknown>;
}

export interface GrafanaVariable {
  name: string;
  label: string;
  type: 'datasource' | 'query';
  query: string | { query: string; refId: string };
  datasource?: typeof DATASOURCE_REF;
  definition?: string;
  includeAll: boolean;
  multi: boolean;
  allValue?: string;
  current: { text: string | string[]; value: string | string[] };
  refresh: number;
  sort?: number;
  hide: number;
  regex?: string;
  options: unknown[];
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  tags: string[];
  timezone: string;
  style: 'dark';
  editable: boolean;
  graphTooltip: number;
  refresh: string;
  schemaVersion: number;
  version: number;
  time: { from: string; to: string };
  timepicker: { refresh_intervals: string[] };
  templating: { list: GrafanaVariable[] };
  annotations: { list: unknown[] };
  panels: GrafanaPanel[];
}

const PANEL_HEIGHT = 8;

function fieldConfig(p: PanelSpec): NonNullable<GrafanaPanel['fieldConfig']> {
  const defaults: NonNullable<GrafanaPanel['fieldConfig']>['defaults'] = {
    unit: p.unit,
    thresholds: { mode: 'absolute', steps: [...(p.thresholds ?? [{ color: 'green', value: null }])] },
    mappings: p.mappings
      ? [
          {
            type: 'value',
            options: Object.fromEntries(
              p.mappings.map((m, i) => [String(m.value), { text: m.text, color: m.color, index: i }]),
            ),
          },
        ]
      : [],
  };
  if (p.min !== undefined) defaults.min = p.min;
  if (p.max !== undefined) defaults.max = p.max;
  if (p.type === 'timeseries' && p.thresholds) defaults.custom = { thresholdsStyle: { mode: 'line' } };
  if (p.type === 'table' && p.mappings) defaults.custom = { cellOptions: { type: 'color-background' } };
  return { defaults, overrides: [] };
}

function panelOptions(p: PanelSpec): Record<string, unknown> {
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (p.type) {
    case 'timeseries':
      return {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi' },
      };
    case 'gauge':
      return { reduceOptions: reduce, showThresholdLabels: false, showThresholdMarkers: true };
    case 'stat':
      return { reduceOptions: reduce, colorMode: 'value', graphMode: 'area', textMode: 'auto' };
    case 'piechart':
      return { reduceOptions: reduce, pieType: 'pie', legend: { displayMode: 'table', placement: 'right' } };
    case 'bargauge':
      return { reduceOptions: reduce, orientation: 'horizontal', displayMode: 'gradient' };
    case 'table':
      return { showHeader: true, cellHeight: 'sm' };
  }
}

function variable(name: string, label: string, query: string): GrafanaVariable {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE_REF,
    query: { query, refId: `${name}-variable` },
    definition: query,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { text: ['All'], value: ['$__all'] },
    refresh: 2,
    sort: 1,
    hide: 0,
    options: [],
  };
}

function templating(config: MonitoringConfig): GrafanaVariable[] {
  const C = CATALOG;
  const name = (spec: Parameters<typeof metricName>[0]): string =>
    metricName(spec, config.prefix, config.units);
  const braces = (...parts: string[]): string => `{${parts.filter((p) => p !== '').join(', ')}}`;
  const job = braces(config.selector);
  const labels: Record<(typeof FILTER_VARIABLES)[number], [string, string]> = {
    cluster: ['Cluster', `label_values(${name(C.systemUptime)}${job}, cluster)`],
    instance: [
      'Instance',
      `label_values(${name(C.systemUptime)}${braces(config.selector, 'cluster=~"$cluster"')}, instance)`,
    ],
    namespace: ['Cache namespace', `label_values(${name(C.cacheOperations)}${job}, namespace)`],
    provider: ['Provider', `label_values(${name(C.providerHealth)}${job}, provider)`],
    tool: ['Tool', `label_values(${name(C.toolExecutions)}${job}, tool)`],
  };
  return [
    {
      name: 'datasource',
      label: 'Data source',
      type: 'datasource',
      query: 'prometheus',
      includeAll: false,
      multi: false,
      current: { text: 'default', value: 'default' },
      refresh: 1,
      hide: 0,
      regex: '',
      options: [],
    },
    ...FILTER_VARIABLES.map((v) => variable(v, labels[v][0], labels[v][1])),
  ];
}

export function buildDashboard(config: MonitoringConfig): GrafanaDashboard {
  const specs = dashboardPanels(config);
  const panels: GrafanaPanel[] = [];
  let id = 1;
  let y = 0;
  // The Custom row comes last and only when the config lists custom metrics (empty rows are skipped).
  for (const row of [...DASHBOARD_ROWS, CUSTOM_ROW]) {
    const inRow = specs.filter((p) => p.row === row);
    if (inRow.length === 0) continue;
    panels.push({
      id: id++,
      type: 'row',
      title: row,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    });
    y += 1;
    const w = Math.floor(24 / inRow.length);
    inRow.forEach((p, i) => {
      const panel: GrafanaPanel = {
        id: id++,
        type: p.type,
        title: p.title,
        datasource: DATASOURCE_REF,
        gridPos: { x: i * w, y, w: i === inRow.length - 1 ? 24 - i * w : w, h: PANEL_HEIGHT },
        targets: p.queries.map((q) => ({
          refId: q.refId,
          datasource: DATASOURCE_REF,
          expr: q.expr,
          legendFormat: q.legend,
          instant: q.instant,
          range: !q.instant,
          format: p.type === 'table' ? 'table' : 'time_series',
        })),
        fieldConfig: fieldConfig(p),
        options: panelOptions(p),
      };
      if (p.description) panel.description = p.description;
      panels.push(panel);
    });
    y += PANEL_HEIGHT;
  }
  return {
    uid: dashboardUid(config),
    title: config.units === 'base' ? 'Victor Performance (base units)' : 'Victor Performance',
    tags: ['victor', 'performance', 'generated'],
    timezone: 'browser',
    style: 'dark',
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-1h', to: 'now' },
    timepicker: { refresh_intervals: ['10s', '30s', '1m', '5m', '15m', '1h'] },
    templating: { list: templating(config) },
    annotations: { list: dashboardAnnotations(config) },
    panels,
  };
}

/**
 * Process starts (deployments, restarts, crashes) as annotations on every panel: the start-time series'
 * value is the moment of the start, so Grafana places each annotation there (`useValueForTime`).
 */
export function dashboardAnnotations(config: MonitoringConfig): Record<string, unknown>[] {
  const starts = series(config, CATALOG.systemStartTime, [
    re('cluster', '$cluster'),
    re('instance', '$instance'),
  ]);
  return [
    {
      name: 'Process starts',
      datasource: DATASOURCE_REF,
      enable: true,
      iconColor: 'rgba(255, 152, 48, 1)',
      expr: toPromQL(mul(starts, 1000)), // Grafana wants milliseconds
      step: '60s',
      useValueForTime: true,
      titleFormat: 'Process started',
      textFormat: '{{instance}} {{pod}}',
      tagKeys: 'cluster,instance,pod',
    },
  ];
}

export function renderDashboard(config: MonitoringConfig): string {
  return stableJson(buildDashboard(config));
}

/**
 * Replaces Grafana's variables so a panel query can run against Prometheus directly (live-stack tests, the
 * built-in dashboard reading a Prometheus URL): filters become `.*` unless given, `$__rate_interval` and
 * `$__range` become concrete windows.
 */
export function interpolateQuery(
  expr: string,
  vars: { rateInterval?: string; range?: string; values?: Readonly<Record<string, string>> } = {},
): string {
  return expr
    .replaceAll('$__rate_interval', vars.rateInterval ?? '1m')
    .replaceAll('$__range', vars.range ?? '1h')
    .replace(/\$([a-z_]+)/g, (_, name: string) => vars.values?.[name] ?? '.*');
}
