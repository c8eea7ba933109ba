/**
 * Quantiles with a bounded relative error, from a log-linear bucketing (as in HdrHistogram): a value's bucket
 * is its binary exponent followed by the top SUB_BITS bits of its mantissa, read straight from the IEEE 754
 * bits, so recording takes no logarithm. Each octave [2^e, 2^(e+1)) is cut into 2^SUB_BITS equal buckets; the
 * midpoint of a bucket is within half a bucket width of every value in it, a relative error of at most
 * 1 / 2^(SUB_BITS + 1) (0.78 % for 6 bits). Buckets are dense counters over the range seen so far (growing
 * rarely, never per value once the range is covered), clamped to [MIN_VALUE, MAX_VALUE], so memory per store
 * is bounded (at most 72 octaves of 64 buckets). Stores count in doubles: exact up to 2^53 values.
 */

const SUB_BITS = 6;
export const RELATIVE_ACCURACY = 1 / 2 ** (SUB_BITS + 1);
/** Values at or below this (2^-31, about 4.7e-10) count as zero. */
export const MIN_VALUE = 2 ** -31;
/** Values above this (2^41, about 2.2e12: 70 years in milliseconds) are clamped. */
export const MAX_VALUE = 2 ** 41;
/** Grow a store by at least this many buckets at a time, so growth is rare. */
const GROW_STEP = 64;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the high word of a double in `u32` (1 on little-endian machines). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

function rawIndex(v: number): number {
  f64[0] = v;
  // Sign bit is 0 for the positive values we take; 11 exponent bits then the top SUB_BITS mantissa bits.
  return u32[HI]! >>> (20 - SUB_BITS);
}

const MIN_INDEX = rawIndex(MIN_VALUE);
const MAX_INDEX = rawIndex(MAX_VALUE);
/** Bucket index of zero (and of every value at or below MIN_VALUE). */
export const ZERO_INDEX = MIN_INDEX - 1;

export function sketchIndex(v: number): number {
  if (v <= MIN_VALUE) return ZERO_INDEX;
  if (v >= MAX_VALUE) return MAX_INDEX;
  return rawIndex(v);
}

function representative(index: number): number {
  if (index === ZERO_INDEX) return 0;
  const exponent = (index >>> SUB_BITS) - 1023;
  const sub = index & ((1 << SUB_BITS) - 1);
  const width = 2 ** exponent / 2 ** SUB_BITS;
  const lower = 2 ** exponent + sub * width;
  return lower + width / 2;
}

/** Dense counts over a contiguous range of bucket indexes. */
export class SketchStore {
  counts: Float64Array = new Float64Array(0);
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

  /**
   * Makes room for `index` (and GROW_STEP buckets beyond it, so growth is rare), within
   * [ZERO_INDEX, MAX_INDEX] and never smaller than the range already held.
   */
  private grow(index: number): void {
    const old = this.counts;
    const oldLo = old.length === 0 ? index : this.offset;
    const oldHi = old.length === 0 ? index : this.offset + old.length - 1;
    const lo = Math.max(ZERO_INDEX, Math.min(oldLo, index - GROW_STEP));
    const hi = Math.min(MAX_INDEX, Math.max(oldHi, index + GROW_STEP));
    const next = new Float64Array(hi - lo + 1);
    if (old.length > 0) next.set(old, this.offset - lo);
    this.counts = next;
    this.offset = lo;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** Adds another store's counts to this one (rare: when a window slice retires). */
  merge(other: SketchStore): void {
    if (other.total === 0) return;
    let first = -1;
    let last = -1;
    for (let i = 0; i < other.counts.length; i++) {
      if (other.counts[i]! > 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    // Make room for both ends once, then add bucket by bucket.
    this.reserve(other.offset + first);
    this.reserve(other.offset + last);
    for (let i = first; i <= last; i++) this.counts[other.offset + i - this.offset]! += other.counts[i]!;
    this.total += other.total;
  }

  private reserve(index: number): void {
    const i = index - this.offset;
    if (i < 0 || i >= this.counts.length) this.grow(index);
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

/**
 * Recent-window and since-start quantiles. A value goes into the current slice only (one counter update);
 * when the window moves past a slice, its counts are folded into the since-start store before it is reused.
 */
export class QuantileTracker {
  /** Everything that has left the window; since-start = this plus the live slices. */
  readonly retired = new SketchStore();
  private readonly slices: SketchStore[];
  private readonly sliceMs: number;
  private readonly clock: WindowClock;
  private epoch: number;
  private current: SketchStore;
  /** Clock time at which the current slice ends: one comparison per value instead of a division. */
  private nextRotateAt: number;

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
    this.current = this.slices[this.epoch % n]!;
    this.nextRotateAt = (this.epoch + 1) * this.sliceMs;
  }

  add(v: number): void {
    if (this.clock.ms >= this.nextRotateAt) this.rotate();
    this.current.add(sketchIndex(v));
  }

  private rotate(): void {
    const epoch = Math.floor(this.clock.ms / this.sliceMs);
    if (epoch === this.epoch) return;
    // Retire every slice the clock moved past (all of them after a long pause).
    const n = this.slices.length;
    const steps = Math.min(epoch - this.epoch, n);
    for (let k = 1; k <= steps; k++) {
      const slice = this.slices[(this.epoch + k) % n]!;
      if (slice.total > 0) {
        this.retired.merge(slice);
        slice.clear();
      }
    }
    this.epoch = epoch;
    this.current = this.slices[epoch % n]!;
    this.nextRotateAt = (epoch + 1) * this.sliceMs;
  }

  /** Quantile over the recent window; null with no values in it. */
  recent(q: number): number | null {
    this.rotate();
    return quantileOf(this.slices, q);
  }

  /** Values in the recent window. */
  recentCount(): number {
    this.rotate();
    let n = 0;
    for (const s of this.slices) n += s.total;
    return n;
  }

  /** Quantile over every value since start. */
  total(q: number): number | null {
    this.rotate();
    return quantileOf([this.retired, ...this.slices], q);
  }

  get bytes(): number {
    let b = this.retired.bytes;
    for (const s of this.slices) b += s.bytes;
    return b;
  }

  /** The recent window's counts as one serialisable store (for merging across processes). */
  recentState(): SketchState {
    this.rotate();
    return sketchState(this.slices);
  }
}

/**
 * Counts of one or more stores taken together, over their non-empty range only: plain numbers, so the state
 * survives JSON and structured clone. Merging states is exact, bucket by bucket, so quantiles over merged
 * states keep the stated relative error.
 */
export interface SketchState {
  /** Bucket index of `counts[0]`. */
  readonly offset: number;
  readonly counts: readonly number[];
}

export function sketchState(stores: readonly SketchStore[]): SketchState {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of stores) {
    for (let i = 0; i < s.counts.length; i++) {
      if (s.counts[i]! > 0) {
        lo = Math.min(lo, s.offset + i);
        hi = Math.max(hi, s.offset + i);
      }
    }
  }
  if (lo > hi) return { offset: ZERO_INDEX, counts: [] };
  const counts = new Array<number>(hi - lo + 1).fill(0);
  for (const s of stores) {
    for (let i = 0; i < s.counts.length; i++) {
      const c = s.counts[i]!;
      if (c > 0) counts[s.offset + i - lo]! += c;
    }
  }
  return { offset: lo, counts };
}

/** A store holding a state's counts; throws a RangeError naming the problem when the state is malformed. */
export function storeFromState(state: SketchState): SketchStore {
  const { offset, counts } = state ?? ({} as SketchState);
  if (!Number.isInteger(offset) || !Array.isArray(counts)) {
    throw new RangeError(
      `sketch state needs an integer offset and a counts array, got ${JSON.stringify(state)}`,
    );
  }
  if (counts.length > 0 && (offset < ZERO_INDEX || offset + counts.length - 1 > MAX_INDEX)) {
    throw new RangeError(
      `sketch state covers buckets ${offset}..${offset + counts.length - 1}, outside ${ZERO_INDEX}..${MAX_INDEX}`,
    );
  }
  const store = new SketchStore();
  store.counts = new Float64Array(counts.length);
  store.offset = counts.length > 0 ? offset : ZERO_INDEX;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!Number.isInteger(c) || c! < 0) throw new RangeError(`sketch state count ${i} is ${String(c)}`);
    store.counts[i] = c!;
    store.total += c!;
  }
  return store;
}
