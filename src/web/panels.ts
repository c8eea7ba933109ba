/**
 * The page's panel list: the Grafana dashboard's panels (monitoring/dashboard-panels.ts, so titles, units,
 * thresholds and queries are the same), each with a stable id and a width on the
 * 24-column grid. The Alerts row lists Prometheus' alerts, or in local mode the server's in-process ones.
 */
import { CATALOG_ENTRIES } from '../metrics/catalog.ts';
import {
  DASHBOARD_ROWS,
  FIRING_COUNT_TITLE,
  dashboardPanels,
  type PanelSpec,
} from '../monitoring/dashboard-panels.ts';
import type { MonitoringConfig } from '../monitoring/config.ts';

export interface PagePanel extends PanelSpec {
  id: string;
  /** Columns of 24 on a wide screen. */
  span: number;
  /** Local mode, panels over `$__range`: the fixed window they cover (the history's `rangeWindow`). */
  window?: string;
}

export interface PageConfig {
  mode: 'local' | 'prometheus';
  title: string;
  rows: string[];
  panels: PagePanel[];
  /** Local mode: the history's sampling. */
  resolutionMs: number;
  retentionMs: number;
  /** Local mode: the values of `$__rate_interval` and `$__range` the panels are evaluated with. */
  rateInterval?: string;
  rangeWindow?: string;
  /** Known values of labels in their natural order (the catalog's), e.g. bootstrap phases in start-up order. */
  labelOrder: Record<string, string[]>;
  /** Prometheus mode: where queries go (through the server's proxy). */
  prometheusPath?: string;
  /** Label values are read from these metrics in Prometheus mode (`/api/v1/series` is not proxied). */
  prefix: string;
  selector: string;
}

export const slug = (title: string): string =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** Widths per panel id (the rest share their row). Keeps each row at 24 columns on a wide screen. */
const SPANS: Record<string, number> = {
  'health-score': 4,
  'tool-selection-latency-p95': 6,
  'cache-hit-rate': 4,
  'memory-usage': 6,
  'system-uptime': 4,
  'cache-entries-by-namespace': 7,
  'cache-hit-miss-ratio': 5,
  'cache-evictions': 6,
  'cache-utilization': 6,
  'selection-latency-p50-p95-p99': 10,
  'selection-hit-rate-by-type': 6,
  'selection-misses-rate': 8,
  'provider-health': 7,
  'provider-latency-p95-by-provider': 12,
  'active-providers': 5,
  'tokens-per-second-by-provider-and-model': 10,
  'time-to-first-chunk-p95-by-provider': 8,
  'rate-limited-requests': 6,
  'execution-duration-p95-p99': 8,
  'execution-errors': 8,
  'top-tools-by-execution': 8,
  'startup-time': 4,
  'bootstrap-phases': 12,
  'lazy-loads': 4,
  'first-access-overhead': 4,
  'firing-alerts': 24,
};

/** Known label values of the catalog, by label name, in declaration order. */
function labelOrder(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const spec of CATALOG_ENTRIES) {
    for (const [label, values] of Object.entries(spec.labelValues ?? {})) {
      const list = (out[label] ??= []);
      for (const v of values as readonly string[]) if (!list.includes(v)) list.push(v);
    }
  }
  return out;
}

export function pageConfig(
  config: MonitoringConfig,
  options: {
    mode: 'local' | 'prometheus';
    resolutionMs: number;
    retentionMs: number;
    rateInterval?: string;
    rangeWindow?: string;
  },
): PageConfig {
  // The firing-alerts count reads Prometheus' ALERTS series; the page shows its own count of the alerts.
  const specs = dashboardPanels(config).filter((p) => p.title !== FIRING_COUNT_TITLE);
  const rows = [...DASHBOARD_ROWS];
  const panels = specs
    .filter((p) => (rows as readonly string[]).includes(p.row))
    .map((p): PagePanel => {
      const panel: PagePanel = { ...p, id: slug(p.title), span: SPANS[slug(p.title)] ?? 6 };
      const window = options.rangeWindow;
      if (!window || !p.queries.some((q) => q.expr.includes('[$__range]'))) return panel;
      // The history evaluates `$__range` over a fixed window (the page's range is not known when it samples).
      const note = `Built-in history: over the last ${window}, whatever the time range.`;
      return { ...panel, window, description: p.description ? `${p.description} ${note}` : note };
    });
  const page: PageConfig = {
    mode: options.mode,
    title: 'Victor Performance',
    rows: [...rows],
    panels,
    resolutionMs: options.resolutionMs,
    retentionMs: options.retentionMs,
    prefix: config.prefix,
    selector: config.selector,
    labelOrder: labelOrder(),
  };
  if (options.rateInterval) page.rateInterval = options.rateInterval;
  if (options.rangeWindow) page.rangeWindow = options.rangeWindow;
  if (options.mode === 'prometheus') page.prometheusPath = 'dashboard/api/prom';
  return page;
}
