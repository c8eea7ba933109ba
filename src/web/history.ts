/**
 * Bounded in-memory history for the built-in dashboard (Prometheus is the real store; this is what a developer
 * sees with nothing else running).
 *
 * Every `resolutionMs` the history evaluates the page's panel queries (sample.ts) and appends the results to
 * fixed-size ring buffers: one Float64Array of timestamps shared by all series and one Float64Array per result
 * series, each `capacity = retentionMs / resolutionMs` slots long. A series is allocated whole the first time
 * it appears and never grows, so memory is
 *
 *     (series + 1) * capacity * 8 bytes          (24 h at 5 s: 138 KB per series)
 *
 * At most `maxSeries` series are kept (default 1024: every series of 60 tools x 3 providers fits several times
 * over): a new series past that is not stored, and counted (`droppedSeries` at the latest sample,
 * `droppedSamples` in total), which the page shows. A series without a value for a whole retention is freed,
 * which also frees its place under the cap. `memoryBytes()` reports the exact typed-array total.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import { guarded } from '../metrics/guard.ts';
import { resolveMonitoringConfig, type MonitoringConfig } from '../monitoring/config.ts';
import { parseDuration } from '../query/evaluate.ts';
import { pageConfig, type PagePanel } from './panels.ts';
import {
  DEFAULT_RANGE_WINDOW,
  PanelSampler,
  defaultRateInterval,
  type LocalWindows,
  type SeriesInfo,
} from './sample.ts';

export interface HistoryOptions {
  /** Time between samples (default 5 s). */
  resolutionMs?: number;
  /** How far back samples are kept (default 24 h). */
  retentionMs?: number;
  /** Series kept at most; later ones are dropped and counted (default 1024). */
  maxSeries?: number;
  /** `$__rate_interval` of the panel queries (default: the larger of 1m and 4 samples). */
  rateInterval?: string;
  /** `$__range` of the instant panels (default 1h, or the retention if shorter): the window they cover. */
  rangeWindow?: string;
  /** Monitoring config of the panel queries (default: the built-in one, with the collector's prefix). */
  monitoring?: MonitoringConfig;
  /** The panels to sample (default: the page's, from `monitoring`). */
  panels?: readonly PagePanel[];
  /** Wall clock in ms (tests and the memory script use a synthetic one). */
  now?: () => number;
}

/** A stored series: its opaque key and what it is (panel, refId, labels). */
export interface HistorySeriesInfo extends SeriesInfo {
  key: string;
}

/** One sample as pushed to stream subscribers. */
export interface HistoryPoint {
  t: number;
  /** Value of every series of this sample, by key (null = unknown); series absent here have no value. */
  values: Record<string, number | null>;
  /** Series first stored with this sample. */
  added: HistorySeriesInfo[];
  /** Series of this sample not stored because the history is at its cap. */
  dropped_series: number;
}

export interface HistorySeries extends HistorySeriesInfo {
  values: Array<number | null>;
}

/** Result of a range query: bucket start times and one value per bucket per series. */
export interface HistoryRange {
  /** Bucket start times in ms, ascending. */
  t: number[];
  series: HistorySeries[];
  step: number;
  /** Series of the latest sample not stored because the history is at its cap, and the cap. */
  dropped_series: number;
  max_series: number;
}

export const DEFAULT_RESOLUTION_MS = 5_000;
export const DEFAULT_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_SERIES = 1024;
/** Bucket count a range query returns at most (the step is raised to fit). */
export const MAX_POINTS = 2_000;

export class HistoryError extends Error {
  override name = 'HistoryError';
}

function durationMs(option: string, value: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new HistoryError(`${option} must be a duration like 1m or 90s, got ${JSON.stringify(value)}`);
  }
}

type Listener = (point: HistoryPoint, snapshot: PerformanceSnapshot) => void;

interface Stored {
  info: HistorySeriesInfo;
  ring: Float64Array;
  /** Time of its latest value (or of its creation). */
  seen: number;
}

const anonymous = (key: string): SeriesInfo => ({ panel: key, refId: '', labels: {}, instant: false });

export class MetricHistory {
  readonly resolutionMs: number;
  readonly retentionMs: number;
  readonly capacity: number;
  readonly maxSeries: number;
  readonly windows: LocalWindows;
  /** Series of the latest sample that did not fit under maxSeries. */
  droppedSeries = 0;
  /** Values not stored since the start because their series did not fit under maxSeries. */
  droppedSamples = 0;
  private readonly now: () => number;
  private readonly times: Float64Array;
  private readonly series = new Map<string, Stored>();
  /** Next slot to write; the oldest sample is at `head` once the ring is full. */
  private head = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<Listener>();
  private lastSnapshot: PerformanceSnapshot | undefined;
  readonly sampler: PanelSampler | undefined;

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
    this.windows = {
      rateInterval: options.rateInterval ?? defaultRateInterval(resolutionMs),
      rangeWindow:
        options.rangeWindow ??
        (retentionMs < parseDuration(DEFAULT_RANGE_WINDOW) ? `${retentionMs}ms` : DEFAULT_RANGE_WINDOW),
    };
    const rate = durationMs('rateInterval', this.windows.rateInterval);
    if (rate < 2 * resolutionMs) {
      throw new HistoryError(
        `rateInterval must hold at least two samples (>= ${2 * resolutionMs} ms), got ${this.windows.rateInterval}`,
      );
    }
    const range = durationMs('rangeWindow', this.windows.rangeWindow);
    if (range < 2 * resolutionMs || range > retentionMs) {
      throw new HistoryError(
        `rangeWindow must hold at least two samples and fit in the retention, got ${this.windows.rangeWindow}`,
      );
    }
    if (collector) {
      const monitoring = options.monitoring ?? resolveMonitoringConfig({ prefix: collector.prefix });
      const panels =
        options.panels ?? pageConfig(monitoring, { mode: 'local', resolutionMs, retentionMs }).panels;
      this.sampler = new PanelSampler(collector, panels, monitoring, resolutionMs, this.windows);
    }
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
    const { values, info, snapshot } = this.sampler.sample(t);
    this.lastSnapshot = snapshot;
    const point = this.append(t, values, info);
    for (const listener of this.listeners) {
      try {
        listener(point, snapshot);
      } catch {
        // A broken subscriber (a closed stream) must not stop the sampling; it unsubscribes itself.
      }
    }
  }

  /**
   * Appends one sample. Times must not go backwards (a sample that would is dropped). `info` says what each
   * new series is (its panel, refId and labels).
   */
  append(
    t: number,
    values: ReadonlyMap<string, number | null>,
    info: ReadonlyMap<string, SeriesInfo> = new Map(),
  ): HistoryPoint {
    const point: HistoryPoint = { t, values: {}, added: [], dropped_series: 0 };
    if (this.size > 0 && t < this.times[(this.head + this.capacity - 1) % this.capacity]!) return point;
    const slot = this.head;
    this.times[slot] = t;
    // The slot being overwritten held the oldest sample: every stored series forgets it.
    for (const s of this.series.values()) s.ring[slot] = NaN;
    // A series without a value over the whole retention has nothing left to show: free it (and its place).
    for (const [key, s] of this.series) if (t - s.seen >= this.retentionMs) this.series.delete(key);
    let dropped = 0;
    for (const [key, v] of values) {
      let s = this.series.get(key);
      if (!s) {
        if (this.series.size >= this.maxSeries) {
          dropped++;
          continue;
        }
        const ring = new Float64Array(this.capacity).fill(NaN);
        s = { info: { key, ...(info.get(key) ?? anonymous(key)) }, ring, seen: t };
        this.series.set(key, s);
        point.added.push(s.info);
      }
      s.ring[slot] = v ?? NaN;
      if (v !== null) s.seen = t;
      point.values[key] = v;
    }
    this.droppedSeries = dropped;
    this.droppedSamples += dropped;
    point.dropped_series = dropped;
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

  seriesInfo(key: string): HistorySeriesInfo | undefined {
    return this.series.get(key)?.info;
  }

  /**
   * Samples with `t >= from`, in buckets of `step` ms aligned to multiples of `step` (so an incremental query
   * from the last bucket start returns the same buckets): the mean of each bucket, or for an instant panel's
   * series (an increase over a fixed window, a table) its last value. `step` is raised to the resolution and to
   * fit MAX_POINTS buckets.
   */
  query(from: number, step: number = this.resolutionMs, to: number = Infinity): HistoryRange {
    const out: HistoryRange = {
      t: [],
      series: [],
      step: Math.max(step, this.resolutionMs),
      dropped_series: this.droppedSeries,
      max_series: this.maxSeries,
    };
    if (this.size === 0) return out;
    const oldest = (this.head - this.size + this.capacity) % this.capacity;
    const first = Math.max(from, this.times[oldest]!);
    const last = Math.min(to, this.times[(this.head + this.capacity - 1) % this.capacity]!);
    step = Math.max(step, this.resolutionMs, Math.ceil((last - first) / MAX_POINTS));
    out.step = step;
    const stored = [...this.series.values()];
    out.series = stored.map((s) => ({ ...s.info, values: [] }));
    const sums = stored.map(() => 0);
    const counts = stored.map(() => 0);
    let bucket = NaN;
    const flush = (): void => {
      if (Number.isNaN(bucket)) return;
      out.t.push(bucket);
      for (let k = 0; k < stored.length; k++) {
        out.series[k]!.values.push(counts[k]! > 0 ? sums[k]! / counts[k]! : null);
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
      for (let k = 0; k < stored.length; k++) {
        const v = stored[k]!.ring[slot]!;
        if (Number.isNaN(v)) continue;
        if (stored[k]!.info.instant) {
          sums[k] = v;
          counts[k] = 1;
        } else {
          sums[k]! += v;
          counts[k]!++;
        }
      }
    }
    flush();
    // Series without a value in the range are left out.
    out.series = out.series.filter((s) => s.values.some((v) => v !== null));
    return out;
  }

  /** Bytes held by the typed arrays (timestamps plus every series). */
  memoryBytes(): number {
    let bytes = this.times.byteLength;
    for (const s of this.series.values()) bytes += s.ring.byteLength;
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
