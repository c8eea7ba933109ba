/**
 * PerformanceMetricsCollector: components register with it; every read pulls from them.
 *
 * Contract of one collection:
 * - each registered source's `collect()` runs once, synchronously, in registration-slot order;
 * - a source that throws, or returns a value with a non-finite number or a missing part, is isolated: its
 *   category is null in the snapshot, its series are left out of the exposition, the error is listed in
 *   `errors` and counted in `collection_errors_total{source}`; every other category is unaffected;
 * - rendering is isolated the same way: a source whose `metrics()` or a metric's render throws loses its
 *   series from that exposition (the rest is served) and is counted likewise;
 * - each source's collect (and render) time is observed in `collection_duration_seconds{source}`;
 * - the collector's own series (collection errors and time, series overflow, instrumentation errors) are
 *   always exported.
 * Reads are synchronous and always fresh; `collectShared()` lets concurrent requests (scrapes, API calls)
 * arriving in the same event-loop turn share one collection.
 */
import {
  CATALOG,
  DEFAULT_PREFIX,
  DEFAULT_UNITS,
  unitsForm,
  validatePrefix,
  validateUnits,
  type Units,
} from '../metrics/catalog.ts';
import { instrumentationErrors } from '../metrics/guard.ts';
import { Counter, Histogram, type AnyMetric, type Gauge } from '../metrics/primitives.ts';
import {
  CustomMetrics,
  type CustomGaugeOptions,
  type CustomHistogramOptions,
  type CustomMetricOptions,
  type CustomSnapshot,
} from '../sources/custom.ts';
import { SystemMonitor } from '../sources/system.ts';
import {
  emptyBootstrap,
  emptyCache,
  emptyProviderPool,
  emptySelection,
  emptySystem,
  emptyToolExecution,
  unknownPercentiles,
} from './empty.ts';
import { HealthScore, type HealthOptions } from './health.ts';
import type {
  BootstrapSnapshot,
  CacheEndpointSnapshot,
  CacheSourceData,
  PerformanceSnapshot,
  ProviderPoolSnapshot,
  SelectionSourceData,
  Source,
  SourceError,
  SystemSnapshot,
  ToolExecutionSnapshot,
  ToolSelectionSnapshot,
} from './types.ts';

/** The slots a component can fill, and what its collect() yields. */
export interface SourceSlots {
  cache: CacheSourceData;
  tool_selection: SelectionSourceData;
  bootstrap: BootstrapSnapshot;
  provider_pool: ProviderPoolSnapshot;
  tool_execution: ToolExecutionSnapshot;
  system: SystemSnapshot;
}
export type Slot = keyof SourceSlots;
export const SLOTS: readonly Slot[] = [
  'cache',
  'tool_selection',
  'bootstrap',
  'provider_pool',
  'tool_execution',
  'system',
];

/** The parts each slot's collect() must return as objects; a missing one is reported as invalid data. */
const REQUIRED_PARTS: { readonly [S in Slot]: readonly string[] } = {
  cache: ['cache', 'selection'],
  tool_selection: ['latency_ms'],
  bootstrap: ['startup_time', 'phases', 'lazy_loading'],
  provider_pool: ['pool', 'requests', 'latency_ms', 'errors', 'provider_health'],
  tool_execution: ['executions', 'duration_ms', 'errors', 'top_tools', 'tool_metrics'],
  system: ['memory', 'cpu', 'uptime', 'threads'],
};

function invalidShape(slot: Slot, value: unknown): string | null {
  if (value === null || typeof value !== 'object') return 'not an object';
  for (const part of REQUIRED_PARTS[slot]) {
    const v = (value as Record<string, unknown>)[part];
    if (v === null || typeof v !== 'object')
      return `${part} is ${v === null ? 'null' : typeof v}, not an object`;
  }
  return findGarbage(value);
}

/** One category read on its own: its body (null when a source failed) and the failures. */
export interface CategoryRead<T> {
  value: T | null;
  errors: SourceError[];
}

export class CollectorError extends Error {
  override name = 'CollectorError';
}

export interface CollectorOptions {
  /** Metric name prefix (default `victor_`). */
  prefix?: string;
  /**
   * Naming of the exposition (default `seed`): `seed` keeps the description's names (`_ms`, `_mb`, CPU in
   * percent); `base` emits Prometheus base units (seconds, bytes, CPU as a seconds counter). The JSON snapshot
   * is the same in both.
   */
  units?: Units;
  /**
   * The health score's weights, budgets and window (see collector/health.ts); give the monitoring config's
   * (`collectorHealthOptions(config)`) so that `health_score` and the recording rule are the same definition.
   */
  health?: HealthOptions;
}

type SingleSlot = Exclude<Slot, 'cache' | 'tool_selection'>;
const EMPTY: { readonly [S in SingleSlot]: () => SourceSlots[S] } = {
  bootstrap: emptyBootstrap,
  provider_pool: emptyProviderPool,
  tool_execution: emptyToolExecution,
  system: emptySystem,
};

type Outcome<T> = { ok: true; value: T } | { ok: false; error: SourceError } | undefined;

/** One collection: the snapshot, and its exposition rendered on first use. */
export interface SharedCollection {
  readonly snapshot: PerformanceSnapshot;
  readonly text: string;
}

interface Collection {
  snapshot: PerformanceSnapshot;
  ok: Set<Slot>;
  /** Seconds each source's collect() took. */
  seconds: Map<Slot, number>;
}

const errorMessage = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : `threw ${String(err)}`;

/** Path of the first value that is not finite-number/null/string/boolean/object, or null when clean. */
export function findGarbage(value: unknown, path = ''): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path || 'value'} = ${value}`;
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = findGarbage(v, path ? `${path}.${k}` : k);
      if (found) return found;
    }
    return null;
  }
  return `${path || 'value'} is ${value === undefined ? 'undefined' : typeof value}`;
}

export class PerformanceMetricsCollector {
  readonly prefix: string;
  readonly units: Units;
  private readonly sources = new Map<Slot, Source<unknown>>();
  private readonly collectionErrors = new Counter(CATALOG.collectionErrors);
  private readonly seriesOverflow = new Counter(CATALOG.seriesOverflow);
  private readonly collectionDuration = new Histogram(CATALOG.collectionDuration);
  private pending: Promise<SharedCollection> | undefined;
  private ownSeriesView: ((own: readonly AnyMetric[]) => readonly AnyMetric[]) | undefined;
  private readonly health: HealthScore;

  constructor(options: CollectorOptions = {}) {
    this.prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
    this.units = validateUnits(options.units ?? DEFAULT_UNITS);
    try {
      this.health = new HealthScore(this.prefix, options.health);
    } catch (err) {
      throw new CollectorError(`${(err as Error).message}`);
    }
  }

  /** The health score's weights and budgets, and its window. */
  get healthDefinition(): HealthScore['definition'] & { window: string } {
    return { ...this.health.definition, window: this.health.window };
  }

  /**
   * Puts a component in a slot. Registering the same component again is a no-op; registering another one
   * replaces the previous (there is one component per slot).
   */
  register<S extends Slot>(slot: S, source: Source<SourceSlots[S]>): this {
    if (!SLOTS.includes(slot)) {
      throw new CollectorError(`unknown slot ${JSON.stringify(slot)}; slots are ${SLOTS.join(', ')}`);
    }
    if (!source || typeof source.collect !== 'function' || typeof source.metrics !== 'function') {
      throw new CollectorError(`slot ${slot}: a component needs collect() and metrics() methods`);
    }
    this.sources.set(slot, source as Source<unknown>);
    return this;
  }

  /** Removes a component by slot, or by the component itself. */
  unregister(slotOrSource: Slot | Source<unknown>): this {
    for (const [slot, s] of this.sources) {
      if (slot === slotOrSource || s === slotOrSource) this.sources.delete(slot);
    }
    return this;
  }

  registerToolSelectionCache(cache: Source<CacheSourceData>): this {
    return this.register('cache', cache);
  }
  registerToolSelection(monitor: Source<SelectionSourceData>): this {
    return this.register('tool_selection', monitor);
  }
  registerBootstrap(monitor: Source<BootstrapSnapshot>): this {
    return this.register('bootstrap', monitor);
  }
  registerProviderPool(monitor: Source<ProviderPoolSnapshot>): this {
    return this.register('provider_pool', monitor);
  }
  registerToolExecution(monitor: Source<ToolExecutionSnapshot>): this {
    return this.register('tool_execution', monitor);
  }
  registerSystem(monitor: Source<SystemSnapshot>): this {
    return this.register('system', monitor);
  }

  registered(slot: Slot): Source<unknown> | undefined {
    return this.sources.get(slot);
  }

  // --- custom metrics: declared by the application, exported and summarised with the rest ---
  /** The application's own metrics (see `counter`, `gauge`, `histogram`). */
  readonly custom = new CustomMetrics();

  /** Declares a custom counter (validated like the catalog's; `maxSeries` caps its label sets). */
  counter<const L extends string = never>(options: CustomMetricOptions<L>): Counter<L> {
    return this.custom.counter(options);
  }
  /** Declares a custom gauge; `collect` pulls its value at collection time. */
  gauge<const L extends string = never>(options: CustomGaugeOptions<L>): Gauge<L> {
    return this.custom.gauge(options);
  }
  /** Declares a custom histogram with its bucket upper bounds. */
  histogram<const L extends string = never>(options: CustomHistogramOptions<L>): Histogram<L> {
    return this.custom.histogram(options);
  }

  private readCustom(errors: SourceError[]): CustomSnapshot {
    try {
      return this.custom.snapshot();
    } catch (err) {
      this.collectionErrors.labels({ source: 'custom' }).inc();
      errors.push({
        source: 'custom',
        message: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
      });
      return {};
    }
  }

  /** The custom metrics' text; a failure leaves them out of this scrape and is counted like a source's. */
  private renderCustom(): string {
    try {
      return this.custom.render(this.prefix);
    } catch {
      this.collectionErrors.labels({ source: 'custom' }).inc();
      return '';
    }
  }

  private read<S extends Slot>(slot: S, seconds?: Map<Slot, number>): Outcome<SourceSlots[S]> {
    const source = this.sources.get(slot);
    if (!source) return undefined;
    const name = this.sourceName(slot);
    const start = performance.now();
    let message: string;
    try {
      const value = source.collect();
      const garbage = invalidShape(slot, value);
      if (garbage === null) return { ok: true, value: value as SourceSlots[S] };
      message = `returned invalid data: ${garbage}`;
    } catch (err) {
      message = errorMessage(err);
    } finally {
      const elapsed = (performance.now() - start) / 1000;
      if (seconds) seconds.set(slot, elapsed);
      else this.observeTime(slot, elapsed);
    }
    this.collectionErrors.labels({ source: name }).inc();
    return { ok: false, error: { source: name, message } };
  }

  private sourceName(slot: Slot): string {
    const name = this.sources.get(slot)?.sourceName;
    return typeof name === 'string' && name !== '' ? name : slot;
  }

  private observeTime(slot: Slot, seconds: number): void {
    try {
      this.collectionDuration.labels({ source: this.sourceName(slot) }).observe(seconds);
    } catch {
      // A clock that went backwards is no reason to fail a collection.
    }
  }

  private selection(
    cache: Outcome<CacheSourceData>,
    timer: Outcome<SelectionSourceData>,
  ): ToolSelectionSnapshot | null {
    if (cache?.ok === false || timer?.ok === false) return null;
    return {
      ...(cache ? cache.value.selection : emptySelection()),
      latency_ms: timer ? timer.value.latency_ms : unknownPercentiles(),
    };
  }

  /** One collection of every category, with the health score. */
  getAllMetrics(): PerformanceSnapshot {
    const c = this.collect();
    for (const [slot, seconds] of c.seconds) this.observeTime(slot, seconds);
    return c.snapshot;
  }

  private collect(): Collection {
    const errors: SourceError[] = [];
    const ok = new Set<Slot>();
    const seconds = new Map<Slot, number>();
    const outcomes = {} as { [S in Slot]: Outcome<SourceSlots[S]> };
    for (const slot of SLOTS) {
      const outcome = this.read(slot, seconds);
      (outcomes as Record<Slot, Outcome<unknown>>)[slot] = outcome;
      if (outcome?.ok === false) errors.push(outcome.error);
      else if (outcome?.ok) ok.add(slot);
    }
    const pick = <S extends Slot, T>(slot: S, empty: () => T, map: (v: SourceSlots[S]) => T): T | null => {
      const o = outcomes[slot] as Outcome<SourceSlots[S]>;
      if (o === undefined) return empty();
      return o.ok ? map(o.value) : null;
    };
    const base = {
      timestamp: new Date().toISOString(),
      tool_selection: this.selection(outcomes.cache, outcomes.tool_selection),
      cache: pick('cache', emptyCache, (v) => v.cache),
      bootstrap: pick('bootstrap', emptyBootstrap, (v) => v),
      provider_pool: pick('provider_pool', emptyProviderPool, (v) => v),
      tool_execution: pick('tool_execution', emptyToolExecution, (v) => v),
      system: pick('system', emptySystem, (v) => v),
    };
    const custom = this.readCustom(errors);
    const snapshot: PerformanceSnapshot = {
      ...base,
      custom,
      health_score: this.healthScore(ok, errors),
      errors,
    };
    return { snapshot, ok, seconds };
  }

  /** The score over the series of the sources that collected cleanly; a failure here is counted, not thrown. */
  private healthScore(ok: ReadonlySet<Slot>, errors: SourceError[]): number | null {
    try {
      // A source whose metrics() or a metric's render fails is left out here; the exposition counts it.
      const metrics: AnyMetric[] = [];
      for (const slot of SLOTS) {
        if (!ok.has(slot)) continue;
        try {
          for (const m of this.sources.get(slot)!.metrics())
            if (m && typeof m.render === 'function' && m.spec) metrics.push(m);
        } catch {
          continue;
        }
      }
      return this.health.score(metrics);
    } catch (err) {
      this.collectionErrors.labels({ source: 'health' }).inc();
      errors.push({ source: 'health', message: errorMessage(err) });
      return null;
    }
  }

  /**
   * One category, reading only the sources behind it: the body of a category endpoint. `value` is null when
   * a source failed, and `errors` names it.
   */
  readCategory(category: 'cache'): CategoryRead<CacheEndpointSnapshot>;
  readCategory(category: 'tool_selection'): CategoryRead<ToolSelectionSnapshot>;
  readCategory<S extends SingleSlot>(category: S): CategoryRead<SourceSlots[S]>;
  readCategory(category: Slot): CategoryRead<unknown>;
  readCategory(category: Slot): CategoryRead<unknown> {
    if (category === 'cache' || category === 'tool_selection') {
      const cache = this.read('cache');
      const timer = this.read('tool_selection');
      const errors = [cache, timer].flatMap((o) => (o?.ok === false ? [o.error] : []));
      const selection = this.selection(cache, timer);
      if (category === 'tool_selection' || selection === null) return { value: selection, errors };
      const c = cache?.ok ? cache.value.cache : emptyCache();
      return { value: { ...selection, memory: c.memory, rates: c.rates }, errors };
    }
    const o = this.read(category);
    if (o === undefined) return { value: EMPTY[category](), errors: [] };
    return o.ok ? { value: o.value, errors: [] } : { value: null, errors: [o.error] };
  }

  getToolSelectionMetrics(): ToolSelectionSnapshot | null {
    return this.readCategory('tool_selection').value;
  }
  /** The `/cache` endpoint body: the tool-selection object plus the cache's memory and rates. */
  getCacheMetrics(): CacheEndpointSnapshot | null {
    return this.readCategory('cache').value;
  }
  getBootstrapMetrics(): BootstrapSnapshot | null {
    return this.readCategory('bootstrap').value;
  }
  getProviderPoolMetrics(): ProviderPoolSnapshot | null {
    return this.readCategory('provider_pool').value;
  }
  getToolExecutionMetrics(): ToolExecutionSnapshot | null {
    return this.readCategory('tool_execution').value;
  }
  getSystemMetrics(): SystemSnapshot | null {
    return this.readCategory('system').value;
  }

  /** Collects, then renders the series of every source that collected cleanly, and the collector's own. */
  exportPrometheus(): string {
    return this.collectAndExport().text;
  }

  /** One collection serving both the JSON snapshot and the exposition (the built-in history uses this). */
  collectAndExport(): { snapshot: PerformanceSnapshot; text: string } {
    const c = this.collect();
    return { snapshot: c.snapshot, text: this.render(c) };
  }

  /**
   * One collection shared by every caller in the same event-loop turn: concurrent scrapes and API requests
   * wait for the end of the turn and get the same snapshot (the exposition is rendered once, on first use).
   */
  collectShared(): Promise<SharedCollection> {
    this.pending ??= new Promise<SharedCollection>((resolve, reject) => {
      setImmediate(() => {
        this.pending = undefined;
        try {
          const c = this.collect();
          let text: string | undefined;
          // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter's `this` is the result
          const collector = this;
          resolve({
            snapshot: c.snapshot,
            get text() {
              return (text ??= collector.render(c));
            },
          });
        } catch (err) {
          reject(err instanceof Error ? err : new CollectorError(String(err)));
        }
      });
    });
    return this.pending;
  }

  /** The series of every source that collected cleanly, each rendered in isolation, and the collector's own. */
  private render(c: Collection): string {
    let text = '';
    for (const slot of SLOTS) {
      if (!c.ok.has(slot)) continue;
      const start = performance.now();
      try {
        let part = '';
        for (const m of this.sources.get(slot)!.metrics()) part += m.render(this.prefix, this.units);
        text += part;
      } catch (err) {
        const source = this.sourceName(slot);
        this.collectionErrors.labels({ source }).inc();
        c.snapshot.errors.push({ source, message: `rendering failed: ${errorMessage(err)}` });
      }
      c.seconds.set(slot, (c.seconds.get(slot) ?? 0) + (performance.now() - start) / 1000);
    }
    for (const [slot, seconds] of c.seconds) this.observeTime(slot, seconds);
    text += this.renderCustom();
    const own = this.ownMetrics();
    let shown: readonly AnyMetric[] = own;
    try {
      if (this.ownSeriesView) shown = this.ownSeriesView(own);
    } catch (err) {
      // The view (cross-process aggregation) failed: this process's own series are served instead.
      this.collectionErrors.labels({ source: 'collector' }).inc();
      c.snapshot.errors.push({ source: 'collector', message: `own series: ${errorMessage(err)}` });
    }
    for (const m of shown) text += m.render(this.prefix, this.units);
    return text;
  }

  /**
   * The collector's own series: collection errors and time, series overflow (counted over `sourceMetrics`,
   * by default the registered sources' and custom metrics) and instrumentation errors.
   */
  ownMetrics(sourceMetrics: readonly AnyMetric[] = this.metrics()): AnyMetric[] {
    this.countOverflow(sourceMetrics);
    return [this.collectionErrors, this.collectionDuration, this.seriesOverflow, instrumentationErrors];
  }

  /**
   * Shows `view(own)` in place of the collector's own series in the exposition (cross-process aggregation
   * shows them summed over every process); undefined shows this process's own again.
   */
  showOwnSeries(view: ((own: readonly AnyMetric[]) => readonly AnyMetric[]) | undefined): void {
    this.ownSeriesView = view;
  }

  /** Every metric object of the registered sources (for history and tests); a source whose metrics() fails is skipped. */
  metrics(): AnyMetric[] {
    const all: AnyMetric[] = [];
    const add = (list: () => readonly AnyMetric[]): void => {
      try {
        for (const m of list()) if (m && typeof m.render === 'function') all.push(m);
      } catch {
        // Counted when the exposition is rendered; here it only leaves these metrics out.
      }
    };
    for (const s of this.sources.values()) add(() => s.metrics());
    add(() => this.custom.metrics());
    return all;
  }

  /** Overflow counts are kept by each metric; the counter here pulls them at collection time. */
  private countOverflow(metrics: readonly AnyMetric[]): void {
    for (const m of metrics) {
      if (typeof m.overflowed === 'number' && m.overflowed > 0 && m.spec) {
        const name = unitsForm(m.spec, this.units)?.name ?? m.spec.name;
        this.seriesOverflow.labels({ metric: this.prefix + name }).value = m.overflowed;
      }
    }
  }
}

let defaultCollector: PerformanceMetricsCollector | undefined;

/**
 * A process-wide collector for convenience (the description's `get_performance_collector()`), with the
 * process's own system metrics registered. An explicit `new PerformanceMetricsCollector()` is the normal way
 * in; registering a component here twice never throws.
 */
export function getPerformanceCollector(): PerformanceMetricsCollector {
  defaultCollector ??= new PerformanceMetricsCollector().registerSystem(new SystemMonitor());
  return defaultCollector;
}

/** Drops the process-wide collector (tests). */
export function resetPerformanceCollector(): void {
  const system = defaultCollector?.registered('system');
  if (system instanceof SystemMonitor) system.close();
  defaultCollector = undefined;
}
