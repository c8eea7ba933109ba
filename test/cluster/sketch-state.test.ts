/** Sketch states: serialising and merging loses nothing, so merged quantiles equal one sketch fed everything. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SketchStore,
  quantileOf,
  sketchIndex,
  sketchState,
  storeFromState,
} from '../../src/metrics/sketch.ts';
import { mergeSketches } from '../../src/cluster/state.ts';

function storeOf(values: readonly number[]): SketchStore {
  const s = new SketchStore();
  for (const v of values) s.add(sketchIndex(v));
  return s;
}

// Zero, sub-MIN_VALUE values and a wide range (the clamp at MAX_VALUE is the store's own business).
const value = fc.double({ min: 0, max: 1e7, noNaN: true });

describe('sketch states', () => {
  it('merging the states of any split equals one store over all values, at every quantile', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 60 }), { minLength: 1, maxLength: 6 }), (parts) => {
        const merged = storeFromState(
          mergeSketches(parts.map((p) => JSON.parse(JSON.stringify(sketchState([storeOf(p)]))))),
        );
        const whole = storeOf(parts.flat());
        expect(merged.total).toBe(whole.total);
        for (const q of [0, 0.01, 0.5, 0.95, 0.99, 1])
          expect(quantileOf([merged], q)).toBe(quantileOf([whole], q));
      }),
    );
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
