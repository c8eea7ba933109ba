import { describe, expect, it, vi } from 'vitest';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { render } from './helpers.ts';

/** A hand-driven millisecond clock. */
function fakeTime(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('BootstrapMonitor', () => {
  it('times sync and async phases, the five named ones and others', async () => {
    const time = fakeTime(1_000);
    const m = new BootstrapMonitor({ now: time.now });
    expect(m.phase('container_bootstrap', () => (time.advance(12), 'container'))).toBe('container');
    await expect(
      m.phase('provider_initialization', async () => {
        await Promise.resolve();
        time.advance(30);
        return 3;
      }),
    ).resolves.toBe(3);
    m.phase('plugin_scan', () => time.advance(4));
    // A phase run twice reports its total.
    m.phase('tool_loading', () => time.advance(5));
    m.phase('tool_loading', () => time.advance(6));
    const s = m.collect();
    expect(s.phases).toEqual({
      container_bootstrap_ms: 12,
      service_registration_ms: null,
      provider_initialization_ms: 30,
      tool_loading_ms: 11,
      cache_warming_ms: null,
      plugin_scan_ms: 4,
    });
    expect(m.phaseMs('tool_loading')).toBe(11);
    expect(m.phaseMs('cache_warming')).toBeNull();
  });

  it('records a failing phase and lets the error through', async () => {
    const time = fakeTime();
    const m = new BootstrapMonitor({ now: time.now });
    const err = new Error('no config');
    expect(() =>
      m.phase('service_registration', () => {
        time.advance(7);
        throw err;
      }),
    ).toThrow(err);
    await expect(
      m.phase('cache_warming', async () => {
        time.advance(9);
        throw err;
      }),
    ).rejects.toBe(err);
    expect(m.collect().phases).toMatchObject({ service_registration_ms: 7, cache_warming_ms: 9 });
  });

  it('measures start-up from construction, markStarted() or startedAt to complete(); null before', () => {
    const time = fakeTime(500);
    const m = new BootstrapMonitor({ now: time.now });
    expect(m.collect().startup_time).toEqual({ ms: null, seconds: null });
    expect(render(m)).not.toContain('victor_bootstrap_startup_ms');
    time.advance(1_250);
    expect(m.complete()).toBe(1_250);
    time.advance(100);
    expect(m.complete()).toBe(1_250); // the first call wins
    expect(m.collect().startup_time).toEqual({ ms: 1_250, seconds: 1.25 });
    expect(render(m)).toContain('victor_bootstrap_startup_ms 1250\n');

    m.markStarted();
    expect(m.collect().startup_time.ms).toBeNull();
    time.advance(40);
    m.complete();
    expect(m.collect().startup_time.ms).toBe(40);

    const explicit = new BootstrapMonitor({ now: time.now, startedAt: time.now() - 3_000 });
    expect(explicit.complete()).toBe(3_000);
  });

  it('times lazy loads once and measures first-access overhead', async () => {
    const time = fakeTime();
    const m = new BootstrapMonitor({ now: time.now });
    const loader = vi.fn(async () => {
      await Promise.resolve();
      time.advance(50);
      return { name: 'registry' };
    });
    const get = m.lazy('ToolRegistry', loader);
    expect(m.collect().lazy_loading).toEqual({
      load_count: 0,
      total_time_ms: 0,
      avg_time_ms: null,
      first_access_overhead_ms: null,
    });
    // Concurrent first accesses share one load.
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(m.collect().lazy_loading).toMatchObject({ load_count: 1, total_time_ms: 50, avg_time_ms: 50 });
    // Overhead is known at the first cached access: 50 ms first access - 2 ms cached access.
    const cached = get();
    time.advance(2);
    expect(await cached).toBe(a);
    expect(m.collect().lazy_loading.first_access_overhead_ms).toBe(48);
    await get();
    expect(loader).toHaveBeenCalledTimes(1);

    const get2 = m.lazy('Embeddings', () => {
      time.advance(150);
      return 42;
    });
    await get2();
    await get2();
    expect(m.collect().lazy_loading).toEqual({
      load_count: 2,
      total_time_ms: 200,
      avg_time_ms: 100,
      first_access_overhead_ms: (48 + 150) / 2,
    });
    const text = render(m);
    expect(text).toContain('victor_bootstrap_lazy_loads_total 2\n');
    expect(text).toContain('victor_bootstrap_lazy_load_ms_total 200\n');
    expect(text).toContain('victor_bootstrap_first_access_overhead_ms 99\n');
  });

  it('does not memoise a failed lazy load', async () => {
    const m = new BootstrapMonitor({ now: fakeTime().now });
    let attempts = 0;
    const get = m.lazy('flaky', async () => {
      if (++attempts === 1) throw new Error('not yet');
      return 'ok';
    });
    await expect(get()).rejects.toThrow('not yet');
    await expect(get()).resolves.toBe('ok');
    expect(attempts).toBe(2);
    expect(m.collect().lazy_loading.load_count).toBe(1);
  });

  it('records lazy loads measured elsewhere', () => {
    const m = new BootstrapMonitor();
    m.recordLazyLoad('a', 10);
    m.recordLazyLoad('b', 30, 4);
    expect(m.collect().lazy_loading).toEqual({
      load_count: 2,
      total_time_ms: 40,
      avg_time_ms: 20,
      first_access_overhead_ms: 4,
    });
  });

  it('rejects bad names and times with errors naming the bad value', () => {
    const m = new BootstrapMonitor();
    expect(() => m.phase('Tool-Loading', () => 1)).toThrow(
      /invalid phase name "Tool-Loading": must match \[a-z\]\[a-z0-9_\]\*/,
    );
    expect(() => m.recordPhase('', 1)).toThrow(/invalid phase name ""/);
    expect(() => m.recordPhase('1st', 1)).toThrow(/"1st"/);
    expect(() => m.recordPhase('tool_loading', NaN)).toThrow(/phase tool_loading: time .* got NaN/);
    expect(() => m.recordPhase('tool_loading', -3)).toThrow(/got -3/);
    expect(() => m.lazy('', () => 1)).toThrow(/lazy load name must be a non-empty string, got ""/);
    expect(() => m.recordLazyLoad('x', Infinity)).toThrow(/lazy load x: .* got Infinity/);
    expect(() => m.recordLazyLoad('x', 1, -1)).toThrow(/first access of x: .* got -1/);
    expect(() => new BootstrapMonitor({ startedAt: NaN })).toThrow(/startedAt must be finite, got NaN/);
    const s = m.collect();
    expect(s.lazy_loading.load_count).toBe(0);
    expect(s.phases.tool_loading_ms).toBeNull();
  });

  it('renders phase durations in the text format', () => {
    const time = fakeTime();
    const m = new BootstrapMonitor({ now: time.now });
    m.recordPhase('container_bootstrap', 12.5);
    m.recordPhase('plugin_scan', 3);
    const text = render(m);
    expect(text).toContain(
      '# TYPE victor_bootstrap_phase_duration_ms gauge\n' +
        'victor_bootstrap_phase_duration_ms{phase="container_bootstrap"} 12.5\n' +
        'victor_bootstrap_phase_duration_ms{phase="plugin_scan"} 3\n',
    );
    // No lazy loads yet: the counters read 0, the average overhead is unknown and absent.
    expect(text).toContain('victor_bootstrap_lazy_loads_total 0\n');
    expect(text).not.toContain('victor_bootstrap_first_access_overhead_ms ');
  });
});
