/**
 * Sketch states: serialising, packing and merging lose nothing, so merged quantiles equal one sketch fed
 * everything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SketchStore,
  quantileOf,
  sketchIndex,
  sketchState,
  storeFromState,
} from '../../src/metrics/sketch.ts';
import { mergePacked, packCounts, packState, storeFromPacked } from '../../src/cluster/packed-sketch.ts';

function storeOf(values: readonly number[]): SketchStore {
  const s = new SketchStore();
  for (const v of values) s.add(sketchIndex(v));
  return s;
}

// Zero, sub-MIN_VALUE values and a wide range (the clamp at MAX_VALUE is the store's own business).
const value = fc.double({ min: 0, max: 1e7, noNaN: true });

describe('sketch states', () => {
  it('merging the packed states of any split equals one store over all values, at every quantile', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 60 }), { minLength: 1, maxLength: 6 }), (parts) => {
        // Through JSON, as a `cluster` worker's report travels.
        const packed = parts.map((p) => JSON.parse(JSON.stringify(packState(sketchState([storeOf(p)])))));
        const whole = storeOf(parts.flat());
        for (const merged of [storeFromPacked(packed), storeFromPacked([mergePacked(packed)])]) {
          expect(merged.total).toBe(whole.total);
          for (const q of [0, 0.01, 0.5, 0.95, 0.99, 1])
            expect(quantileOf([merged], q)).toBe(quantileOf([whole], q));
        }
      }),
    );
  });

  it('packs any counts, up to 2^53, and unpacks them exactly', () => {
    const count = fc.oneof(
      fc.constant(0),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    );
    fc.assert(
      fc.property(fc.array(count, { maxLength: 300 }), fc.integer({ min: 0, max: 4000 }), (counts, at) => {
        const offset = sketchIndex(0) + at;
        const total = counts.reduce((a, b) => a + b, 0);
        fc.pre(Number.isSafeInteger(total));
        const store = storeFromPacked([packCounts(counts, offset)]);
        expect(store.total).toBe(total);
        const back = new Map<number, number>();
        store.counts.forEach((c, i) => c > 0 && back.set(store.offset + i, c));
        const want = new Map<number, number>();
        counts.forEach((c, i) => c > 0 && want.set(offset + i, c));
        expect(back).toEqual(want);
      }),
    );
  });

  it('rejects a packed sketch whose buckets do not match its header', () => {
    const p = packCounts([1, 0, 2], sketchIndex(1));
    expect(() => storeFromPacked([{ ...p, total: 4 }])).toThrow(/add up to 3/);
    expect(() => storeFromPacked([{ ...p, hi: p.lo }])).toThrow(/above hi/);
    expect(() => storeFromPacked([{ ...p, buckets: p.buckets.slice(0, 2) }])).toThrow(/malformed/);
  });

  it('keeps only the non-empty range', () => {
    const s = storeOf([3, 3, 5]);
    const state = sketchState([s]);
    expect(state.counts[0]).toBe(2);
    expect(state.counts.at(-1)).toBe(1);
    expect(sketchState([new SketchStore()]).counts).toEqual([]);
  });

  it('rejects malformed states with the problem in the message', () => {
    expect(() => storeFromState({ offset: 1.5, counts: [] })).toThrow(/integer offset/);
    expect(() => storeFromState({ offset: 0, counts: [1] })).toThrow(/outside/);
    const ok = sketchState([storeOf([1])]);
    expect(() => storeFromState({ offset: ok.offset, counts: [-1] })).toThrow(/count 0 is -1/);
  });
});
