import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/metrics/sketch.ts';
import {
  CacheError,
  ToolSelectionCache,
  entryBytes,
  estimateValueBytes,
  lruFixedBytes,
} from '../../src/sources/cache.ts';
import { SettingsError } from '../../src/sources/settings.ts';
import type { CacheNamespace } from '../../src/metrics/catalog.ts';

function render<V>(cache: ToolSelectionCache<V>): string {
  return cache
    .metrics()
    .map((m) => m.render('victor_'))
    .join('');
}

function newCache(options: ConstructorParameters<typeof ToolSelectionCache>[0] = {}) {
  const clock = new ManualClock(0);
  return { clock, cache: new ToolSelectionCache({ clock, ...options }) };
}

describe('ToolSelectionCache: lookups', () => {
  it('counts hits and misses per namespace and returns the stored value', () => {
    const { cache } = newCache();
    expect(cache.get('query', 'read a file')).toBeUndefined();
    cache.set('query', 'read a file', ['read_file']);
    expect(cache.get('query', 'read a file')).toEqual(['read_file']);
    expect(cache.get('query', 'read a file')).toEqual(['read_file']);
    expect(cache.get('context', 'read a file')).toBeUndefined(); // namespaces are apart
    const { selection, cache: c } = cache.collect();
    expect(selection.hit_rates).toEqual({ query: 2 / 3, context: 0, rl: null, overall: 2 / 4 });
    expect(selection.operations).toEqual({ hits: 2, misses: 2, evictions: 0 });
    expect(c.operations).toEqual({ lookups: 4, hits: 2, misses: 2, evictions: 0 });
    expect(c.rates).toEqual({ hit: 0.5, miss: 0.5, eviction: 0 });
  });

  it('reports hit rates as null and leaves their series out before any lookup', () => {
    const { cache } = newCache();
    cache.set('query', 'q', ['a']); // a store is not a lookup
    const data = cache.collect();
    expect(data.selection.hit_rates).toEqual({ query: null, context: null, rl: null, overall: null });
    expect(data.cache.rates).toEqual({ hit: null, miss: null, eviction: null });
    expect(data.selection.latency_saved_ms).toEqual({ total: 0, avg_per_hit: null });
    expect(cache.hitRate.render('victor_')).toBe('');

    cache.get('rl', 'q');
    cache.collect();
    expect(cache.hitRate.render('victor_')).toBe(
      '# HELP victor_cache_hit_rate Tool selection cache hit rate (0-1); absent while a namespace has had no lookups.\n' +
        '# TYPE victor_cache_hit_rate gauge\n' +
        'victor_cache_hit_rate{namespace="rl"} 0\n' +
        'victor_cache_hit_rate{namespace="overall"} 0\n',
    );
  });

  it('renders every cache family after a collection, byte for byte', () => {
    const { cache } = newCache({ size: 4 });
    cache.set('query', 'a', ['x'], { computeMs: 2.5 });
    cache.get('query', 'a');
    cache.get('query', 'b');
    cache.collect();
    const mem = cache.memoryEstimate();
    const lines = render(cache)
      .split('\n')
      .filter((l) => !l.startsWith('#'));
    expect(lines).toEqual([
      'victor_cache_hit_rate{namespace="query"} 0.5',
      'victor_cache_hit_rate{namespace="overall"} 0.5',
      'victor_cache_entries{namespace="query"} 1',
      'victor_cache_entries{namespace="context"} 0',
      'victor_cache_entries{namespace="rl"} 0',
      'victor_cache_entries{namespace="total"} 1',
      'victor_cache_operations_total{namespace="query",operation="hits"} 1',
      'victor_cache_operations_total{namespace="query",operation="misses"} 1',
      'victor_cache_operations_total{namespace="query",operation="evictions"} 0',
      'victor_cache_operations_total{namespace="context",operation="hits"} 0',
      'victor_cache_operations_total{namespace="context",operation="misses"} 0',
      'victor_cache_operations_total{namespace="context",operation="evictions"} 0',
      'victor_cache_operations_total{namespace="rl",operation="hits"} 0',
      'victor_cache_operations_total{namespace="rl",operation="misses"} 0',
      'victor_cache_operations_total{namespace="rl",operation="evictions"} 0',
      'victor_cache_evictions_total{namespace="query",reason="lru"} 0',
      'victor_cache_evictions_total{namespace="query",reason="expired"} 0',
      'victor_cache_evictions_total{namespace="context",reason="lru"} 0',
      'victor_cache_evictions_total{namespace="context",reason="expired"} 0',
      'victor_cache_evictions_total{namespace="rl",reason="lru"} 0',
      'victor_cache_evictions_total{namespace="rl",reason="expired"} 0',
      'victor_cache_utilization{namespace="query"} 0.25',
      'victor_cache_utilization{namespace="context"} 0',
      'victor_cache_utilization{namespace="rl"} 0',
      'victor_cache_utilization{namespace="overall"} 0.08333333333333333',
      'victor_cache_capacity{namespace="query"} 4',
      'victor_cache_capacity{namespace="context"} 4',
      'victor_cache_capacity{namespace="rl"} 4',
      'victor_cache_latency_saved_ms_total{namespace="query"} 2.5',
      'victor_cache_latency_saved_ms_total{namespace="context"} 0',
      'victor_cache_latency_saved_ms_total{namespace="rl"} 0',
      `victor_cache_memory_bytes ${mem}`,
      `victor_cache_memory_mb ${mem / 1024 / 1024}`,
      '',
    ]);
  });

  it('binds its label sets once: lookups create no series', () => {
    const { cache } = newCache({ size: 2 });
    const before =
      cache.operations.seriesCount + cache.latencySaved.seriesCount + cache.evictions.seriesCount;
    for (let i = 0; i < 1000; i++) {
      cache.set('context', `k${i}`, ['t'], { computeMs: 1 });
      cache.get('context', `k${i}`);
      cache.get('context', `other${i}`);
    }
    expect(cache.operations.seriesCount + cache.latencySaved.seriesCount + cache.evictions.seriesCount).toBe(
      before,
    );
    expect(before).toBe(9 + 3 + 6);
  });
});

describe('ToolSelectionCache: TTL and LRU', () => {
  it('expires entries per namespace TTL and counts expiry apart from LRU eviction', () => {
    const { clock, cache } = newCache(); // query 3600 s, context 300 s
    cache.set('query', 'q', ['a']);
    cache.set('context', 'c', ['b']);
    clock.advance(300_000);
    expect(cache.get('context', 'c')).toEqual(['b']); // exactly at the TTL: still fresh
    clock.advance(1);
    expect(cache.get('context', 'c')).toBeUndefined();
    expect(cache.get('query', 'q')).toEqual(['a']);
    expect(cache.evictions.labels({ namespace: 'context', reason: 'expired' }).value).toBe(1);
    expect(cache.evictions.labels({ namespace: 'context', reason: 'lru' }).value).toBe(0);
    expect(cache.operations.labels({ namespace: 'context', operation: 'evictions' }).value).toBe(1);
    clock.advance(3_600_000);
    expect(cache.get('query', 'q')).toBeUndefined();
    expect(cache.collect().selection.operations).toEqual({ hits: 2, misses: 2, evictions: 2 });
  });

  it('finds expired entries at collection time, without a lookup', () => {
    const { clock, cache } = newCache({ ttlSeconds: { rl: 10 } });
    cache.set('rl', 'a', ['x']);
    cache.set('rl', 'b', ['y']);
    cache.set('query', 'c', ['z']);
    clock.advance(10_001);
    cache.set('rl', 'fresh', ['w']);
    expect(cache.size('rl')).toBe(3); // lru-cache only notices expiry lazily
    const data = cache.collect();
    expect(data.cache.entries).toEqual({ total: 4, active: 2 });
    expect(data.selection.entries).toEqual({ query: 1, context: 0, rl: 1, total: 2 });
    expect(data.cache.operations.evictions).toBe(2);
    expect(cache.evictions.labels({ namespace: 'rl', reason: 'expired' }).value).toBe(2);
    expect(cache.size('rl')).toBe(1);
    // No lookups yet: the eviction rate is unknown rather than infinite.
    expect(data.cache.rates.eviction).toBeNull();
  });

  it('evicts the least recently used entry at capacity and counts it as lru', () => {
    const { cache } = newCache({ size: 2 });
    cache.set('query', 'a', ['1']);
    cache.set('query', 'b', ['2']);
    cache.get('query', 'a'); // b is now least recently used
    cache.set('query', 'c', ['3']);
    expect(cache.get('query', 'b')).toBeUndefined();
    expect(cache.get('query', 'a')).toEqual(['1']);
    expect(cache.get('query', 'c')).toEqual(['3']);
    expect(cache.evictions.labels({ namespace: 'query', reason: 'lru' }).value).toBe(1);
    expect(cache.evictions.labels({ namespace: 'query', reason: 'expired' }).value).toBe(0);
    const { cache: c, selection } = cache.collect();
    // 4 lookups (3 hits, 1 miss) and 1 eviction: the miss rate is over lookups only (reference §7 defect 7).
    expect(c.operations).toEqual({ lookups: 4, hits: 3, misses: 1, evictions: 1 });
    expect(c.rates).toEqual({ hit: 0.75, miss: 0.25, eviction: 0.25 });
    expect(selection.utilization).toEqual({ query: 1, context: 0, rl: 0, overall: 2 / 6 });
  });

  it('does not count overwrites, deletes or clears as evictions', () => {
    const { cache } = newCache({ size: 3 });
    cache.set('query', 'a', ['1']);
    cache.set('query', 'a', ['2']);
    cache.set('context', 'b', ['3']);
    cache.set('rl', 'c', ['4']);
    expect(cache.delete('query', 'a')).toBe(true);
    expect(cache.delete('query', 'a')).toBe(false);
    cache.clear('context');
    expect(cache.size('context')).toBe(0);
    expect(cache.size('rl')).toBe(1);
    cache.clear();
    expect(cache.size('rl')).toBe(0);
    expect(cache.collect().cache.operations.evictions).toBe(0);
  });

  it('takes capacity and TTLs from settings, with explicit options winning', () => {
    const settings = { size: 7, ttlSeconds: { query: 1, context: 2, rl: 3 } };
    const { clock, cache } = newCache({ settings, ttlSeconds: { rl: 5 } });
    expect(cache.settings).toEqual({ size: 7, ttlSeconds: { query: 1, context: 2, rl: 5 } });
    cache.set('rl', 'k', ['v']);
    clock.advance(4_000);
    expect(cache.get('rl', 'k')).toEqual(['v']);
    expect(cache.collect().selection.utilization.rl).toBeCloseTo(1 / 7, 12);
  });

  it('is configured from VICTOR_CACHE_* by fromEnvironment', () => {
    const cache = ToolSelectionCache.fromEnvironment({ env: { VICTOR_CACHE_SIZE: '3' }, file: false });
    expect(cache.settings).toEqual({ size: 3, ttlSeconds: { query: 3600, context: 300, rl: 3600 } });
    expect(() =>
      ToolSelectionCache.fromEnvironment({ env: { VICTOR_CACHE_SIZE: 'big' }, file: false }),
    ).toThrow(SettingsError);
  });
});

describe('ToolSelectionCache: latency saved and getOrCompute', () => {
  it('credits each hit with the compute time of the value it returned', () => {
    const { cache } = newCache();
    cache.set('query', 'slow', ['a'], { computeMs: 12.5 });
    cache.set('query', 'fast', ['b'], { computeMs: 0.5 });
    cache.set('context', 'unknown', ['c']); // no compute time: its hits are not credited
    cache.get('query', 'slow');
    cache.get('query', 'slow');
    cache.get('query', 'fast');
    cache.get('context', 'unknown');
    const saved = cache.collect().selection.latency_saved_ms;
    expect(saved).toEqual({ total: 25.5, avg_per_hit: 8.5 });
    expect(cache.latencySaved.labels({ namespace: 'query' }).value).toBe(25.5);
    expect(cache.latencySaved.labels({ namespace: 'context' }).value).toBe(0);
  });

  it('computes once, stores the compute time and returns hits afterwards', async () => {
    const { cache } = newCache();
    let calls = 0;
    const compute = async (): Promise<string[]> => {
      calls++;
      await new Promise((r) => setTimeout(r, 25));
      return ['grep', 'read_file'];
    };
    expect(await cache.getOrCompute('query', 'find text', compute)).toEqual(['grep', 'read_file']);
    expect(await cache.getOrCompute('query', 'find text', compute)).toEqual(['grep', 'read_file']);
    await expect(cache.getOrCompute('query', 'find text', () => ['sync'])).resolves.toEqual([
      'grep',
      'read_file',
    ]);
    expect(calls).toBe(1);
    const { selection } = cache.collect();
    expect(selection.operations).toEqual({ hits: 2, misses: 1, evictions: 0 });
    expect(selection.latency_saved_ms.total).toBeGreaterThanOrEqual(2 * 20);
    expect(selection.latency_saved_ms.total).toBeLessThan(2 * 1000);
  });

  it('passes a compute error through unchanged and caches nothing', async () => {
    const { cache } = newCache();
    const boom = new Error('selector down');
    await expect(
      cache.getOrCompute('rl', 'q', () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await expect(cache.getOrCompute('rl', 'q', () => Promise.reject(boom))).rejects.toBe(boom);
    expect(cache.size('rl')).toBe(0);
    expect(await cache.getOrCompute('rl', 'q', () => ['ok'])).toEqual(['ok']);
    expect(cache.collect().selection.operations).toEqual({ hits: 0, misses: 3, evictions: 0 });
  });
});

describe('ToolSelectionCache: bad input', () => {
  it('names the unknown namespace and lists the valid ones', async () => {
    const { cache } = newCache();
    const message = 'unknown cache namespace "session"; valid namespaces are query, context, rl';
    const ns = 'session' as CacheNamespace;
    expect(() => cache.get(ns, 'k')).toThrow(new CacheError(message));
    expect(() => cache.set(ns, 'k', ['v'])).toThrow(message);
    expect(() => cache.delete(ns, 'k')).toThrow(message);
    expect(() => cache.clear(ns)).toThrow(message);
    expect(() => cache.size(ns)).toThrow(message);
    expect(() => cache.get('__proto__' as CacheNamespace, 'k')).toThrow(
      'unknown cache namespace "__proto__"',
    );
    await expect(cache.getOrCompute(ns, 'k', () => [])).rejects.toThrow(message);
  });

  it('rejects bad options and values with the value in the message', () => {
    expect(() => new ToolSelectionCache({ size: 0 })).toThrow(
      'cache size must be an integer from 1 to 1000000, got 0',
    );
    expect(() => new ToolSelectionCache({ size: 1.5 })).toThrow('got 1.5');
    expect(() => new ToolSelectionCache({ ttlSeconds: { context: -1 } })).toThrow(
      'TTL of cache namespace context must be a number of seconds > 0 and <= 31536000, got -1',
    );
    expect(() => new ToolSelectionCache({ ttlSeconds: { rl: NaN } })).toThrow('got NaN');
    expect(() => new ToolSelectionCache({ maxValueBytes: 0 })).toThrow('maxValueBytes must be > 0, got 0');
    const { cache } = newCache();
    expect(() => cache.set('query', 'k', ['v'], { computeMs: -1 })).toThrow(
      'computeMs must be a finite number >= 0, got number -1',
    );
    expect(() => cache.set('query', 'k', undefined as unknown as string[])).toThrow('cannot cache undefined');
    expect(() => cache.set('query', 7 as unknown as string, ['v'])).toThrow(
      'cache key must be a string, got number',
    );
    expect(cache.size('query')).toBe(0);
  });

  it('does not keep values over maxValueBytes, and drops the old value of that key', () => {
    const { cache } = newCache({ maxValueBytes: 200 });
    expect(cache.set('query', 'k', ['small'])).toBe(true);
    expect(cache.set('query', 'k', ['x'.repeat(500)])).toBe(false);
    expect(cache.get('query', 'k')).toBeUndefined();
    expect(cache.oversized).toBe(1);
  });
});

describe('ToolSelectionCache: memory estimate', () => {
  it('follows the documented formula', () => {
    expect(estimateValueBytes('ab')).toBe(24); // 16 header + 2 Latin-1 bytes, rounded to 8
    expect(estimateValueBytes('é€')).toBe(24); // two-byte string: 16 + 4
    expect(estimateValueBytes('x'.repeat(17))).toBe(40);
    expect(estimateValueBytes(['ab'])).toBe(48 + 8 + 24);
    expect(estimateValueBytes({ tools: ['ab'], score: 0.5 })).toBe(24 + 16 + 80 + 16);
    expect(estimateValueBytes(null)).toBe(0);
    expect(entryBytes('k', 80)).toBe(24 + 80 + 56 + 42);
    expect(lruFixedBytes(10)).toBe(10 * (16 + 3 + 24) + 1024);
    expect(lruFixedBytes(1000)).toBe(1000 * (16 + 6 + 24) + 1024);

    const { cache } = newCache({ size: 10 });
    const empty = 3 * lruFixedBytes(10);
    expect(cache.collect().cache.memory).toEqual({ bytes: empty, mb: empty / 1048576 });
    cache.set('query', 'k', ['ab']);
    cache.set('query', 'k', ['ab']); // an overwrite replaces, it does not add
    expect(cache.memoryEstimate()).toBe(empty + 202);
    cache.clear();
    expect(cache.memoryEstimate()).toBe(empty);
  });

  it('matches the heap growth of 10k entries within a factor of 4/3', () => {
    // A forced GC makes heapUsed comparable; --expose-gc is switched on at run time for this test.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const n = 10_000;
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const cache = new ToolSelectionCache({ size: n });
    for (let i = 0; i < n; i++) {
      // Distinct strings, as real queries and results are: shared ones would make the estimate an upper bound.
      const tools = Array.from({ length: 4 }, (_, j) => `tool_${i}_${j}`);
      cache.set('query', `which tools answer query number ${i}?`, tools, { computeMs: i / 7 });
    }
    gc();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    const estimate = cache.memoryEstimate();
    const why = `estimate ${estimate} B vs heap growth ${grown} B`;
    expect(cache.size('query')).toBe(n);
    // Measured at 0.95..1.0; the margin is for GC noise, not for the formula.
    expect(estimate / grown, why).toBeGreaterThan(0.75);
    expect(estimate / grown, why).toBeLessThan(1.33);
  });
});
