/**
 * A quantile sketch as processes send it to each other: its non-empty buckets only, packed as varints in one
 * base64 string. A recent-window sketch holds hundreds of mostly empty buckets per series; as a JSON array
 * each costs characters to write and to parse on every collection, while one string passes through JSON (the
 * `cluster` IPC channel) and structured clone (`MessagePort`) as a single copy. Merging stays exact: counts
 * add bucket by bucket, decoded straight into one accumulator.
 */
import { SketchStore, ZERO_INDEX, type SketchState } from '../metrics/sketch.ts';

export interface PackedSketch {
  /** Observations in it. */
  readonly total: number;
  /** Lowest and highest non-empty bucket index (lo > hi when empty). */
  readonly lo: number;
  readonly hi: number;
  /**
   * Base64 of unsigned LEB128 varints: per non-empty bucket, its distance from the previous one (from `lo`
   * for the first), then its count.
   */
  readonly buckets: string;
}

export const EMPTY_SKETCH: PackedSketch = { total: 0, lo: 0, hi: -1, buckets: '' };

let scratch = new Uint8Array(4096);

/** The store a merge packed, so that reading the merged sketch again (its quantiles) decodes nothing. */
const stores = new WeakMap<PackedSketch, SketchStore>();

function ensure(size: number): void {
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
}

/** Writes `v` (an integer 0..2^53) at `at`; returns the position after it. */
function writeVarint(v: number, at: number): number {
  while (v >= 128) {
    scratch[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  scratch[at++] = v;
  return at;
}

/** Packs dense counts whose first bucket index is `offset`. */
export function packCounts(counts: ArrayLike<number>, offset: number): PackedSketch {
  let total = 0;
  let lo = -1;
  let hi = -1;
  let at = 0;
  let previous = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    ensure(at + 16); // two varints of a 2^53 value take at most 16 bytes
    if (lo < 0) {
      lo = i;
      previous = i;
    }
    at = writeVarint(i - previous, at);
    at = writeVarint(c, at);
    previous = i;
    hi = i;
    total += c;
  }
  if (lo < 0) return EMPTY_SKETCH;
  const buckets = Buffer.from(scratch.buffer, scratch.byteOffset, at).toString('base64');
  return { total, lo: offset + lo, hi: offset + hi, buckets };
}

export function packState(state: SketchState): PackedSketch {
  return packCounts(state.counts, state.offset);
}

function malformed(p: PackedSketch, problem: string): RangeError {
  return new RangeError(`malformed packed sketch (${problem}): ${JSON.stringify(p).slice(0, 200)}`);
}

/** Adds a packed sketch's counts into `acc`, whose first bucket index is `offset`; throws when malformed. */
function addInto(acc: Float64Array, offset: number, p: PackedSketch): void {
  const cached = stores.get(p);
  if (cached !== undefined) {
    const shift = cached.offset - offset;
    const counts = cached.counts;
    for (let i = 0; i < counts.length; i++) acc[shift + i]! += counts[i]!;
    return;
  }
  const bytes = Buffer.from(p.buckets, 'base64');
  let index = p.lo;
  let total = 0;
  let at = 0;
  let pair = 0; // 0: reading a gap, 1: reading a count
  let v = 0;
  let scale = 1;
  while (at < bytes.length) {
    const b = bytes[at++]!;
    v += (b & 127) * scale;
    if (b >= 128) {
      scale *= 128;
      continue;
    }
    if (pair === 0) {
      if (v === 0 && total > 0) throw malformed(p, 'repeated bucket');
      index += v;
      if (index > p.hi) throw malformed(p, `bucket ${index} above hi`);
    } else {
      acc[index - offset]! += v;
      total += v;
    }
    pair ^= 1;
    v = 0;
    scale = 1;
  }
  if (pair !== 0 || scale !== 1) throw malformed(p, 'truncated');
  if (total !== p.total) throw malformed(p, `counts add up to ${total}`);
}

function validRange(p: PackedSketch): boolean {
  return (
    Number.isSafeInteger(p.lo) &&
    Number.isSafeInteger(p.hi) &&
    Number.isSafeInteger(p.total) &&
    typeof p.buckets === 'string'
  );
}

/** Several packed sketches taken together, as one store (the counts add up exactly). */
export function storeFromPacked(sketches: readonly PackedSketch[]): SketchStore {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of sketches) {
    if (!validRange(p)) throw malformed(p, 'header');
    if (p.total === 0) continue;
    if (p.lo < ZERO_INDEX || p.lo > p.hi) throw malformed(p, 'range');
    lo = Math.min(lo, p.lo);
    hi = Math.max(hi, p.hi);
  }
  const store = new SketchStore();
  if (lo > hi) return store;
  if (hi - lo > 1 << 16) throw new RangeError(`packed sketches span buckets ${lo}..${hi}: too wide`);
  store.counts = new Float64Array(hi - lo + 1);
  store.offset = lo;
  for (const p of sketches) {
    if (p.total === 0) continue;
    addInto(store.counts, lo, p);
    store.total += p.total;
  }
  return store;
}

/** Several packed sketches merged into one. */
export function mergePacked(sketches: readonly PackedSketch[]): PackedSketch {
  const live = sketches.filter((p) => p.total > 0);
  if (live.length === 0) return EMPTY_SKETCH;
  if (live.length === 1) return live[0]!;
  const store = storeFromPacked(live);
  const merged = packCounts(store.counts, store.offset);
  stores.set(merged, store);
  return merged;
}
