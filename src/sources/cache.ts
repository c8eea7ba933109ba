/**
 * The tool selection cache: "which tools fit this query", in namespaces `query`, `context` and `rl`, each an
 * LRU with its own TTL, built on lru-cache.
 *
 * Recording: a lookup is one `Map` get for the namespace, lru-cache's get, and one counter increment on a child
 * bound at construction. Evictions are counted from lru-cache's dispose reason: `evict` (capacity, LRU) and
 * `expire` (TTL) apart; `set` (overwrite) and `delete` (explicit) are not evictions.
 *
 * Expiry: lru-cache notices an expired entry lazily, when it is looked up. `ttlAutopurge` would find them on
 * time, but at the cost of one timer per stored entry, created on every set. Instead `collect()` calls
 * `purgeStale()` on each namespace (one scan of at most `size` entries per namespace per scrape), so entry
 * counts, memory and expiry counts are exact at every collection without touching the hot path.
 */
import { LRUCache } from 'lru-cache';
import { CACHE_NAMESPACES, CATALOG, type CacheNamespace } from '../metrics/catalog.ts';
import { Counter, Gauge, type AnyMetric, type CounterChild, type GaugeChild } from '../metrics/primitives.ts';
import type { WindowClock } from '../metrics/sketch.ts';
import type { CacheSourceData, Rate, Source } from '../collector/types.ts';
import { guarded } from '../metrics/guard.ts';
import {
  DEFAULT_CACHE_SETTINGS,
  MAX_CACHE_SIZE,
  MAX_TTL_SECONDS,
  loadCacheSettings,
  type CacheSettings,
  type LoadCacheSettingsOptions,
} from './settings.ts';

export class CacheError extends Error {
  override name = 'CacheError';
}

export interface ToolSelectionCacheOptions {
  /** Settings to start from (e.g. from `loadCacheSettings()`); `size` and `ttlSeconds` override them. */
  settings?: CacheSettings;
  /** Maximum entries per namespace. */
  size?: number;
  /** TTL per namespace in seconds. */
  ttlSeconds?: Partial<Record<CacheNamespace, number>>;
  /** Values whose estimated size exceeds this many bytes are not stored (counted in `oversized`). */
  maxValueBytes?: number;
  /** Clock in milliseconds for TTLs, for tests (`ManualClock`). Default: `performance.now()`. */
  clock?: WindowClock;
}

export interface CacheSetOptions {
  /** How long computing the value took, in ms: each later hit on it is credited this much latency saved. */
  computeMs?: number;
}

interface Entry<V> {
  value: V;
  /** NaN when unknown: hits on it are then not credited. */
  computeMs: number;
}

interface Space<V> {
  readonly name: CacheNamespace;
  readonly lru: LRUCache<string, Entry<V>>;
  readonly capacity: number;
  /** Bytes lru-cache preallocates for `capacity` slots, held whatever the entry count. */
  readonly fixedBytes: number;
  readonly hits: CounterChild;
  readonly misses: CounterChild;
  readonly evictions: CounterChild;
  readonly evictedLru: CounterChild;
  readonly expired: CounterChild;
  readonly saved: CounterChild;
  /** Hits whose entry had a known compute time (the divisor of the average saving). */
  creditedHits: number;
  readonly hitRate: GaugeChild;
  readonly entries: GaugeChild;
  readonly utilization: GaugeChild;
  readonly capacityGauge: GaugeChild;
}

const BYTES_PER_MB = 1024 * 1024;

export class ToolSelectionCache<V = string[]> implements Source<CacheSourceData> {
  readonly sourceName = 'cache';
  readonly settings: CacheSettings;
  /** Values not stored because their estimate exceeded `maxValueBytes`. */
  oversized = 0;

  private readonly spaces = new Map<string, Space<V>>();
  private readonly maxValueBytes: number;

  readonly hitRate = new Gauge(CATALOG.cacheHitRate);
  readonly entries = new Gauge(CATALOG.cacheEntries);
  readonly operations = new Counter(CATALOG.cacheOperations);
  readonly evictions = new Counter(CATALOG.cacheEvictions);
  readonly utilization = new Gauge(CATALOG.cacheUtilization);
  readonly capacity = new Gauge(CATALOG.cacheCapacity);
  readonly latencySaved = new Counter(CATALOG.cacheLatencySaved);
  readonly memoryBytes = new Gauge(CATALOG.cacheMemoryBytes);
  readonly memoryMb = new Gauge(CATALOG.cacheMemoryMb);

  private readonly overall: { hitRate: GaugeChild; entries: GaugeChild; utilization: GaugeChild };

  /** A cache configured from `VICTOR_CACHE_*` and `config/settings.yaml` (see `loadCacheSettings`). */
  static fromEnvironment<V = string[]>(
    load: LoadCacheSettingsOptions = {},
    options: Omit<ToolSelectionCacheOptions, 'settings'> = {},
  ): ToolSelectionCache<V> {
    return new ToolSelectionCache<V>({ ...options, settings: loadCacheSettings(load) });
  }

  constructor(options: ToolSelectionCacheOptions = {}) {
    const base = options.settings ?? DEFAULT_CACHE_SETTINGS;
    const size = options.size ?? base.size;
    // The same bounds as VICTOR_CACHE_SIZE and the settings file: lru-cache preallocates `size` slots.
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_CACHE_SIZE) {
      throw new CacheError(`cache size must be an integer from 1 to ${MAX_CACHE_SIZE}, got ${String(size)}`);
    }
    this.maxValueBytes = options.maxValueBytes ?? Infinity;
    if (typeof this.maxValueBytes !== 'number' || !(this.maxValueBytes > 0)) {
      throw new CacheError(`maxValueBytes must be > 0, got ${String(options.maxValueBytes)}`);
    }
    const ttlSeconds = { ...base.ttlSeconds, ...options.ttlSeconds };
    this.settings = { size, ttlSeconds };

    // lru-cache reads a start time of 0 as "no TTL": keep a manual clock that starts at 0 clear of it.
    const clock = options.clock;
    const perf = clock ? { now: () => clock.ms + 1 } : undefined;
    for (const name of CACHE_NAMESPACES) {
      const ttl = ttlSeconds[name];
      if (typeof ttl !== 'number' || !(ttl > 0) || !(ttl <= MAX_TTL_SECONDS)) {
        throw new CacheError(
          `TTL of cache namespace ${name} must be a number of seconds > 0 and <= ${MAX_TTL_SECONDS}, got ${String(ttl)}`,
        );
      }
      this.spaces.set(name, this.createSpace(name, size, Math.max(1, Math.round(ttl * 1000)), perf));
    }
    this.overall = {
      hitRate: this.hitRate.labels({ namespace: 'overall' }),
      entries: this.entries.labels({ namespace: 'total' }),
      utilization: this.utilization.labels({ namespace: 'overall' }),
    };
  }

  private createSpace(
    name: CacheNamespace,
    capacity: number,
    ttlMs: number,
    perf: { now: () => number } | undefined,
  ): Space<V> {
    const op = (operation: string) => this.operations.labels({ namespace: name, operation });
    // Bound in exposition order.
    const hits = op('hits');
    const misses = op('misses');
    const evictions = op('evictions');
    const evictedLru = this.evictions.labels({ namespace: name, reason: 'lru' });
    const expired = this.evictions.labels({ namespace: name, reason: 'expired' });
    const lru = new LRUCache<string, Entry<V>>({
      max: capacity,
      ttl: ttlMs,
      // Size tracking gives the memory estimate as a running sum; it needs a per-entry bound to be enabled.
      maxEntrySize: Number.MAX_SAFE_INTEGER,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') {
          evictedLru.inc();
          evictions.inc();
        } else if (reason === 'expire') {
          expired.inc();
          evictions.inc();
        }
      },
      // A test clock must be read on every check; lru-cache otherwise caches now() for 1 ms of real time.
      ...(perf ? { perf, ttlResolution: 0 } : {}),
    });
    return {
      name,
      lru,
      capacity,
      fixedBytes: lruFixedBytes(capacity),
      hits,
      misses,
      evictions,
      evictedLru,
      expired,
      saved: this.latencySaved.labels({ namespace: name }),
      creditedHits: 0,
      hitRate: this.hitRate.labels({ namespace: name }),
      entries: this.entries.labels({ namespace: name }),
      utilization: this.utilization.labels({ namespace: name }),
      capacityGauge: this.capacity.labels({ namespace: name }),
    };
  }

  private space(namespace: string): Space<V> {
    const s = this.spaces.get(namespace);
    if (s === undefined) {
      throw new CacheError(
        `unknown cache namespace ${JSON.stringify(namespace)}; valid namespaces are ${CACHE_NAMESPACES.join(', ')}`,
      );
    }
    return s;
  }

  /** The cached value, or undefined on a miss (counted either way). */
  get(namespace: CacheNamespace, key: string): V | undefined {
    const s = this.space(namespace);
    const e = s.lru.get(key);
    if (e === undefined) {
      s.misses.inc();
      return undefined;
    }
    s.hits.inc();
    if (e.computeMs === e.computeMs /* not NaN: the compute time is known */) {
      s.saved.inc(e.computeMs);
      s.creditedHits++;
    }
    return e.value;
  }

  /** Stores a value; returns false when it was too large to keep (see `maxValueBytes`). */
  set(namespace: CacheNamespace, key: string, value: V, options: CacheSetOptions = {}): boolean {
    const s = this.space(namespace);
    if (typeof key !== 'string') throw new CacheError(`cache key must be a string, got ${typeof key}`);
    if (value === undefined)
      throw new CacheError(`cannot cache undefined (namespace ${namespace}, key ${key})`);
    const computeMs = options.computeMs ?? NaN;
    if (
      options.computeMs !== undefined &&
      (typeof computeMs !== 'number' || !(computeMs >= 0 && computeMs < Infinity))
    ) {
      throw new CacheError(
        `computeMs must be a finite number >= 0, got ${typeof options.computeMs} ${String(options.computeMs)}`,
      );
    }
    const valueBytes = estimateValueBytes(value);
    if (valueBytes > this.maxValueBytes) {
      // The old value no longer answers this key, so it goes too.
      s.lru.delete(key);
      this.oversized++;
      return false;
    }
    s.lru.set(key, { value, computeMs }, { size: entryBytes(key, valueBytes) });
    return true;
  }

  /** The cached value, or compute, store (with its compute time) and return it. Errors are not cached. */
  async getOrCompute(namespace: CacheNamespace, key: string, compute: () => V | Promise<V>): Promise<V> {
    const cached = this.get(namespace, key);
    if (cached !== undefined) return cached;
    const start = performance.now();
    const value = await compute();
    // Caching is a side effect: the caller gets its value whatever storing it does.
    guarded(this.sourceName, () => {
      if (value !== undefined) this.set(namespace, key, value, { computeMs: performance.now() - start });
    });
    return value;
  }

  delete(namespace: CacheNamespace, key: string): boolean {
    return this.space(namespace).lru.delete(key);
  }

  /** Empties one namespace, or all of them. Not counted as evictions. */
  clear(namespace?: CacheNamespace): void {
    if (namespace !== undefined) this.space(namespace).lru.clear();
    else for (const s of this.spaces.values()) s.lru.clear();
  }

  /** Entries held in a namespace (expired ones count until looked up or purged by `collect()`). */
  size(namespace: CacheNamespace): number {
    return this.space(namespace).lru.size;
  }

  /** Estimated bytes held: lru-cache's preallocated slots plus every entry (see `entryBytes`). */
  memoryEstimate(): number {
    let bytes = 0;
    for (const s of this.spaces.values()) bytes += s.fixedBytes + s.lru.calculatedSize;
    return bytes;
  }

  collect(): CacheSourceData {
    let hits = 0;
    let misses = 0;
    let evictions = 0;
    let held = 0;
    let active = 0;
    let capacity = 0;
    let saved = 0;
    let credited = 0;
    const hitRates = { query: null, context: null, rl: null } as Record<CacheNamespace, Rate>;
    const entries = { query: 0, context: 0, rl: 0 } as Record<CacheNamespace, number>;
    const utilization = { query: 0, context: 0, rl: 0 } as Record<CacheNamespace, number>;
    for (const s of this.spaces.values()) {
      held += s.lru.size;
      s.lru.purgeStale();
      const n = s.lru.size;
      active += n;
      capacity += s.capacity;
      const h = s.hits.value;
      const m = s.misses.value;
      hits += h;
      misses += m;
      evictions += s.evictions.value;
      saved += s.saved.value;
      credited += s.creditedHits;
      const rate = ratio(h, h + m);
      hitRates[s.name] = rate;
      entries[s.name] = n;
      utilization[s.name] = n / s.capacity;
      s.hitRate.setOrUnknown(rate);
      s.entries.set(n);
      s.utilization.set(n / s.capacity);
      s.capacityGauge.set(s.capacity);
    }
    const lookups = hits + misses;
    const overallRate = ratio(hits, lookups);
    this.overall.hitRate.setOrUnknown(overallRate);
    this.overall.entries.set(active);
    this.overall.utilization.set(active / capacity);
    const bytes = this.memoryEstimate();
    this.memoryBytes.set(bytes);
    this.memoryMb.set(bytes / BYTES_PER_MB);

    return {
      cache: {
        memory: { bytes, mb: bytes / BYTES_PER_MB },
        entries: { total: held, active },
        operations: { lookups, hits, misses, evictions },
        // Miss rate is over lookups only: evictions are not lookups (README "How it differs from the original", item 7).
        rates: { hit: overallRate, miss: ratio(misses, lookups), eviction: ratio(evictions, lookups) },
      },
      selection: {
        hit_rates: { ...hitRates, overall: overallRate },
        latency_saved_ms: { total: saved, avg_per_hit: ratio(saved, credited) },
        operations: { hits, misses, evictions },
        entries: { ...entries, total: active },
        utilization: { ...utilization, overall: active / capacity },
      },
    };
  }

  metrics(): readonly AnyMetric[] {
    // Catalog order, which is the exposition order.
    return [
      this.hitRate,
      this.entries,
      this.operations,
      this.evictions,
      this.utilization,
      this.capacity,
      this.latencySaved,
      this.memoryBytes,
      this.memoryMb,
    ];
  }
}

function ratio(part: number, whole: number): Rate {
  return whole === 0 ? null : part / whole;
}

// --- memory estimate ------------------------------------------------------------------------------------
//
// V8 on 64-bit without pointer compression (the Node 20 default): 8-byte pointers, object headers of 3 words
// (map, properties, elements), strings of 16 bytes header plus one byte per character (Latin-1) or two,
// rounded up to 8. Values referenced by other data too (a tool name string shared by every entry) are counted
// once per entry, so the estimate is an upper bound for values that share strings. The test compares it with
// the growth of `heapUsed` after a forced GC.

const POINTER = 8;
const OBJECT_HEADER = 24;
const STRING_HEADER = 16;
const HEAP_NUMBER = 16;
/** JSArray (map, properties, elements, length) plus the header of its FixedArray backing store. */
const ARRAY_HEADER = 32 + 16;
/** Our `{value, computeMs}` wrapper: header, two fields, and the boxed double of computeMs. */
const ENTRY_OBJECT = OBJECT_HEADER + 2 * POINTER + HEAP_NUMBER;
/**
 * lru-cache's key -> slot `Map`: 3 words per entry in V8's OrderedHashMap plus a bucket per two entries, and
 * capacity that doubles as it grows (about 1.5x used on average).
 */
const MAP_ENTRY = Math.round((3 * POINTER + POINTER / 2) * 1.5);
const MAX_DEPTH = 16;

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function stringBytes(s: string): number {
  // eslint-disable-next-line no-control-regex
  return align8(STRING_HEADER + s.length * (/[^\u0000-\u00ff]/.test(s) ? 2 : 1));
}

/** Estimated heap bytes of a value (strings, numbers, arrays, plain objects, typed arrays, maps, sets). */
export function estimateValueBytes(v: unknown, depth = 0): number {
  if (typeof v === 'string') return stringBytes(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 0 : HEAP_NUMBER;
  if (typeof v === 'bigint') return 16 + align8(Math.ceil(v.toString(16).length / 2));
  if (typeof v !== 'object' || v === null || depth > MAX_DEPTH) return 0;
  if (ArrayBuffer.isView(v)) return OBJECT_HEADER * 4 + v.byteLength;
  let bytes: number;
  if (Array.isArray(v)) {
    bytes = ARRAY_HEADER + POINTER * v.length;
    for (const x of v) bytes += estimateValueBytes(x, depth + 1);
  } else if (v instanceof Map || v instanceof Set) {
    bytes = OBJECT_HEADER + 64 + MAP_ENTRY * v.size;
    for (const [k, x] of v.entries()) {
      bytes += estimateValueBytes(k, depth + 1) + (v instanceof Map ? estimateValueBytes(x, depth + 1) : 0);
    }
  } else {
    // Property names are usually internalized strings shared by every object of the shape: not counted.
    const keys = Object.keys(v);
    bytes = OBJECT_HEADER + POINTER * keys.length;
    for (const k of keys) bytes += estimateValueBytes((v as Record<string, unknown>)[k], depth + 1);
  }
  return bytes;
}

/** One entry: its key, its value, our wrapper and its share of lru-cache's key map. */
export function entryBytes(key: string, valueBytes: number): number {
  return stringBytes(key) + valueBytes + ENTRY_OBJECT + MAP_ENTRY;
}

/**
 * What lru-cache 11 allocates up front for `max` slots: key and value lists (a pointer each), next/prev links
 * and the free-slot stack (the smallest unsigned typed array that fits `max`), TTL and start times, and entry
 * sizes (a number each).
 */
export function lruFixedBytes(max: number): number {
  const link = max <= 2 ** 8 ? 1 : max <= 2 ** 16 ? 2 : 4;
  return max * (2 * POINTER + 3 * link + 3 * 8) + 1024;
}
