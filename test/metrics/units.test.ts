/**
 * Naming modes from the catalog: every metric in milliseconds has a seconds form, a left-out metric names an
 * existing base-unit twin, a query on a metric the mode leaves out cannot be written, bad modes are refused,
 * and README's table of base names is the catalog's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { CATALOG, CATALOG_ENTRIES, findSpec, metricName, unitsForm } from '../../src/metrics/catalog.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { metric, QueryError } from '../../src/query/expr.ts';

describe('units: seed and base', () => {
  it('seed is every spec as declared; base turns milliseconds into seconds and leaves out the duplicates', () => {
    for (const spec of CATALOG_ENTRIES) {
      expect(unitsForm(spec, 'seed')).toMatchObject({ name: spec.name, unit: spec.unit, divisor: 1 });
      const base = unitsForm(spec, 'base');
      if (spec.replacedBy !== undefined) {
        expect(base, spec.name).toBeNull();
        const twin = findSpec(spec.replacedBy);
        expect(twin, spec.replacedBy).toBeDefined();
        expect(unitsForm(twin!, 'base')?.name).toBe(spec.replacedBy);
      } else if (spec.unit === 'milliseconds') {
        expect(base).toMatchObject({ unit: 'seconds', divisor: 1000 });
        expect(base!.name).toMatch(/_seconds(_total)?$/);
        expect(base!.help).not.toContain('milliseconds');
      } else {
        expect(base).toMatchObject({ name: spec.name, divisor: 1 });
        expect(['milliseconds', 'megabytes', 'percent']).not.toContain(spec.unit);
      }
    }
    // Application metrics keep the names their authors chose.
    expect(unitsForm({ ...CATALOG.toolSelectionDuration, category: 'custom' }, 'base')?.name).toBe(
      'tool_duration_ms',
    );
  });

  it('a metric base units leave out cannot be named or queried in them', () => {
    expect(metricName(CATALOG.systemCpuPercent, 'victor_', 'seed')).toBe('victor_system_cpu_percent');
    expect(() => metricName(CATALOG.systemCpuPercent, 'victor_', 'base')).toThrow(
      /system_cpu_percent is not emitted in base units: use system_cpu_seconds_total/,
    );
    expect(() => metric(CATALOG.systemMemoryMb, 'victor_', [], '', 'base')).toThrow(QueryError);
    expect(metric(CATALOG.providerLatency, 'victor_', [], '_bucket', 'base').metric).toBe(
      'victor_provider_latency_seconds_bucket',
    );
  });

  it('refuses an unknown mode where it is given, naming the value', () => {
    expect(() => new PerformanceMetricsCollector({ units: 'si' as never })).toThrow(/invalid units "si"/);
    expect(() => new Registry({ units: 'metric' as never })).toThrow(/invalid units "metric"/);
    expect(() => resolveMonitoringConfig({ units: 'SI' })).toThrow(/units: expected seed or base, got "SI"/);
  });

  it("README's table of base names is the catalog's", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Metric names: seed or base units'));
    const rows = [...section.matchAll(/^\| `(victor_\w+)` +\| (.+?) +\|$/gm)].map((m) => [m[1], m[2]]);
    const expected = CATALOG_ENTRIES.filter((s) => unitsForm(s, 'base')?.name !== s.name).map((s) => {
      const f = unitsForm(s, 'base');
      return [`victor_${s.name}`, f ? `\`victor_${f.name}\`` : `left out: \`victor_${s.replacedBy}\``];
    });
    expect(rows).toEqual(expected);
  });
});
