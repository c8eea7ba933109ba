/**
 * Quantiles with a bounded relative error, in the manner of DDSketch: a value v lands in bucket
 * ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a), and a bucket's representative value is within a relative
 * error a of every value in it. Buckets are dense counters over the range seen so far (growing rarely, never per
 * value once the range is covered), clamped to [MIN_VALUE, MAX_VALUE], so memory per store is bounded.
 */

export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const INV_LN_GAMMA = 1 / Math.log(GAMMA);
/** Values below this count as zero (1 ns when the unit is milliseconds). */
export const MIN_VALUE = 1e-6;
/** Values above this are clamped (about 11.5 days in milliseconds). */
export const MAX_VALUE = 1e9;
const MIN_INDEX = Math.ceil(Math.log(MIN_VALUE) * INV_LN_GAMMA);
const MAX_INDEX = Math.ceil(Math.log(MAX_VALUE) * INV_LN_GAMMA);
/** Grow a store by at least this many buckets at a time, so growth is rare. */
const GROW_STEP = 64;

/** Bucket index of a value (ZERO_INDEX for values at or below MIN_VALUE). */
export const ZERO_INDEX = MIN_INDEX - 1;
export function sketchIndex(v: number): number {
  if (v <= MIN_VALUE) return ZERO_INDEX;
  if (v >= MAX_VALUE) return MAX_INDEX;
  return Math.ceil(Math.log(v) * INV_LN_GAMMA);
}

function representative(index: number): number {
  if (index === ZERO_INDEX) return 0;
  // The midpoint (in relative terms) of (gamma^(i-1), gamma^i].
  return (2 * Math.pow(GAMMA, index)) / (GAMMA + 1);
}

/** Dense counts over a contiguous range of bucket indexes. */
export class SketchStore {
  counts: Uint32Array = new Uint32Array(0);
  offset = 0;
  total = 0;

  add(index: number): void {
    const i = index - this.offset;
    if (i >= 0 && i < this.counts.length) {
      this.counts[i]!++;
    } else {
      this.grow(index);
      this.counts[index - this.offset]!++;
    }
    this.total++;
  }

  private grow(index: number): void {
    const old = this.counts;
    if (old.length === 0) {
      const lo = Math.max(ZERO_INDEX, index - GROW_STEP / 2);
      this.counts = new Uint32Array(GROW_STEP);
      this.offset = lo;
      return;
    }
    const lo = Math.max(ZERO_INDEX, Math.min(this.offset, index - GROW_STEP));
    const hi = Math.min(MAX_INDEX, Math.max(this.offset + old.length - 1, index + GROW_STEP));
    const next = new Uint32Array(hi - lo + 1);
    next.set(old, this.offset - lo);
    this.counts = next;
    this.offset = lo;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  get bytes(): number {
    return this.counts.byteLength;
  }
}

/**
 * The value at quantile q (0..1) over the given stores taken together, or null when they are empty.
 * The rank is q * (n - 1) over the sorted values, the rule numpy's default and DDSketch use.
 */
export function quantileOf(stores: readonly SketchStore[], q: number): number | null {
  let n = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of stores) {
    if (s.total === 0) continue;
    n += s.total;
    lo = Math.min(lo, s.offset);
    hi = Math.max(hi, s.offset + s.counts.length - 1);
  }
  if (n === 0) return null;
  const rank = Math.floor(q * (n - 1));
  let seen = 0;
  for (let index = lo; index <= hi; index++) {
    for (const s of stores) {
      const i = index - s.offset;
      if (i >= 0 && i < s.counts.length) seen += s.counts[i]!;
    }
    if (seen > rank) return representative(index);
  }
  return representative(hi);
}

/** Since-start and recent-window quantiles from one index computation per value. */
export interface WindowClock {
  /** Milliseconds; only compared, so any monotonic source will do. */
  readonly ms: number;
}

/**
 * A clock read once per observation must cost nothing: this one is a field that an unref'd timer refreshes
 * four times a second, so recording never calls Date.now().
 */
class CoarseClock implements WindowClock {
  ms = Date.now();
  private timer: NodeJS.Timeout | undefined;
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.ms = Date.now();
      }, 250);
      this.timer.unref();
    }
    return this;
  }
}

let coarse: CoarseClock | undefined;
export function coarseClock(): WindowClock {
  coarse ??= new CoarseClock().start();
  return coarse;
}

/** A clock for tests: set `ms` by hand. */
export class ManualClock implements WindowClock {
  constructor(public ms = 0) {}
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface WindowOptions {
  /** Length of the recent window in ms (default 5 minutes). */
  windowMs?: number;
  /** Sub-windows the window rotates through (default 5): the window covers between (n-1)/n and all of it. */
  slices?: number;
  clock?: WindowClock;
}

export const DEFAULT_WINDOW_MS = 5 * 60_000;

export class QuantileTracker {
  readonly sinceStart = new SketchStore();
  private readonly slices: SketchStore[];
  private readonly sliceMs: number;
  private readonly clock: WindowClock;
  private epoch: number;

  constructor(options: WindowOptions = {}) {
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    const n = options.slices ?? 5;
    if (!(windowMs > 0) || !Number.isInteger(n) || n < 1) {
      throw new RangeError(`invalid quantile window: windowMs=${windowMs}, slices=${n}`);
    }
    this.sliceMs = windowMs / n;
    this.slices = Array.from({ length: n }, () => new SketchStore());
    this.clock = options.clock ?? coarseClock();
    this.epoch = Math.floor(this.clock.ms / this.sliceMs);
  }

  add(v: number): void {
    const index = sketchIndex(v);
    this.sinceStart.add(index);
    const epoch = Math.floor(this.clock.ms / this.sliceMs);
    if (epoch !== this.epoch) this.rotate(epoch);
    this.slices[epoch % this.slices.length]!.add(index);
  }

  private rotate(epoch: number): void {
    // Clear every slice the clock moved past (all of them after a long pause).
    const steps = Math.min(epoch - this.epoch, this.slices.length);
    for (let k = 1; k <= steps; k++) this.slices[(this.epoch + k) % this.slices.length]!.clear();
    this.epoch = epoch;
  }

  /** Quantile over the recent window; null with no values in it. */
  recent(q: number): number | null {
    const epoch = Math.floor(this.clock.ms / this.sliceMs);
    if (epoch !== this.epoch) this.rotate(epoch);
    return quantileOf(this.slices, q);
  }

  /** Values in the recent window. */
  recentCount(): number {
    const epoch = Math.floor(this.clock.ms / this.sliceMs);
    if (epoch !== this.epoch) this.rotate(epoch);
    let n = 0;
    for (const s of this.slices) n += s.total;
    return n;
  }

  total(q: number): number | null {
    return quantileOf([this.sinceStart], q);
  }

  get bytes(): number {
    let b = this.sinceStart.bytes;
    for (const s of this.slices) b += s.bytes;
    return b;
  }
}
