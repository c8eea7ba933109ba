/**
 * A small benchmark harness: cases of one comparison run interleaved, round after round, so that they share
 * whatever noise the machine has; the median round decides. Results are reported as ratios to the first case.
 */
export interface Row {
  group: string;
  name: string;
  nsPerOp: number;
  /** This case's time over the first case's (victor-perf is first: > 1 means slower than ours). */
  ratio: number;
}

export interface BenchOptions {
  /** Total time per case, across all rounds. */
  minMs?: number;
  rounds?: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function rows(group: string, results: Map<string, number[]>): Row[] {
  const entries = [...results].map(([name, times]) => ({ name, ns: median(times) }));
  const base = entries[0]!.ns;
  return entries.map((e) => ({ group, name: e.name, nsPerOp: e.ns, ratio: e.ns / base }));
}

/**
 * Synchronous cases. A case does `n` operations per call, with its own loop, so that the harness's call
 * overhead is paid once per batch and not once per operation.
 */
export function bench(
  group: string,
  cases: Record<string, (n: number) => void>,
  options: BenchOptions = {},
): Row[] {
  const rounds = options.rounds ?? 7;
  const perRound = (options.minMs ?? 700) / rounds;
  const results = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) fn(50_000); // warm-up for the JIT
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      let ops = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < perRound * 1e6) {
        fn(1000);
        ops += 1000;
        elapsed = Number(process.hrtime.bigint() - start);
      }
      results.get(name)!.push(elapsed / ops);
    }
  }
  return rows(group, results);
}

/** Cases that may return a promise (slow operations: one call per sample). */
export async function benchAsync(
  group: string,
  cases: Record<string, () => unknown>,
  options: BenchOptions = {},
): Promise<Row[]> {
  const rounds = options.rounds ?? 7;
  const perRound = (options.minMs ?? 700) / rounds;
  const results = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (const fn of Object.values(cases)) for (let i = 0; i < 5; i++) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      let ops = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < perRound * 1e6) {
        await fn();
        ops++;
        elapsed = Number(process.hrtime.bigint() - start);
      }
      results.get(name)!.push(elapsed / ops);
    }
  }
  return rows(group, results);
}

export function printTable(all: Row[]): void {
  let group = '';
  for (const r of all) {
    if (r.group !== group) {
      group = r.group;
      console.log(`\n${group}`);
    }
    const time = r.nsPerOp >= 1e6 ? `${(r.nsPerOp / 1e6).toFixed(2)} ms` : `${r.nsPerOp.toFixed(1)} ns`;
    const ratio = r.ratio === 1 ? 'baseline' : `${r.ratio.toFixed(2)}x ours`;
    console.log(`  ${r.name.padEnd(34)} ${time.padStart(12)}/op   ${ratio}`);
  }
}

/** Deterministic PRNG (mulberry32), so every run measures the same data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A log-normal sample: exp(mu + sigma * N(0,1)), by Box-Muller. */
export function lognormal(rand: () => number, mu: number, sigma: number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}
