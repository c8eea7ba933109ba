/**
 * The exposition of a populated collector, checked by the real `promtool check metrics`. Seed units: any
 * complaint other than the unit-abbreviation lint that the description's own names (`_ms`, `_mb`) cause fails
 * the test (the lint lines name each metric, so only those exact complaints are let through). Base units:
 * promtool reports nothing at all.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector, type CollectorOptions } from '../../src/collector/collector.ts';
import { CATALOG_ENTRIES, unitsForm } from '../../src/metrics/catalog.ts';
import { parseExposition } from '../../src/metrics/parse.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { ToolSelectionCache } from '../../src/sources/cache.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolSelectionMonitor } from '../../src/sources/selection.ts';
import { SystemMonitor } from '../../src/sources/system.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';

/** A collector with every component registered and some of everything recorded. */
export async function populatedCollector(
  options: CollectorOptions = {},
): Promise<PerformanceMetricsCollector> {
  const collector = new PerformanceMetricsCollector(options);
  const cache = new ToolSelectionCache({ size: 50 });
  const selection = new ToolSelectionMonitor((q: string) => [`tool_for_${q.length % 5}`], { cache });
  for (let i = 0; i < 200; i++) await selection.select(`query ${i % 30}`);
  await selection.select('ctx', { namespace: 'context' });

  const tools = new ToolExecutionMonitor();
  for (let i = 0; i < 100; i++)
    tools.record(i % 3 === 0 ? 'shell' : 'read_file', 5 + (i % 17) * 13, i % 11 !== 0);
  tools.record('name with "quotes"\\and\nnewline', 3, true);

  const providers = new ProviderPoolMonitor({ clock: new ManualClock(0) });
  for (let i = 0; i < 60; i++) {
    providers.record('anthropic', 400 + i * 10, 'success');
    providers.record('openai', 900, i % 10 === 0 ? 'timeout' : i % 7 === 0 ? 'rate_limit' : 'success');
  }
  for (let i = 0; i < 6; i++) providers.record('local-llama', 30_000, 'other');

  const bootstrap = new BootstrapMonitor();
  for (const [phase, ms] of [
    ['container_bootstrap', 12],
    ['service_registration', 30],
    ['provider_initialization', 80],
    ['tool_loading', 45],
    ['cache_warming', 20],
  ] as const) {
    bootstrap.recordPhase(phase, ms);
  }
  bootstrap.complete();
  bootstrap.recordLazyLoad('vector_store', 25, 4);

  collector
    .registerToolSelectionCache(cache)
    .registerToolSelection(selection)
    .registerToolExecution(tools)
    .registerProviderPool(providers)
    .registerBootstrap(bootstrap)
    .registerSystem(new SystemMonitor({ eventLoop: false }));
  return collector;
}

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

describe('exposition of a populated collector', () => {
  it('passes promtool check metrics (beyond the unit-abbreviation lint)', async () => {
    expect(hasPromtool, 'promtool is missing: run `npm run setup` (Debian package prometheus)').toBe(true);
    const collector = await populatedCollector();
    const text = collector.exportPrometheus();
    expect(text.endsWith('\n')).toBe(true);
    // Every family of every category is there.
    for (const family of [
      'victor_cache_hit_rate',
      'victor_cache_operations_total',
      'victor_tool_duration_ms',
      'victor_tool_execution_duration_ms',
      'victor_tool_executions_total',
      'victor_provider_latency_ms',
      'victor_provider_errors_total',
      'victor_bootstrap_phase_duration_ms',
      'victor_system_memory_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const complaints = (res.stdout + res.stderr)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .filter((l) => !/ metric names should not contain abbreviated units$/.test(l));
    expect(complaints).toEqual([]);
    // promtool exits 3 on lint problems only; a parse error is exit 1.
    expect([0, 3]).toContain(res.status);
  });

  it('in base units, passes promtool check metrics with no finding at all', async () => {
    expect(hasPromtool).toBe(true);
    const collector = await populatedCollector({ units: 'base' });
    const text = collector.exportPrometheus();
    for (const family of [
      'victor_tool_duration_seconds',
      'victor_tool_execution_duration_seconds',
      'victor_provider_latency_seconds',
      'victor_bootstrap_phase_duration_seconds',
      'victor_bootstrap_startup_seconds',
      'victor_bootstrap_lazy_load_seconds_total',
      'victor_system_memory_bytes',
      'victor_system_cpu_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
    expect(text).not.toMatch(/_ms\b|_ms_|_mb\b|cpu_percent/);
    const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect((res.stdout + res.stderr).trim()).toBe('');
    expect(res.status).toBe(0);
  });

  it('base units carry the same measurements: bucket counts equal, bounds, sums and values divided by 1000', async () => {
    const seed = await populatedCollector();
    const seedFamilies = new Map(parseExposition(seed.exportPrometheus()).map((f) => [f.name, f]));
    // The same metric objects rendered in the other mode: the same recorded values, named and scaled.
    const base = new Map(
      parseExposition(
        seed
          .metrics()
          .map((m) => m.render('victor_', 'base'))
          .join(''),
      ).map((f) => [f.name, f]),
    );
    let compared = 0;
    for (const spec of CATALOG_ENTRIES) {
      const s = seedFamilies.get(`victor_${spec.name}`);
      const form = unitsForm(spec, 'base');
      if (!s || spec.category === 'collector') continue;
      if (form === null) {
        expect(base.has(`victor_${spec.name}`), spec.name).toBe(false);
        continue;
      }
      const b = base.get(`victor_${form.name}`);
      expect(b, form.name).toBeDefined();
      expect(b!.samples.length).toBe(s.samples.length);
      s.samples.forEach((x, i) => {
        const y = b!.samples[i]!;
        const counted = /_(count|bucket)$/.test(x.name);
        expect(y.name).toBe(x.name.replace(`victor_${spec.name}`, `victor_${form.name}`));
        expect(y.value, y.name).toBeCloseTo(counted ? x.value : x.value / form.divisor, 9);
        if (x.labels.le !== undefined && x.labels.le !== '+Inf')
          expect(Number(y.labels.le)).toBeCloseTo(Number(x.labels.le) / form.divisor, 12);
      });
      compared++;
    }
    expect(compared).toBeGreaterThan(20);
  });

  it('fails promtool on a broken exposition (the check can fail)', () => {
    expect(hasPromtool).toBe(true);
    const res = spawnSync('promtool', ['check', 'metrics'], {
      input: '# TYPE x counter\nx{a="1" 2\n',
      encoding: 'utf8',
    });
    expect(res.status).not.toBe(0);
  });
});
