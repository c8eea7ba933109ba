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
 * The rounds of one comparison: each round gives every case `perRound` ms, through `batch`, which runs the
 * case once and says how many operations that was.
 */
async function rounds<F>(
  group: string,
  cases: Record<string, F>,
  options: BenchOptions,
  batch: (fn: F) => number | Promise<number>,
): Promise<Row[]> {
  const n = options.rounds ?? 7;
  const perRoundNs = ((options.minMs ?? 700) / n) * 1e6;
  const results = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (let r = 0; r < n; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      let ops = 0;
      const start = process.hrtime.bigint();
      let elapsed = 0;
      while (elapsed < perRoundNs) {
        ops += await batch(fn);
        elapsed = Number(process.hrtime.bigint() - start);
      }
      results.get(name)!.push(elapsed / ops);
    }
  }
  return rows(group, results);
}

/**
 * Synchronous cases. A case does `n` operations per call, with its own loop, so that the harness's call
 * overhead (an await included) is paid once per 1000 operations and not once per operation.
 */
export function bench(
  group: string,
  cases: Record<string, (n: number) => void>,
  options: BenchOptions = {},
): Promise<Row[]> {
  for (const fn of Object.values(cases)) fn(50_000); // warm-up for the JIT
  return rounds(group, cases, options, (fn) => (fn(1000), 1000));
}

/** Cases that may return a promise (slow operations: one call per sample). */
export async function benchAsync(
  group: string,
  cases: Record<string, () => unknown>,
  options: BenchOptions = {},
): Promise<Row[]> {
  for (const fn of Object.values(cases)) for (let i = 0; i < 5; i++) await fn();
  return rounds(group, cases, options, async (fn) => (await fn(), 1));
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
