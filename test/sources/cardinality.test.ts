/**
 * Bounded, collision-free keys: every per-name structure obeys the series limit, no two label sets share a
 * series, any caller's string is an ordinary name, and the overflow series cannot be confused with a name.
 * Each case reproduced a defect: 200,000 provider names kept 200,000 entries; label sets joined with NUL
 * collided; `__proto__` vanished from the JSON; a tool named `__overflow__` merged with the overflow bucket;
 * series_overflow_total read 1 after 199,000 folded names; a cache of size 1e7 was accepted.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { CATALOG, PROVIDER_ERROR_TYPES } from '../../src/metrics/catalog.ts';
import { MAX_SERIES_LIMIT } from '../../src/metrics/metric.ts';
import { Counter, Gauge, Histogram } from '../../src/metrics/primitives.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { ToolSelectionCache } from '../../src/sources/cache.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { render } from './helpers.ts';

const twoLabels = { ...CATALOG.toolExecutions };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

describe('label keys cannot collide', () => {
  it('values holding NUL (the old separator) stay distinct series', () => {
    const c = new Counter(twoLabels);
    c.labels({ tool: 'x\u0000y', status: 'z' }).inc();
    c.labels({ tool: 'x', status: 'y\u0000z' }).inc(2);
    expect(c.seriesCount).toBe(2);
    expect(c.labels({ tool: 'x\u0000y', status: 'z' }).value).toBe(1);
    expect(c.labels({ tool: 'x', status: 'y\u0000z' }).value).toBe(2);
  });

  it('length-looking values do not collide either', () => {
    const c = new Counter(twoLabels);
    c.labels({ tool: '1:a', status: 'b' }).inc();
    c.labels({ tool: '1', status: ':a1:b' }).inc();
    expect(c.seriesCount).toBe(2);
  });

  it('a label named like an Object.prototype member is not read from the prototype', () => {
    const c = new Counter<'constructor'>({
      name: 'requests_total',
      type: 'counter',
      unit: 'count',
      category: 'collector',
      help: 'Requests.',
      labels: ['constructor'],
    });
    expect(() => c.labels({} as { constructor: string })).toThrow(/must be a non-empty string/);
  });
});

describe('any name is an ordinary name', () => {
  it('tools and providers named __proto__ or constructor keep their stats in the JSON', () => {
    const tools = new ToolExecutionMonitor({ clock: new ManualClock() });
    const providers = new ProviderPoolMonitor({ clock: new ManualClock() });
    for (const name of ['__proto__', 'constructor', 'toString']) {
      tools.record(name, 5, true);
      providers.record(name, 50, 'success');
    }
    const t = JSON.parse(JSON.stringify(tools.collect())) as { tool_metrics: Record<string, unknown> };
    expect(Object.keys(t.tool_metrics)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(t.tool_metrics['__proto__']).toMatchObject({ total_calls: 1 });
    const p = JSON.parse(JSON.stringify(providers.collect())) as { provider_health: Record<string, number> };
    expect(Object.keys(p.provider_health)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(render(tools)).toContain('victor_tool_execution_duration_ms_count{tool="__proto__"} 1\n');
  });

  it('a real tool named __overflow__ stays apart from the overflow entry', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock(), maxSeries: 2 });
    m.record('__overflow__', 1, true);
    m.record('a', 1, true);
    m.record('b', 100, false);
    m.record('c', 100, false);
    const s = m.collect();
    expect(s.tool_metrics['__overflow__']).toMatchObject({ total_calls: 1, failed_calls: 0 });
    expect(s.tool_metrics['']).toMatchObject({ total_calls: 2, failed_calls: 2 });
    const text = render(m);
    expect(text).toContain('victor_tool_execution_duration_ms_count{tool="__overflow__"} 1\n');
    expect(text).toContain('victor_tool_execution_duration_ms_count{tool=""} 2\n');
  });

  it('the empty name is refused: it is the overflow entry', () => {
    expect(() => new ToolExecutionMonitor().record('', 1, true)).toThrow(/non-empty string/);
    expect(() => new ProviderPoolMonitor().record('', 1, 'success')).toThrow(/non-empty string/);
    expect(() => new Counter(twoLabels).labels({ tool: '', status: 'x' })).toThrow(/non-empty string/);
  });
});

describe('every per-name structure is bounded', () => {
  it('200,000 provider names: bounded pool, series and heap', () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    const before = heapAfterGc();
    for (let i = 0; i < 200_000; i++) m.record(`provider-${i}`, 10, i % 3 === 0 ? 'timeout' : 'success');
    const s = m.collect();
    const grew = heapAfterGc() - before;
    expect(s.pool.total).toBe(1001); // 1000 named, plus the overflow entry
    expect(s.requests.total).toBe(200_000);
    expect(Object.keys(s.provider_health)).toHaveLength(1001);
    expect(m.requests.seriesCount).toBe(1001);
    expect(m.errors.seriesCount).toBe(1001 * PROVIDER_ERROR_TYPES.length);
    expect(m.latency.seriesCount).toBe(1001);
    // The 200,000 names are not kept: the old pool map took +43.5 MiB.
    expect(grew).toBeLessThan(16 * 1024 * 1024);
    const text = render(m);
    expect(text).toContain('victor_provider_requests_total{provider=""} 199000\n');
  });

  it('calls with a model past the provider limit keep usage series bounded too', async () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock(), maxSeries: 10 });
    for (let i = 0; i < 2_000; i++) await m.call(`p-${i}`, () => 'ok', { model: `model-${i % 3}` });
    expect(m.collect().pool.total).toBe(11);
    expect(m.usage.modelRequests.seriesCount).toBeLessThanOrEqual(11);
    expect(m.usage.tokens.seriesCount).toBeLessThanOrEqual(44);
    expect(render(m)).toContain('victor_provider_requests_total{provider=""} 1990\n');
  });

  it('series_overflow_total counts the records folded, not the first look-up', () => {
    const collector = new PerformanceMetricsCollector();
    const tools = new ToolExecutionMonitor({ clock: new ManualClock(), maxSeries: 10 });
    const providers = new ProviderPoolMonitor({ clock: new ManualClock(), maxSeries: 10 });
    collector.registerToolExecution(tools).registerProviderPool(providers);
    for (let i = 0; i < 2_000; i++) {
      tools.record(`tool-${i}`, 1, true);
      providers.record(`p-${i}`, 1, 'success');
    }
    const text = collector.exportPrometheus();
    expect(text).toContain('victor_series_overflow_total{metric="victor_tool_execution_duration_ms"} 1990\n');
    expect(text).toContain('victor_series_overflow_total{metric="victor_tool_executions_total"} 1990\n');
    expect(text).toContain('victor_series_overflow_total{metric="victor_provider_requests_total"} 1990\n');
  });

  it('bootstrap phases past the limit fold into the overflow series', () => {
    const b = new BootstrapMonitor({ maxSeries: 2 });
    b.recordPhase('a', 1);
    b.recordPhase('b', 2);
    b.recordPhase('c', 3);
    b.recordPhase('d', 4);
    expect(b.phaseMs('c')).toBeNull();
    expect(b.phaseDuration.seriesCount).toBe(3);
    expect(render(b)).toContain('victor_bootstrap_phase_duration_ms{phase=""} 7\n');
    expect(b.phaseDuration.overflowed).toBe(2);
  });

  it('a metric used directly folds past its limit into one series with every label empty', () => {
    const h = new Histogram(CATALOG.providerLatency, { maxSeries: 3, clock: new ManualClock() });
    for (let i = 0; i < 100; i++) h.labels({ provider: `p${i}` }).observe(1);
    expect(h.seriesCount).toBe(4);
    expect(h.overflowed).toBe(97);
  });
});

describe('constructors validate like the environment and settings file do', () => {
  it('a cache of size 1e7 is refused (VICTOR_CACHE_SIZE is capped at 1,000,000 too)', () => {
    expect(() => new ToolSelectionCache({ size: 1e7 })).toThrow(
      'cache size must be an integer from 1 to 1000000, got 10000000',
    );
    expect(() => new ToolSelectionCache({ size: '100' as unknown as number })).toThrow(/got 100/);
    expect(() => new ToolSelectionCache({ ttlSeconds: { query: 1e9 } })).toThrow(
      /<= 31536000, got 1000000000/,
    );
  });

  it('series limits are integers from 1 to MAX_SERIES_LIMIT', () => {
    const bad = [0, -1, 1.5, MAX_SERIES_LIMIT + 1, 1e7, NaN];
    for (const maxSeries of bad) {
      expect(() => new ToolExecutionMonitor({ maxSeries })).toThrow(/maxSeries must be an integer from 1 to/);
      expect(() => new ProviderPoolMonitor({ maxSeries })).toThrow(/maxSeries must be an integer from 1 to/);
      expect(() => new BootstrapMonitor({ maxSeries })).toThrow(/maxSeries must be an integer from 1 to/);
      expect(() => new Gauge(CATALOG.providerHealth, { maxSeries })).toThrow(/got/);
    }
  });
});
