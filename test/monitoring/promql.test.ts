import { describe, expect, it } from 'vitest';
import { CATALOG_ENTRIES, metricName, unitsForm } from '../../src/metrics/catalog.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  resolveMonitoringConfig,
  type MonitoringConfig,
} from '../../src/monitoring/config.ts';
import { dashboardPanels, interpolateQuery } from '../../src/monitoring/dashboard.ts';
import { buildRuleFile, recordedSeries } from '../../src/monitoring/rules.ts';
import { analysePromQL } from './helpers.ts';

const analyse = analysePromQL;

function allQueries(config: MonitoringConfig): { where: string; expr: string }[] {
  const rules = buildRuleFile(config).groups.flatMap((g) =>
    g.rules.map((r) => ({ where: 'record' in r ? r.record : r.alert, expr: r.expr })),
  );
  const panels = dashboardPanels(config).flatMap((p) =>
    p.queries.map((q) => ({ where: `panel ${p.title}`, expr: interpolateQuery(q.expr) })),
  );
  return [...rules, ...panels];
}

/**
 * Series the queries may reference: catalog metrics in the config's naming mode (histograms with their
 * suffixes; none that the mode leaves out) and our recorded ones.
 */
function knownSeries(config: MonitoringConfig): Set<string> {
  const names = new Set<string>(recordedSeries(config));
  for (const spec of CATALOG_ENTRIES) {
    if (unitsForm(spec, config.units) === null) continue;
    const name = metricName(spec, config.prefix, config.units);
    names.add(name);
    if (spec.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
  }
  names.add('ALERTS'); // Prometheus' own series of alert states (the alerts panel)
  return names;
}

describe.each([
  ['seed', DEFAULT_MONITORING_CONFIG],
  ['base', resolveMonitoringConfig({ units: 'base' })],
] as const)('PromQL of rules and dashboard in %s units', (_units, config) => {
  it('every expression parses without error nodes', () => {
    const queries = allQueries(config);
    expect(queries.length).toBeGreaterThan(40);
    for (const q of queries) expect(analyse(q.expr).errors, `${q.where}: ${q.expr}`).toEqual([]);
  });

  it('every referenced metric exists in the catalog or is recorded by the rules', () => {
    const known = knownSeries(config);
    for (const q of allQueries(config)) {
      const { metrics } = analyse(q.expr);
      expect(metrics.length, q.where).toBeGreaterThan(0);
      for (const m of metrics) expect(known.has(m), `${q.where} references ${m}`).toBe(true);
    }
  });
});

describe('PromQL checks', () => {
  const config = DEFAULT_MONITORING_CONFIG;
  it('the parser does flag broken PromQL (the check is not vacuous)', () => {
    expect(analyse('min(1, rate(x[5m])').errors.length).toBeGreaterThan(0);
    expect(analyse('sum(rate(x{a="b"}[5m]))').errors).toEqual([]);
  });

  it('the health score is recorded, never read from the exporter', () => {
    expect(recordedSeries(config)).toContain('victor_performance_health_score');
    expect(CATALOG_ENTRIES.map((s) => metricName(s))).not.toContain('victor_performance_health_score');
  });
});
