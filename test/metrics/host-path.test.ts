/**
 * The host's code path: recording never throws into the measured code, never changes what it returns or
 * throws, and bad values from the programmer get a clear error at the call. Each case below reproduced a
 * defect: a huge first value broke every later record, non-numbers were coerced into sums, two
 * Number.MAX_VALUE observations turned a sum into Infinity for good.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { CATALOG } from '../../src/metrics/catalog.ts';
import { instrumentationErrors, resetInstrumentationWarnings } from '../../src/metrics/guard.ts';
import { Counter, Gauge, Histogram } from '../../src/metrics/primitives.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { ToolSelectionCache } from '../../src/sources/cache.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolSelectionMonitor } from '../../src/sources/selection.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';

const NOT_NUMBERS: unknown[] = ['5', '', null, [], true, {}, 5n, undefined];

afterEach(() => {
  vi.restoreAllMocks();
  resetInstrumentationWarnings();
});

function errorsOf(component: string): number {
  return instrumentationErrors.labels({ component }).value;
}

/** Makes a bound child's recording method throw, as an internal failure would. */
function breakRecording(child: object, method: string): void {
  Object.defineProperty(child, method, {
    value: () => {
      throw new Error('internal failure');
    },
  });
}

describe('huge then normal values', () => {
  it('a first value of 9e8 then normal ones: every record works and quantiles stay right', async () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    m.record('x', 9e8, true);
    for (let i = 0; i < 100; i++) m.record('x', 3, true);
    m.record('x', 1e12, true);
    m.record('x', 1e-9, true);
    const wrapped = m.wrap('x', async () => 'own result');
    await expect(wrapped()).resolves.toBe('own result');
    const s = m.collect();
    expect(s.executions.total).toBe(104);
    expect(s.duration_ms.p50).toBeCloseTo(3, 1);
  });

  it('the same through every histogram: huge, tiny and normal values in any order', () => {
    const h = new Histogram(CATALOG.toolSelectionDuration, { clock: new ManualClock() });
    for (const v of [9e8, 1, 2e12, 1e-9, 0, 5, Number.MAX_VALUE, 7]) h.observe(v);
    expect(h.series.count).toBe(8);
    expect(h.series.percentile(0.5)).not.toBeNull();
  });
});

describe('non-number values', () => {
  const cases = NOT_NUMBERS.map((v) => [
    typeof v === 'bigint' ? '5n' : (JSON.stringify(v) ?? 'undefined'),
    v,
  ]);
  it.each(cases)('%s is a TypeError naming the metric, and leaves no trace', (_name, v) => {
    const c = new Counter(CATALOG.collectionErrors);
    const g = new Gauge(CATALOG.systemThreads);
    const h = new Histogram(CATALOG.toolSelectionDuration);
    // inc() with undefined is inc(1), as a default parameter is; every other non-number is refused.
    if (v !== undefined) {
      expect(() => c.labels({ source: 's' }).inc(v as number)).toThrow(TypeError);
      expect(() => c.labels({ source: 's' }).inc(v as number)).toThrow(/metric collection_errors_total/);
      expect(() => g.set(v as number)).toThrow(TypeError);
      expect(() => g.set(v as number)).toThrow(/metric system_threads: gauge value must be a finite number/);
      expect(() => g.inc(v as number)).toThrow(TypeError);
      expect(() => h.observe(v as number)).toThrow(TypeError);
      expect(() => h.observe(v as number)).toThrow(/metric tool_duration_ms/);
      const tools = new ToolExecutionMonitor({ clock: new ManualClock() });
      expect(() => tools.record('grep', v as number, true)).toThrow(TypeError);
      expect(() => tools.record('grep', v as number, true)).toThrow(
        /metric tool_execution_duration_ms, tool "grep": duration must be a finite number >= 0 ms, got/,
      );
      expect(tools.collect().executions.total).toBe(0);
      const providers = new ProviderPoolMonitor({ clock: new ManualClock() });
      expect(() => providers.record('openai', v as number, 'success')).toThrow(TypeError);
      expect(providers.collect().requests.total).toBe(0);
      const selection = new ToolSelectionMonitor();
      expect(() => selection.record(v as number, true)).toThrow(TypeError);
      const bootstrap = new BootstrapMonitor();
      expect(() => bootstrap.recordPhase('tool_loading', v as number)).toThrow(TypeError);
      expect(() => bootstrap.recordLazyLoad('db', v as number)).toThrow(TypeError);
    }
    expect(h.series.count).toBe(0);
    expect(h.series.sum).toBe(0);
  });

  it('the message shows the value and its type', () => {
    const h = new Histogram(CATALOG.toolSelectionDuration);
    expect(() => h.observe('5' as unknown as number)).toThrow(
      'metric tool_duration_ms: observation must be a finite number >= 0, got string "5"',
    );
    expect(() => h.observe(null as unknown as number)).toThrow('got object null');
  });

  it('NaN, infinities and negatives keep their RangeError', () => {
    const h = new Histogram(CATALOG.toolSelectionDuration);
    for (const v of [NaN, Infinity, -Infinity, -1]) expect(() => h.observe(v)).toThrow(RangeError);
  });
});

describe('sums stay finite', () => {
  it('Number.MAX_VALUE observations: sums, counts and quantiles stay finite; categories stay served', () => {
    const collector = new PerformanceMetricsCollector();
    const tools = new ToolExecutionMonitor({ clock: new ManualClock() });
    const providers = new ProviderPoolMonitor({ clock: new ManualClock() });
    collector.registerToolExecution(tools).registerProviderPool(providers);
    for (let i = 0; i < 3; i++) {
      tools.record('t', Number.MAX_VALUE, true);
      providers.record('p', Number.MAX_VALUE, 'success');
    }
    tools.record('t', 1, true);
    const snap = collector.getAllMetrics();
    expect(snap.errors).toEqual([]);
    expect(snap.tool_execution!.executions.total).toBe(4);
    expect(Number.isFinite(snap.tool_execution!.duration_ms.avg)).toBe(true);
    expect(Number.isFinite(snap.provider_pool!.latency_ms.avg)).toBe(true);
    const text = collector.exportPrometheus();
    expect(text).toContain('victor_tool_execution_duration_ms_sum{tool="t"} 1.7976931348623157e+308\n');
    expect(text).toContain('victor_tool_execution_duration_ms_count{tool="t"} 4\n');
    expect(text).not.toMatch(/\+Inf\n|NaN\n/);
  });

  it('counters and gauges saturate instead of overflowing', () => {
    const c = new Counter(CATALOG.cacheLatencySaved);
    const child = c.labels({ namespace: 'query' });
    child.inc(Number.MAX_VALUE);
    child.inc(Number.MAX_VALUE);
    expect(child.value).toBe(Number.MAX_VALUE);
    const g = new Gauge(CATALOG.systemThreads);
    g.inc(Number.MAX_VALUE);
    g.inc(Number.MAX_VALUE);
    expect(g.value).toBe(Number.MAX_VALUE);
    g.set(-Number.MAX_VALUE);
    g.dec(Number.MAX_VALUE);
    expect(g.value).toBe(-Number.MAX_VALUE);
  });
});

describe('the host gets exactly its own result, even when recording fails', () => {
  it('tool wrap/run: values and errors pass through; the failure is counted and warned once', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    breakRecording(m.duration.labels({ tool: 'broken' }), 'observe');
    const before = errorsOf('tool_execution');
    const value = { own: true };
    const own = new Error('own');
    expect(m.wrap('broken', () => value)()).toBe(value);
    expect(m.run('broken', () => value)).toBe(value);
    await expect(m.wrap('broken', async () => value)()).resolves.toBe(value);
    expect(() =>
      m.run('broken', () => {
        throw own;
      }),
    ).toThrow(own);
    await expect(m.wrap('broken', () => Promise.reject(own))()).rejects.toBe(own);
    expect(errorsOf('tool_execution') - before).toBe(5);
    const ours = warn.mock.calls.filter((c) => String(c[0]).includes('tool_execution'));
    expect(ours).toHaveLength(1);
    expect(String(ours[0]![0])).toMatch(/internal failure/);
  });

  it('provider call/wrap pass values and errors through', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    breakRecording(m.latency.labels({ provider: 'p' }), 'observe');
    const before = errorsOf('provider_pool');
    const own = new Error('own');
    const value = { own: true };
    await expect(m.call('p', () => value)).resolves.toBe(value);
    await expect(m.wrap('p', async () => value)()).resolves.toBe(value);
    await expect(m.call('p', () => Promise.reject(own))).rejects.toBe(own);
    expect(errorsOf('provider_pool') - before).toBe(3);
  });

  it('select passes the selector result through when the cache and the recording fail', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const cache = new ToolSelectionCache({ size: 10 });
    const tools = ['a'];
    const m = new ToolSelectionMonitor(() => tools, { cache });
    breakRecording(m.duration.series, 'observe');
    breakRecording(cache, 'get');
    breakRecording(cache, 'set');
    const before = errorsOf('tool_selection');
    expect(await m.select('q')).toBe(tools);
    // A selector returning undefined is not cached, and its caller gets undefined back.
    const odd = new ToolSelectionMonitor(() => undefined as unknown as string[], {
      cache: new ToolSelectionCache(),
    });
    expect(await odd.select('q')).toBeUndefined();
    const own = new Error('own');
    const failing = new ToolSelectionMonitor(() => {
      throw own;
    });
    breakRecording(failing.duration.series, 'observe');
    await expect(failing.select('q')).rejects.toBe(own);
    // get, set and the timing of the first selection, the timing of the failing one.
    expect(errorsOf('tool_selection') - before).toBe(4);
  });

  it('bootstrap phase and lazy loads pass results through', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    let t = 0;
    const b = new BootstrapMonitor({ now: () => t++ });
    breakRecording(b.phaseDuration.labels({ phase: 'tool_loading' }), 'set');
    const value = { own: true };
    expect(b.phase('tool_loading', () => value)).toBe(value);
    await expect(b.phase('tool_loading', async () => value)).resolves.toBe(value);
    const own = new Error('own');
    await expect(b.phase('tool_loading', () => Promise.reject(own))).rejects.toBe(own);
    breakRecording(b.lazyLoads, 'inc');
    const get = b.lazy('db', () => value);
    await expect(get()).resolves.toBe(value);
  });
});
