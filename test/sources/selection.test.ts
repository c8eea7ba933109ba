import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { ToolSelectionCache } from '../../src/sources/cache.ts';
import { ToolSelectionMonitor, type Selector } from '../../src/sources/selection.ts';
import type { CacheNamespace } from '../../src/metrics/catalog.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function counting(tools: string[] = ['grep', 'read_file']) {
  const calls: Array<[string, unknown]> = [];
  const selector: Selector<{ user: string }> = (query, context) => {
    calls.push([query, context]);
    return [...tools];
  };
  return { calls, selector };
}

const selections = (m: Pick<ToolSelectionMonitor, 'selections'>) => {
  const out: Record<string, number> = {};
  for (const ns of ['query', 'context', 'rl'] as const) {
    for (const result of ['hit', 'miss']) {
      const v = m.selections.labels({ namespace: ns, result }).value;
      if (v !== 0) out[`${ns}/${result}`] = v;
    }
  }
  return out;
};

const within1pct = (got: number | null, want: number) => {
  expect(got).not.toBeNull();
  expect(Math.abs(got! - want) / want).toBeLessThanOrEqual(0.01);
};

describe('ToolSelectionMonitor.select', () => {
  it('answers from the cache after the first selection, and runs the selector once', async () => {
    const cache = new ToolSelectionCache();
    const { calls, selector } = counting();
    const monitor = new ToolSelectionMonitor(selector, { cache });
    expect(await monitor.select('find a string')).toEqual(['grep', 'read_file']);
    expect(await monitor.select('find a string')).toEqual(['grep', 'read_file']);
    expect(calls).toEqual([['find a string', undefined]]);
    expect(selections(monitor)).toEqual({ 'query/hit': 1, 'query/miss': 1 });
    expect(monitor.duration.series.count).toBe(2);
    expect(cache.collect().selection.operations).toEqual({ hits: 1, misses: 1, evictions: 0 });
  });

  it('stores the selector time so that hits credit latency saved', async () => {
    const cache = new ToolSelectionCache();
    const monitor = new ToolSelectionMonitor(
      async () => {
        await sleep(30);
        return ['web_search'];
      },
      { cache },
    );
    await monitor.select('weather', { namespace: 'rl' });
    await monitor.select('weather', { namespace: 'rl' });
    await monitor.select('weather', { namespace: 'rl' });
    const saved = cache.collect().selection.latency_saved_ms;
    expect(saved.avg_per_hit).toBeGreaterThanOrEqual(25);
    expect(saved.avg_per_hit).toBeLessThan(1000);
    expect(saved.total).toBe(2 * saved.avg_per_hit!);
    // The miss took the selector's time, the hits almost none.
    const { latency_ms } = monitor.collect();
    expect(monitor.duration.series.max).toBeGreaterThanOrEqual(25);
    expect(latency_ms.avg).toBeCloseTo(monitor.duration.series.sum / 3, 9);
    expect(selections(monitor)).toEqual({ 'rl/hit': 2, 'rl/miss': 1 });
  });

  it('passes the context to the selector and caches under the given key', async () => {
    const cache = new ToolSelectionCache();
    const { calls, selector } = counting();
    const monitor = new ToolSelectionMonitor(selector, { cache });
    await monitor.select('edit it', {
      namespace: 'context',
      key: 'alice:edit it',
      context: { user: 'alice' },
    });
    await monitor.select('edit it', { namespace: 'context', key: 'bob:edit it', context: { user: 'bob' } });
    await monitor.select('edit it', {
      namespace: 'context',
      key: 'alice:edit it',
      context: { user: 'alice' },
    });
    expect(calls).toEqual([
      ['edit it', { user: 'alice' }],
      ['edit it', { user: 'bob' }],
    ]);
    expect(cache.size('context')).toBe(2);
    expect(selections(monitor)).toEqual({ 'context/hit': 1, 'context/miss': 2 });
  });

  it('counts every selection as a miss without a cache', async () => {
    const { calls, selector } = counting();
    const monitor = new ToolSelectionMonitor(selector);
    await monitor.select('a');
    await monitor.select('a');
    expect(calls.length).toBe(2);
    expect(selections(monitor)).toEqual({ 'query/miss': 2 });
  });

  it('propagates a selector error unchanged, times it, and caches nothing', async () => {
    const cache = new ToolSelectionCache();
    const boom = new TypeError('provider unavailable');
    const monitor = new ToolSelectionMonitor(
      async () => {
        await sleep(10);
        throw boom;
      },
      { cache },
    );
    await expect(monitor.select('q')).rejects.toBe(boom);
    const syncThrow = new ToolSelectionMonitor(
      () => {
        throw boom;
      },
      { cache },
    );
    await expect(syncThrow.select('q', { namespace: 'rl' })).rejects.toBe(boom);
    expect(monitor.duration.series.count).toBe(1);
    expect(monitor.duration.series.sum).toBeGreaterThanOrEqual(8);
    expect(syncThrow.duration.series.count).toBe(1);
    expect(cache.size('query') + cache.size('rl')).toBe(0);
    expect(selections(monitor)).toEqual({ 'query/miss': 1 });
    expect(selections(syncThrow)).toEqual({ 'rl/miss': 1 });
  });

  it('rejects an unknown namespace and a missing selector with clear messages', async () => {
    const monitor = new ToolSelectionMonitor(counting().selector);
    await expect(monitor.select('q', { namespace: 'session' as CacheNamespace })).rejects.toThrow(
      'unknown cache namespace "session"; valid namespaces are query, context, rl',
    );
    expect(monitor.duration.series.count).toBe(0);
    await expect(new ToolSelectionMonitor().select('q')).rejects.toThrow(
      'ToolSelectionMonitor has no selector: pass one to the constructor, or use wrap()',
    );
  });
});

describe('ToolSelectionMonitor.wrap', () => {
  it('returns a selector of the same signature that goes through the cache', async () => {
    const cache = new ToolSelectionCache();
    const { calls, selector } = counting(['shell']);
    const monitor = new ToolSelectionMonitor<{ user: string }>(undefined, { cache });
    const select = monitor.wrap(selector, { namespace: 'context', key: (q, ctx) => `${ctx?.user}:${q}` });
    expect(await select('ls', { user: 'a' })).toEqual(['shell']);
    expect(await select('ls', { user: 'a' })).toEqual(['shell']);
    expect(await select('ls', { user: 'b' })).toEqual(['shell']);
    expect(calls).toEqual([
      ['ls', { user: 'a' }],
      ['ls', { user: 'b' }],
    ]);
    expect(selections(monitor)).toEqual({ 'context/hit': 1, 'context/miss': 2 });
    expect(monitor.wrap(selector)).toBeTypeOf('function');
    expect(() => monitor.wrap(selector, { namespace: 'nope' as CacheNamespace })).toThrow(
      'unknown cache namespace "nope"',
    );
  });
});

describe('ToolSelectionMonitor.record and collect', () => {
  it('gives null latency before any selection', () => {
    const monitor = new ToolSelectionMonitor();
    expect(monitor.collect()).toEqual({ latency_ms: { avg: null, p50: null, p95: null, p99: null } });
    expect(monitor.duration.render('victor_')).toContain('victor_tool_duration_ms_count 0\n');
  });

  it('takes avg since start and P50/P95/P99 over the recent window', () => {
    const clock = new ManualClock(0);
    const monitor = new ToolSelectionMonitor(undefined, { histogram: { clock, windowMs: 60_000 } });
    for (let ms = 1; ms <= 100; ms++) monitor.record(ms, ms % 4 === 0, 'query');
    const { latency_ms } = monitor.collect();
    expect(latency_ms.avg).toBe(50.5);
    within1pct(latency_ms.p50, 50);
    within1pct(latency_ms.p95, 95);
    within1pct(latency_ms.p99, 99);
    expect(selections(monitor)).toEqual({ 'query/hit': 25, 'query/miss': 75 });

    // A minute later the window holds only the new, faster selections; the average still covers all.
    clock.advance(61_000);
    for (let i = 0; i < 10; i++) monitor.record(0.2, true, 'rl');
    const later = monitor.collect().latency_ms;
    within1pct(later.p50, 0.2);
    within1pct(later.p99, 0.2);
    expect(later.avg).toBeCloseTo((5050 + 2) / 110, 12);
  });

  it('renders the selection histogram with the alert thresholds as buckets', () => {
    const monitor = new ToolSelectionMonitor();
    monitor.record(0.3, true);
    monitor.record(3, false);
    monitor.record(7, false, 'context');
    const text = monitor.duration.render('victor_');
    expect(text).toContain('victor_tool_duration_ms_bucket{le="0.25"} 0\n');
    expect(text).toContain('victor_tool_duration_ms_bucket{le="0.5"} 1\n');
    expect(text).toContain('victor_tool_duration_ms_bucket{le="1"} 1\n');
    expect(text).toContain('victor_tool_duration_ms_bucket{le="5"} 2\n');
    expect(text).toContain('victor_tool_duration_ms_bucket{le="10"} 3\n');
    expect(text).toContain('victor_tool_duration_ms_bucket{le="+Inf"} 3\n');
    expect(text).toContain('victor_tool_duration_ms_sum 10.3\n');
    expect(text).toContain('victor_tool_duration_ms_count 3\n');
    expect(monitor.selections.render('victor_')).toContain(
      'victor_tool_selections_total{namespace="context",result="miss"} 1\n',
    );
    expect(monitor.metrics().map((m) => m.spec.name)).toEqual(['tool_duration_ms', 'tool_selections_total']);
    expect(monitor.sourceName).toBe('tool_selection');
  });

  it('rejects a bad latency without counting anything', () => {
    const monitor = new ToolSelectionMonitor();
    expect(() => monitor.record(NaN, true)).toThrow(RangeError);
    expect(() => monitor.record(-1, false)).toThrow('got -1');
    expect(() => monitor.record(1, true, 'session' as CacheNamespace)).toThrow('unknown cache namespace');
    expect(monitor.duration.series.count).toBe(0);
    expect(selections(monitor)).toEqual({});
  });
});
