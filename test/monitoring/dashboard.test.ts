import { describe, expect, it } from 'vitest';
import { findSpec, isPerProcess, PROCESS_LABEL, TOTAL_PROCESS } from '../../src/metrics/catalog.ts';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { forEachSelector } from '../../src/query/expr.ts';
import {
  DASHBOARD_ROWS,
  DATASOURCE_REF,
  FILTER_VARIABLES,
  buildDashboard,
  dashboardPanels,
  interpolateQuery,
  renderDashboard,
  type GrafanaPanel,
} from '../../src/monitoring/dashboard.ts';

const config = DEFAULT_MONITORING_CONFIG;
const dashboard = buildDashboard(config);
const panels = dashboard.panels.filter((p) => p.type !== 'row');

/** reference.md section 5: row, title and panel type (graph -> timeseries, bar -> bargauge). */
const REFERENCE: [string, string, string][] = [
  ['Overview', 'Tool Selection Latency P95', 'timeseries'],
  ['Overview', 'Cache Hit Rate', 'gauge'],
  ['Overview', 'Memory Usage', 'timeseries'],
  ['Overview', 'System Uptime', 'stat'],
  ['Cache Performance', 'Cache Entries by Namespace', 'timeseries'],
  ['Cache Performance', 'Cache Hit/Miss Ratio', 'piechart'],
  ['Cache Performance', 'Cache Evictions', 'timeseries'],
  ['Cache Performance', 'Cache Utilization', 'gauge'],
  ['Tool Selection', 'Selection Latency P50/P95/P99', 'timeseries'],
  ['Tool Selection', 'Selection Hit Rate by Type', 'bargauge'],
  ['Tool Selection', 'Selection Misses Rate', 'timeseries'],
  ['Provider Pool', 'Provider Health', 'table'],
  ['Provider Pool', 'Provider Latency P95 by provider', 'timeseries'],
  ['Provider Pool', 'Active Providers', 'stat'],
  ['LLM usage', 'Tokens per second by provider and model', 'timeseries'],
  ['LLM usage', 'Time to First Chunk P95 by provider', 'timeseries'],
  ['LLM usage', 'Rate-limited Requests', 'timeseries'],
  ['Tool Execution', 'Execution Duration P95/P99', 'timeseries'],
  ['Tool Execution', 'Execution Errors', 'timeseries'],
  ['Tool Execution', 'Top Tools by Execution', 'table'],
];

function rowOf(panel: GrafanaPanel): string | undefined {
  const rows = dashboard.panels.filter((p) => p.type === 'row' && p.gridPos.y < panel.gridPos.y);
  return rows.at(-1)?.title;
}

describe('Grafana dashboard', () => {
  it('has the uid, refresh, time range and dark style of reference.md section 5', () => {
    expect(dashboard.uid).toBe('victor-performance');
    expect(dashboard.refresh).toBe('30s');
    expect(dashboard.time).toEqual({ from: 'now-1h', to: 'now' });
    expect(dashboard.style).toBe('dark');
  });

  it('has every panel of reference.md section 5 in its row with the right type', () => {
    for (const [row, title, type] of REFERENCE) {
      const panel = panels.find((p) => p.title === title);
      expect(panel, title).toBeDefined();
      expect(panel?.type, title).toBe(type);
      expect(rowOf(panel as GrafanaPanel), title).toBe(row);
    }
  });

  it('has the five rows plus bootstrap and alerts', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([...DASHBOARD_ROWS]);
    expect(panels.some((p) => p.title === 'Firing Alerts')).toBe(true);
    expect(panels.filter((p) => rowOf(p) === 'Bootstrap').length).toBeGreaterThan(0);
  });

  it('units and thresholds match reference.md', () => {
    const get = (t: string): GrafanaPanel => panels.find((p) => p.title === t) as GrafanaPanel;
    const steps = (t: string): unknown => get(t).fieldConfig?.defaults.thresholds.steps;
    expect(get('Tool Selection Latency P95').fieldConfig?.defaults.unit).toBe('ms');
    expect(get('Memory Usage').fieldConfig?.defaults.unit).toBe('bytes');
    expect(steps('Memory Usage')).toContainEqual({ color: 'red', value: 2 * 1024 ** 3 });
    expect(steps('Cache Hit Rate')).toEqual([
      { color: 'red', value: null },
      { color: 'yellow', value: 0.4 },
      { color: 'green', value: 0.6 },
    ]);
    expect(steps('Cache Utilization')).toEqual([
      { color: 'green', value: null },
      { color: 'yellow', value: 0.7 },
      { color: 'red', value: 0.9 },
    ]);
    expect(steps('Selection Latency P50/P95/P99')).toContainEqual({ color: 'red', value: 1 });
    expect(steps('Execution Errors')).toContainEqual({ color: 'red', value: 0.05 });
    expect(get('Provider Health').fieldConfig?.defaults.mappings).toEqual([
      {
        type: 'value',
        options: {
          '1': { text: 'Healthy', color: 'green', index: 0 },
          '0': { text: 'Unhealthy', color: 'red', index: 1 },
        },
      },
    ]);
    expect(get('Top Tools by Execution').targets?.[0]?.expr).toMatch(/^topk\(10, sum by \(tool\)/);
    for (const p of panels) expect(p.fieldConfig?.defaults.unit, p.title).toBeTruthy();
  });

  it('ids are unique and the grid has no overlaps and stays within 24 columns', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const boxes = dashboard.panels.map((p) => p.gridPos);
    for (const b of boxes) expect(b.x + b.w).toBeLessThanOrEqual(24);
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i] as (typeof boxes)[0], boxes[j] as (typeof boxes)[0]];
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${dashboard.panels[i]?.title} / ${dashboard.panels[j]?.title}`).toBe(false);
      }
    }
  });

  it('every panel and target uses the datasource variable, which exists', () => {
    const vars = dashboard.templating.list;
    expect(vars.find((v) => v.name === 'datasource')?.type).toBe('datasource');
    for (const p of panels) {
      expect(p.datasource, p.title).toEqual(DATASOURCE_REF);
      for (const t of p.targets ?? []) expect(t.datasource).toEqual(DATASOURCE_REF);
    }
    for (const v of vars.filter((x) => x.type === 'query')) expect(v.datasource).toEqual(DATASOURCE_REF);
  });

  it('has filter variables with All and multi-select, and queries use them', () => {
    for (const name of FILTER_VARIABLES) {
      const v = dashboard.templating.list.find((x) => x.name === name);
      expect(v?.includeAll && v.multi, name).toBe(true);
      expect(v?.allValue).toBe('.*');
    }
    const exprs = panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    for (const name of FILTER_VARIABLES)
      expect(
        exprs.some((e) => e.includes(`$${name}`)),
        name,
      ).toBe(true);
    // But ALERTS and the recorded health score: both are per job, with no instance to filter on.
    const perInstance = exprs.filter((e) => !e.includes('ALERTS') && !e.includes('performance_health_score'));
    expect(perInstance.every((e) => e.includes('instance=~"$instance"'))).toBe(true);
  });

  it('dashboardPanels mirrors the Grafana panels and interpolates for a plain Prometheus', () => {
    const specs = dashboardPanels(config);
    expect(specs.map((s) => s.title)).toEqual(panels.map((p) => p.title));
    const rated = specs.flatMap((s) => s.queries).find((x) => x.expr.includes('$__rate_interval'));
    const q = interpolateQuery(rated?.expr ?? '', { rateInterval: '2m' });
    expect(q).not.toContain('$');
    expect(q).toContain('[2m]');
  });

  it('renders stable JSON', () => {
    expect(renderDashboard(config)).toBe(renderDashboard(config));
    expect(JSON.parse(renderDashboard(config)).uid).toBe('victor-performance');
  });
});

describe('per-process gauges in cluster mode', () => {
  // With several processes aggregated, a system gauge has one series per process plus their `total`:
  // a panel summing or comparing its series must leave the total out, or it counts every process twice.
  it('every panel reading a system gauge leaves the processes total out', () => {
    const readers: string[] = [];
    for (const panel of dashboardPanels(config)) {
      for (const q of panel.queries) {
        forEachSelector(q.query, (s) => {
          const spec = findSpec(s.metric.slice(config.prefix.length));
          if (!spec || !isPerProcess(spec) || spec.category !== 'system') return;
          readers.push(`${panel.title}: ${s.metric}`);
          const excludesTotal = s.matchers.some(
            (m) => m.label === PROCESS_LABEL && m.op === '!=' && m.value === TOTAL_PROCESS,
          );
          expect(excludesTotal, `${panel.title} reads ${s.metric} with its total`).toBe(true);
        });
      }
    }
    expect(readers.length).toBeGreaterThanOrEqual(2); // memory and uptime at least
  });
});

describe('naming modes', () => {
  it('the base-units dashboard has its own uid and title, so both sets load into one Grafana', () => {
    const base = buildDashboard({ ...config, units: 'base' });
    expect(base.uid).toBe('victor-performance-base');
    expect(base.title).toBe('Victor Performance (base units)');
    expect(dashboard.uid).not.toBe(base.uid);
  });
});
