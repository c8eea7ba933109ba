/**
 * Bounded in-memory history for the built-in dashboard (Prometheus is the real store; this is what a developer
 * sees with nothing else running).
 *
 * Every `resolutionMs` the history takes one sample from the collector (one `collectAndExport()`, see
 * sample.ts) and appends it to fixed-size ring buffers: one Float64Array of timestamps shared by all series and
 * one Float64Array per series, each `capacity = retentionMs / resolutionMs` slots long. A series is allocated
 * whole the first time it appears and never grows, so memory is
 *
 *     (series + 1) * capacity * 8 bytes          (24 h at 5 s: 138 KB per series)
 *
 * and at most `maxSeries` series are kept: label values past that (a runaway tool name) are dropped and
 * counted in `droppedSeries`. `memoryBytes()` reports the exact typed-array total.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import { guarded } from '../metrics/guard.ts';
import { Sampler } from './sample.ts';

export interface HistoryOptions {
  /** Time between samples (default 5 s). */
  resolutionMs?: number;
  /** How far back samples are kept (default 24 h). */
  retentionMs?: number;
  /** Series kept at most; later ones are dropped (default 256). */
  maxSeries?: number;
  /** Wall clock in ms (tests and the memory script use a synthetic one). */
  now?: () => number;
}

/** One sample as pushed to stream subscribers: time and the value of every series (null = unknown). */
export interface HistoryPoint {
  t: number;
  values: Record<string, number | null>;
}

/** Result of a range query: bucket start times and one value per bucket per series. */
export interface HistoryRange {
  /** Bucket start times in ms, ascending. */
  t: number[];
  series: Record<string, Array<number | null>>;
}

export const DEFAULT_RESOLUTION_MS = 5_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_SERIES = 256;
/** Bucket count a range query returns at most (the step is raised to fit). */
export const MAX_POINTS = 2_000;

export class HistoryError extends Error {
  override name = 'HistoryError';
}

type Listener = (point: HistoryPoint, snapshot: PerformanceSnapshot) => void;

export class MetricHistory {
  readonly resolutionMs: number;
  readonly retentionMs: number;
  readonly capacity: number;
  readonly maxSeries: number;
  /** Samples whose new series did not fit under maxSeries. */
  droppedSeries = 0;
  private readonly now: () => number;
  private readonly times: Float64Array;
  private readonly series = new Map<string, Float64Array>();
  /** Next slot to write; the oldest sample is at `head` once the ring is full. */
  private head = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<Listener>();
  private lastSnapshot: PerformanceSnapshot | undefined;
  private readonly sampler: Sampler | undefined;

  constructor(collector: PerformanceMetricsCollector | undefined, options: HistoryOptions = {}) {
    const resolutionMs = options.resolutionMs ?? DEFAULT_RESOLUTION_MS;
    const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!(Number.isInteger(resolutionMs) && resolutionMs >= 100)) {
      throw new HistoryError(`resolutionMs must be an integer >= 100, got ${resolutionMs}`);
    }
    if (!(Number.isInteger(retentionMs) && retentionMs >= resolutionMs)) {
      throw new HistoryError(
        `retentionMs must be an integer >= resolutionMs (${resolutionMs}), got ${retentionMs}`,
      );
    }
    if (!(Number.isInteger(maxSeries) && maxSeries >= 1)) {
      throw new HistoryError(`maxSeries must be a positive integer, got ${maxSeries}`);
    }
    this.resolutionMs = resolutionMs;
    this.retentionMs = retentionMs;
    this.maxSeries = maxSeries;
    this.capacity = Math.ceil(retentionMs / resolutionMs);
    this.times = new Float64Array(this.capacity);
    this.now = options.now ?? Date.now;
    this.sampler = collector ? new Sampler(collector) : undefined;
  }

  /** Starts sampling every resolutionMs (one sample right away). The timer does not keep the process alive. */
  start(): void {
    if (this.timer || !this.sampler) return;
    // A failing sample is counted and skipped: the timer must never take the process down.
    const sample = (): void => guarded('history', () => this.sample());
    sample();
    this.timer = setInterval(sample, this.resolutionMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Takes one sample from the collector now (or at `t`) and appends it. */
  sample(t: number = this.now()): void {
    if (!this.sampler) throw new HistoryError('this history has no collector to sample');
    const { values, snapshot } = this.sampler.sample(t);
    this.lastSnapshot = snapshot;
    const point = this.append(t, values);
    for (const listener of this.listeners) {
      try {
        listener(point, snapshot);
      } catch {
        // A broken subscriber (a closed stream) must not stop the sampling; it unsubscribes itself.
      }
    }
  }

  /** Appends one sample. Times must not go backwards (a sample that would is dropped). */
  append(t: number, values: ReadonlyMap<string, number | null>): HistoryPoint {
    const point: HistoryPoint = { t, values: {} };
    if (this.size > 0 && t < this.times[(this.head + this.capacity - 1) % this.capacity]!) return point;
    for (const id of values.keys()) {
      if (this.series.has(id)) continue;
      if (this.series.size >= this.maxSeries) {
        this.droppedSeries++;
        continue;
      }
      this.series.set(id, new Float64Array(this.capacity).fill(NaN));
    }
    const slot = this.head;
    this.times[slot] = t;
    for (const [id, ring] of this.series) {
      const v = values.get(id);
      ring[slot] = v === null || v === undefined ? NaN : v;
      point.values[id] = v ?? null;
    }
    this.head = (slot + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    return point;
  }

  /** The snapshot of the latest sample (stats, tables and bootstrap bars read it). */
  get latest(): PerformanceSnapshot | undefined {
    return this.lastSnapshot;
  }

  get length(): number {
    return this.size;
  }

  seriesIds(): string[] {
    return [...this.series.keys()];
  }

  /**
   * Samples with `t >= from`, in buckets of `step` ms aligned to multiples of `step` (so an incremental query
   * from the last bucket start returns the same buckets): the mean of each bucket, or its last value for a
   * cumulative counter (an id with `_total`), whose increase over a range is then last minus first. `step` is raised to the
   * resolution and to fit MAX_POINTS buckets.
   */
  query(
    from: number,
    step: number = this.resolutionMs,
    to: number = Infinity,
  ): HistoryRange & { step: number } {
    const out: HistoryRange & { step: number } = { t: [], series: {}, step: 0 };
    if (this.size === 0) {
      out.step = Math.max(step, this.resolutionMs);
      return out;
    }
    const oldest = (this.head - this.size + this.capacity) % this.capacity;
    const first = Math.max(from, this.times[oldest]!);
    const last = Math.min(to, this.times[(this.head + this.capacity - 1) % this.capacity]!);
    step = Math.max(step, this.resolutionMs, Math.ceil((last - first) / MAX_POINTS));
    out.step = step;
    const ids = [...this.series.keys()];
    const cumulative = ids.map((id) => id.includes('_total'));
    const sums = ids.map(() => 0);
    const counts = ids.map(() => 0);
    for (const id of ids) out.series[id] = [];
    let bucket = NaN;
    const flush = (): void => {
      if (Number.isNaN(bucket)) return;
      out.t.push(bucket);
      for (let k = 0; k < ids.length; k++) {
        out.series[ids[k]!]!.push(counts[k]! > 0 ? sums[k]! / counts[k]! : null);
        sums[k] = 0;
        counts[k] = 0;
      }
    };
    for (let n = 0; n < this.size; n++) {
      const slot = (oldest + n) % this.capacity;
      const t = this.times[slot]!;
      if (t < from || t > to) continue;
      const b = Math.floor(t / step) * step;
      if (b !== bucket) {
        flush();
        bucket = b;
      }
      for (let k = 0; k < ids.length; k++) {
        const v = this.series.get(ids[k]!)![slot]!;
        if (Number.isNaN(v)) continue;
        if (cumulative[k]) {
          sums[k] = v;
          counts[k] = 1;
        } else {
          sums[k]! += v;
          counts[k]!++;
        }
      }
    }
    flush();
    return out;
  }

  /** Bytes held by the typed arrays (timestamps plus every series). */
  memoryBytes(): number {
    let bytes = this.times.byteLength;
    for (const ring of this.series.values()) bytes += ring.byteLength;
    return bytes;
  }

  /** Calls `listener` after every sample; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}
