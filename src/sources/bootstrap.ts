/**
 * Bootstrap: total start-up time of the service container, the time of each named phase, and the lazy loads
 * that happen after start-up.
 *
 * Start-up is timed from construction (or `markStarted()`, or the `startedAt` option) to `complete()`; until
 * then it is unknown (null), not 0. Phase and load times come from `now` (default `performance.now()`), which
 * tests replace to get exact values.
 */
import { CATALOG } from '../metrics/catalog.ts';
import { Counter, Gauge, type AnyMetric } from '../metrics/primitives.ts';
import { guarded } from '../metrics/guard.ts';
import { DEFAULT_MAX_SERIES, validateMaxSeries } from '../metrics/metric.ts';
import { addSaturating, checkNonNegative } from '../metrics/names.ts';
import type { BootstrapSnapshot, Source } from '../collector/types.ts';

const PHASE_NAME_RE = /^[a-z][a-z0-9_]*$/;

export interface BootstrapMonitorOptions {
  /** Phases kept apart before later ones fold into the overflow series (default 1000). */
  maxSeries?: number;
  /** Millisecond time source (default `performance.now`). */
  now?: () => number;
  /** Start of start-up on the `now` time base (default: construction time). */
  startedAt?: number;
}

export class BootstrapMonitor implements Source<BootstrapSnapshot> {
  readonly sourceName = 'bootstrap';
  readonly startup: Gauge;
  readonly phaseDuration: Gauge<'phase'>;
  readonly lazyLoads: Counter;
  readonly lazyLoadTime: Counter;
  readonly firstAccessOverhead: Gauge;

  private readonly now: () => number;
  private startedAt: number;
  private startupMs: number | null = null;
  /** Phase name -> total ms, in the order phases first ran. */
  private readonly phases = new Map<string, number>();
  private readonly maxPhases: number;
  /** Total ms of the phases past the limit. */
  private overflowMs = 0;
  private loadCount = 0;
  private loadMs = 0;
  private overheadCount = 0;
  private overheadMs = 0;

  constructor(options: BootstrapMonitorOptions = {}) {
    const maxSeries = validateMaxSeries('BootstrapMonitor', options.maxSeries ?? DEFAULT_MAX_SERIES);
    this.maxPhases = maxSeries;
    this.now = options.now ?? (() => performance.now());
    this.startedAt = options.startedAt ?? this.now();
    if (!Number.isFinite(this.startedAt))
      throw new RangeError(`startedAt must be finite, got ${this.startedAt}`);
    this.startup = new Gauge(CATALOG.bootstrapStartup);
    this.phaseDuration = new Gauge(CATALOG.bootstrapPhaseDuration, { maxSeries });
    this.lazyLoads = new Counter(CATALOG.bootstrapLazyLoads);
    this.lazyLoadTime = new Counter(CATALOG.bootstrapLazyLoadTime);
    this.firstAccessOverhead = new Gauge(CATALOG.bootstrapFirstAccessOverhead);
  }

  /** Restarts the start-up clock now (for a container built long after this monitor). */
  markStarted(): void {
    this.startedAt = this.now();
    this.startupMs = null;
    this.startup.setOrUnknown(null);
  }

  /** Ends start-up and returns its duration in ms. The first call wins; later ones return the same value. */
  complete(): number {
    if (this.startupMs === null) {
      this.startupMs = Math.max(0, this.now() - this.startedAt);
      this.startup.set(this.startupMs);
    }
    return this.startupMs;
  }

  /** Times a sync or async phase; its time is recorded even when it throws, and the error propagates. */
  phase<R>(name: string, fn: () => R): R {
    validatePhase(name);
    const start = this.now();
    // Recording is guarded: the phase's own result or error is what the caller gets.
    const record = (): void => guarded(this.sourceName, () => this.recordPhase(name, this.now() - start));
    let result: R;
    try {
      result = fn();
    } catch (err) {
      record();
      throw err;
    }
    if (result instanceof Promise) {
      return result.finally(record) as R;
    }
    record();
    return result;
  }

  /** Adds `ms` to a phase; a phase run more than once (say, tool loading in batches) reports its total. */
  recordPhase(name: string, ms: number): void {
    validatePhase(name);
    checkMs(`phase ${name}`, ms);
    if (!this.phases.has(name) && this.phases.size >= this.maxPhases) {
      this.overflowMs = addSaturating(this.overflowMs, ms);
      this.phaseDuration.overflowSeries().set(this.overflowMs);
      this.phaseDuration.noteOverflow();
      return;
    }
    const total = addSaturating(this.phases.get(name) ?? 0, ms);
    this.phases.set(name, total);
    this.phaseDuration.labels({ phase: name }).set(total);
  }

  /** Duration of a phase in ms, or null if it has not run. */
  phaseMs(name: string): number | null {
    return this.phases.get(name) ?? null;
  }

  /**
   * A memoised async getter for a lazily loaded service. The first access runs `loader` once (concurrent
   * first accesses share it) and its time counts as one lazy load; a failed load is not memoised, so the
   * next access retries.
   *
   * First-access overhead is defined as the time the first access took (call to resolved value) minus the
   * time of the first later access that found the value cached, measured the same way: the extra latency
   * the first caller paid. It is recorded once per getter, at that later access, and reported as the
   * average over getters accessed at least twice.
   */
  lazy<T>(name: string, loader: () => T | Promise<T>): () => Promise<T> {
    validateLazyName(name);
    let pending: Promise<T> | undefined;
    let firstAccessMs: number | undefined;
    let overheadDone = false;
    return () => {
      if (firstAccessMs !== undefined && !overheadDone) {
        overheadDone = true;
        const first = firstAccessMs;
        const start = this.now();
        return pending!.then((value) => {
          guarded(this.sourceName, () => this.addOverhead(name, Math.max(0, first - (this.now() - start))));
          return value;
        });
      }
      if (pending) return pending;
      const start = this.now();
      const load = (async () => loader())();
      pending = load.then(
        (value) => {
          const ms = this.now() - start;
          firstAccessMs = ms;
          guarded(this.sourceName, () => this.addLoad(name, ms));
          return value;
        },
        (err: unknown) => {
          pending = undefined;
          throw err;
        },
      );
      return pending;
    };
  }

  /** Records a lazy load measured elsewhere, and optionally its first-access overhead. */
  recordLazyLoad(name: string, ms: number, firstAccessOverheadMs?: number): void {
    validateLazyName(name);
    checkMs(`lazy load ${name}`, ms);
    if (firstAccessOverheadMs !== undefined) checkMs(`first access of ${name}`, firstAccessOverheadMs);
    this.addLoad(name, ms);
    if (firstAccessOverheadMs !== undefined) this.addOverhead(name, firstAccessOverheadMs);
  }

  private addLoad(name: string, ms: number): void {
    checkMs(`lazy load ${name}`, ms);
    this.loadCount++;
    this.loadMs = addSaturating(this.loadMs, ms);
    this.lazyLoads.inc();
    this.lazyLoadTime.inc(ms);
  }

  private addOverhead(name: string, ms: number): void {
    checkMs(`first access of ${name}`, ms);
    this.overheadCount++;
    this.overheadMs = addSaturating(this.overheadMs, ms);
    this.firstAccessOverhead.set(this.overheadMs / this.overheadCount);
  }

  collect(): BootstrapSnapshot {
    const phases: BootstrapSnapshot['phases'] = {
      container_bootstrap_ms: null,
      service_registration_ms: null,
      provider_initialization_ms: null,
      tool_loading_ms: null,
      cache_warming_ms: null,
    };
    for (const [name, ms] of this.phases) phases[`${name}_ms`] = ms;
    const ms = this.startupMs;
    return {
      startup_time: { ms, seconds: ms === null ? null : ms / 1000 },
      phases,
      lazy_loading: {
        load_count: this.loadCount,
        total_time_ms: this.loadMs,
        avg_time_ms: this.loadCount === 0 ? null : this.loadMs / this.loadCount,
        first_access_overhead_ms: this.overheadCount === 0 ? null : this.overheadMs / this.overheadCount,
      },
    };
  }

  metrics(): readonly AnyMetric[] {
    return [this.startup, this.phaseDuration, this.lazyLoads, this.lazyLoadTime, this.firstAccessOverhead];
  }
}

function validatePhase(name: string): void {
  if (typeof name !== 'string' || !PHASE_NAME_RE.test(name)) {
    throw new TypeError(
      `invalid phase name ${JSON.stringify(name) ?? 'nothing'}: must match [a-z][a-z0-9_]*`,
    );
  }
}

function validateLazyName(name: string): void {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `lazy load name must be a non-empty string, got ${JSON.stringify(name) ?? 'nothing'}`,
    );
  }
}

function checkMs(what: string, ms: number): void {
  checkNonNegative(what, 'time must be a finite number >= 0 ms', ms);
}
