/**
 * Tool selection timing: the selector behind the tool selection cache.
 *
 * A selection is timed as the caller sees it (cache lookup, plus the selector on a miss) into
 * `tool_duration_ms`, the histogram the selection latency alerts (1 ms / 5 ms) read; tool execution time has
 * its own histogram (README "How it differs from the original", item 4). Each selection also counts as a hit or a miss per
 * namespace in `tool_selections_total`.
 */
import { CACHE_NAMESPACES, CATALOG, type CacheNamespace } from '../metrics/catalog.ts';
import {
  Counter,
  Histogram,
  type AnyMetric,
  type CounterChild,
  type HistogramChild,
  type HistogramOptions,
} from '../metrics/primitives.ts';
import type { Percentiles, SelectionSourceData, Source } from '../collector/types.ts';
import { guarded } from '../metrics/guard.ts';
import { CacheError, type ToolSelectionCache } from './cache.ts';

/** Picks the tools that fit a query. */
export type Selector<C = unknown> = (query: string, context?: C) => Promise<string[]> | string[];

export interface SelectOptions<C = unknown> {
  /** Cache namespace to look up and fill (default `query`). */
  namespace?: CacheNamespace;
  /** Cache key (default: the query). Give one when the answer depends on the context as well. */
  key?: string;
  /** Passed to the selector. */
  context?: C;
}

export interface ToolSelectionMonitorOptions {
  /** Cache in front of the selector; without one every selection is a miss. */
  cache?: ToolSelectionCache<string[]>;
  /** Recent window and clock of the latency quantiles (default 5 minutes). */
  histogram?: Pick<HistogramOptions, 'windowMs' | 'slices' | 'clock'>;
}

interface Outcome {
  hit: CounterChild;
  miss: CounterChild;
}

export class ToolSelectionMonitor<C = unknown> implements Source<SelectionSourceData> {
  readonly sourceName = 'tool_selection';
  readonly duration: Histogram;
  readonly selections = new Counter(CATALOG.toolSelections);
  private readonly series: HistogramChild;
  private readonly outcomes = new Map<string, Outcome>();
  private readonly cache: ToolSelectionCache<string[]> | undefined;

  constructor(
    private readonly selector?: Selector<C>,
    options: ToolSelectionMonitorOptions = {},
  ) {
    this.cache = options.cache;
    this.duration = new Histogram(CATALOG.toolSelectionDuration, { ...options.histogram });
    this.series = this.duration.series;
    for (const namespace of CACHE_NAMESPACES) {
      this.outcomes.set(namespace, {
        hit: this.selections.labels({ namespace, result: 'hit' }),
        miss: this.selections.labels({ namespace, result: 'miss' }),
      });
    }
  }

  /** Selects tools for a query through the cache and the monitor's selector. */
  select(query: string, options: SelectOptions<C> = {}): Promise<string[]> {
    const selector = this.selector;
    if (!selector) {
      return Promise.reject(
        new CacheError('ToolSelectionMonitor has no selector: pass one to the constructor, or use wrap()'),
      );
    }
    return this.run(selector, query, options);
  }

  /** A selector with the same signature whose selections go through the cache and are timed. */
  wrap(
    selector: Selector<C>,
    options: { namespace?: CacheNamespace; key?: (query: string, context?: C) => string } = {},
  ): (query: string, context?: C) => Promise<string[]> {
    const namespace = options.namespace ?? 'query';
    this.outcome(namespace); // fail at wrap time, not at the first call
    const keyOf = options.key;
    return (query, context) =>
      this.run(selector, query, {
        namespace,
        context,
        ...(keyOf ? { key: keyOf(query, context) } : {}),
      } as SelectOptions<C>);
  }

  /** Records a selection timed by the caller: latency in ms, and whether the cache answered it. */
  record(ms: number, hit: boolean, namespace: CacheNamespace = 'query'): void {
    const outcome = this.outcome(namespace);
    if (typeof hit !== 'boolean') {
      throw new TypeError(`metric ${CATALOG.toolSelections.name}: hit must be a boolean, got ${typeof hit}`);
    }
    // Throws (TypeError for a non-number, RangeError for NaN/negative/Infinity) before anything is counted.
    this.series.observe(ms);
    (hit ? outcome.hit : outcome.miss).inc();
  }

  private async run(selector: Selector<C>, query: string, options: SelectOptions<C>): Promise<string[]> {
    const namespace = options.namespace ?? 'query';
    const outcome = this.outcome(namespace);
    const key = options.key ?? query;
    const cache = this.cache;
    const start = performance.now();
    let hit = false;
    // The cache and the recording are side effects: the caller gets what the selector returns or throws.
    try {
      if (cache) {
        let cached: string[] | undefined;
        guarded(this.sourceName, () => {
          cached = cache.get(namespace, key);
        });
        if (cached !== undefined) {
          hit = true;
          return cached;
        }
      }
      const computeStart = performance.now();
      const tools = await selector(query, options.context);
      // Stored only once the selector succeeded: a failure is never cached.
      if (cache && tools !== undefined) {
        guarded(this.sourceName, () =>
          cache.set(namespace, key, tools, { computeMs: performance.now() - computeStart }),
        );
      }
      return tools;
    } finally {
      // Failed selections are timed too: a selector that times out is exactly the latency to see.
      guarded(this.sourceName, () => {
        this.series.observe(performance.now() - start);
        (hit ? outcome.hit : outcome.miss).inc();
      });
    }
  }

  private outcome(namespace: string): Outcome {
    const o = this.outcomes.get(namespace);
    if (o === undefined) {
      throw new CacheError(
        `unknown cache namespace ${JSON.stringify(namespace)}; valid namespaces are ${CACHE_NAMESPACES.join(', ')}`,
      );
    }
    return o;
  }

  collect(): SelectionSourceData {
    const s = this.series;
    const latency: Percentiles = {
      avg: s.count === 0 ? null : s.sum / s.count,
      p50: s.percentile(0.5),
      p95: s.percentile(0.95),
      p99: s.percentile(0.99),
    };
    return { latency_ms: latency };
  }

  metrics(): readonly AnyMetric[] {
    return [this.duration, this.selections];
  }
}
