/**
 * Deterministic randomness for the simulated workload: the same seed gives the same sequence of queries,
 * tool runs and provider outcomes (timings still vary with the machine, so the recorded latencies do too).
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** An item chosen with probability proportional to its weight. */
  weighted<T>(items: readonly T[], weight: (item: T) => number): T;
  /** Sampler of ranks 0..n-1 with P(k) proportional to 1/(k+1)^s: a few hot keys, a long tail. */
  zipf(n: number, s: number): () => number;
}

/** mulberry32: 32-bit state, good enough spread for a simulation, and fast. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min, max) => min + (max - min) * next(),
    chance: (p) => next() < p,
    weighted(items, weight) {
      let total = 0;
      for (const item of items) total += weight(item);
      let r = next() * total;
      for (const item of items) {
        r -= weight(item);
        if (r < 0) return item;
      }
      return items[items.length - 1]!;
    },
    zipf(n, s) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: n must be a positive integer, got ${n}`);
      // Cumulative weights once; each sample is a binary search.
      const cdf = new Float64Array(n);
      let total = 0;
      for (let k = 0; k < n; k++) cdf[k] = total += 1 / Math.pow(k + 1, s);
      return () => {
        const r = next() * total;
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid]! < r) lo = mid + 1;
          else hi = mid;
        }
        return lo;
      };
    },
  };
}
