/**
 * The Grafana Overview row shows the health score and, beside it, how many alerts fire; the score's
 * description lists the config's weights.
 */
import { describe, expect, it } from 'vitest';
import { resolveMonitoringConfig, type MonitoringConfigOverrides } from '../../src/monitoring/config.ts';
import { buildDashboard } from '../../src/monitoring/dashboard.ts';
import { FIRING_COUNT_TITLE } from '../../src/monitoring/dashboard-panels.ts';
import { pageConfig } from '../../src/web/panels.ts';
import { WITH_PROVIDERS } from '../collector/health-weights.ts';

describe('health score panels', () => {
  const config = resolveMonitoringConfig({
    healthScore: { weights: WITH_PROVIDERS },
  } as MonitoringConfigOverrides);
  const panels = buildDashboard(config).panels;

  it('puts the firing alerts count right beside the score, on the same line', () => {
    const score = panels.find((p) => p.title === 'Health Score')!;
    const count = panels.find((p) => p.title === FIRING_COUNT_TITLE)!;
    expect(score.type).toBe('stat');
    expect(count.type).toBe('stat');
    expect(count.gridPos.y).toBe(score.gridPos.y);
    expect(count.gridPos.x).toBe(score.gridPos.x + score.gridPos.w);
    expect(score.targets![0]!.expr).toBe(
      'min(victor_performance_health_score{job="victor-perf", cluster=~"$cluster"})',
    );
    const expr = count.targets![0]!.expr;
    expect(expr).toMatch(
      /^count\(ALERTS\{alertstate="firing", component=~"[a-z_|]+", cluster=~"\$cluster"\}\) or vector\(0\)$/,
    );
    expect(expr).toContain('provider_pool');
    expect(count.fieldConfig?.defaults.thresholds.steps).toEqual([
      { color: 'green', value: null },
      { color: 'red', value: 1 },
    ]);
  });

  it("describes the score with the config's weights, provider availability included when weighed in", () => {
    const score = panels.find((p) => p.title === 'Health Score')!;
    expect(score.description).toContain('30 % cache hit rate, 20 % tool success');
    expect(score.description).toContain('30 % provider availability');
    const byDefault = buildDashboard(resolveMonitoringConfig({})).panels.find(
      (p) => p.title === 'Health Score',
    )!;
    expect(byDefault.description).toContain('40 % cache hit rate');
    expect(byDefault.description).not.toContain('provider');
  });

  it('the built-in page keeps the score and leaves the ALERTS count to its own alerts view', () => {
    const page = pageConfig(config, { mode: 'prometheus', resolutionMs: 1000, retentionMs: 60_000 });
    expect(page.panels.filter((p) => p.title === 'Health Score')).toHaveLength(1);
    expect(page.panels.some((p) => p.title === FIRING_COUNT_TITLE)).toBe(false);
    const overview = page.panels.filter((p) => p.row === 'Overview');
    expect(overview.reduce((n, p) => n + p.span, 0)).toBe(24);
  });
});
