/**
 * `npm run bench`: victor-perf's recording and exposition side by side with prom-client 15 (what users would
 * pick instead) and a hand-written Float64Array histogram (the floor), in one run. Ratios, not absolute times:
 * the machines are noisy, and every contender shares the same noise.
 *
 * Also: quantile error against exact values on 1M log-normal samples, and bytes per histogram series.
 */
import client from 'prom-client';
import type { MetricSpec } from '../src/metrics/catalog.ts';
import { Counter, Histogram } from '../src/metrics/primitives.ts';
import { Registry } from '../src/metrics/registry.ts';
import { bench, benchAsync, lognormal, mulberry32, printTable, type Row } from './harness.ts';

const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000];
const N = 1 << 16;
const rand = mulberry32(42);
const samples = Float64Array.from({ length: N }, () => lognormal(rand, 0, 1));
const MASK = N - 1;

function histSpec(name: string, labels: string[]): MetricSpec {
  return {
    name,
    type: 'histogram',
    unit: 'milliseconds',
    category: 'tool_execution',
    help: 'h',
    labels,
    buckets: BUCKETS,
  };
}

// --- observe on a bound child ---
const ours = new Histogram(histSpec('bound_ms', ['tool'])).labels({ tool: 'grep' });
const promHist = new client.Histogram({
  name: 'bound_ms',
  help: 'h',
  labelNames: ['tool'],
  buckets: BUCKETS,
  registers: [],
});
const promChild = promHist.labels({ tool: 'grep' });

class FloorHistogram {
  counts = new Float64Array(BUCKETS.length + 1);
  bounds = Float64Array.from(BUCKETS);
  sum = 0;
  count = 0;
  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}
const floor = new FloorHistogram();

const rows: Row[] = [];
let k = 0;
rows.push(
  ...(await bench('histogram observe, bound child', {
    'victor-perf': (n) => {
      for (let i = 0; i < n; i++) ours.observe(samples[k++ & MASK]!);
    },
    'prom-client labels().observe': (n) => {
      for (let i = 0; i < n; i++) promHist.labels({ tool: 'grep' }).observe(samples[k++ & MASK]!);
    },
    'prom-client bound child': (n) => {
      for (let i = 0; i < n; i++) promChild.observe(samples[k++ & MASK]!);
    },
    'Float64Array floor': (n) => {
      for (let i = 0; i < n; i++) floor.observe(samples[k++ & MASK]!);
    },
  })),
);

// --- counter inc ---
const ourCounter = new Counter({
  name: 'c_total',
  type: 'counter',
  unit: 'count',
  category: 'collector',
  help: 'c',
  labels: ['status'],
}).labels({ status: 'ok' });
const promCounter = new client.Counter({ name: 'c_total', help: 'c', labelNames: ['status'], registers: [] });
const promCounterChild = promCounter.labels({ status: 'ok' });
rows.push(
  ...(await bench('counter inc, bound child', {
    'victor-perf': (n) => {
      for (let i = 0; i < n; i++) ourCounter.inc();
    },
    'prom-client labels().inc': (n) => {
      for (let i = 0; i < n; i++) promCounter.labels({ status: 'ok' }).inc();
    },
    'prom-client bound child': (n) => {
      for (let i = 0; i < n; i++) promCounterChild.inc();
    },
  })),
);

// --- unbound labelled observe (label resolution on every call) ---
const tools = ['grep', 'read_file', 'write_file', 'shell', 'search', 'browse', 'edit', 'test'];
const oursUnbound = new Histogram(histSpec('unbound_ms', ['tool']));
const promUnbound = new client.Histogram({
  name: 'unbound_ms',
  help: 'h',
  labelNames: ['tool'],
  buckets: BUCKETS,
  registers: [],
});
rows.push(
  ...(await bench('histogram observe, labels resolved per call', {
    'victor-perf': (n) => {
      for (let i = 0; i < n; i++) oursUnbound.labels({ tool: tools[k & 7]! }).observe(samples[k++ & MASK]!);
    },
    'prom-client': (n) => {
      for (let i = 0; i < n; i++) promUnbound.labels({ tool: tools[k & 7]! }).observe(samples[k++ & MASK]!);
    },
  })),
);

// --- exposition of 100 histograms x 20 label sets ---
const ourRegistry = new Registry({ prefix: '' });
const promRegistry = new client.Registry();
for (let m = 0; m < 100; m++) {
  const h = ourRegistry.register(new Histogram(histSpec(`family_${m}_ms`, ['route'])));
  const p = new client.Histogram({
    name: `family_${m}_ms`,
    help: 'h',
    labelNames: ['route'],
    buckets: BUCKETS,
    registers: [promRegistry],
  });
  for (let s = 0; s < 20; s++) {
    const route = `/api/route_${s}`;
    const c = h.labels({ route });
    const pc = p.labels({ route });
    for (let i = 0; i < 50; i++) {
      const v = samples[((m * 20 + s) * 50 + i) & MASK]!;
      c.observe(v);
      pc.observe(v);
    }
  }
}
let sink = 0;
rows.push(
  ...(await benchAsync(
    'exposition, 100 histograms x 20 label sets',
    {
      'victor-perf': () => {
        sink += ourRegistry.metricsText().length;
      },
      'prom-client register.metrics()': async () => {
        sink += (await promRegistry.metrics()).length;
      },
    },
    { minMs: 1500 },
  )),
);

printTable(rows);

// --- quantile accuracy: 1M log-normal samples ---
{
  const r = mulberry32(7);
  const n = 1_000_000;
  const values = new Float64Array(n);
  const h = new Histogram(histSpec('acc_ms', []));
  const prom = new client.Summary({
    name: 'acc_ms',
    help: 'h',
    percentiles: [0.5, 0.95, 0.99],
    registers: [],
  });
  for (let i = 0; i < n; i++) {
    const v = lognormal(r, 2, 1.2);
    values[i] = v;
    h.observe(v);
    prom.observe(v);
  }
  const sorted = values.slice().sort();
  const promValues = new Map((await prom.get()).values.map((v) => [v.labels.quantile, v.value]));
  console.log('\nQuantile error vs exact, 1M log-normal samples (mu=2, sigma=1.2):');
  console.log('  q      exact          victor-perf    rel.err   prom-client Summary  rel.err');
  for (const q of [0.5, 0.95, 0.99, 0.999]) {
    const exact = sorted[Math.floor(q * (n - 1))]!;
    const got = h.series.percentile(q)!;
    const pv = promValues.get(q);
    const pErr = pv === undefined ? '   n/a' : `${((Math.abs(pv - exact) / exact) * 100).toFixed(3)}%`;
    console.log(
      `  ${String(q).padEnd(6)} ${exact.toFixed(4).padStart(12)}  ${got.toFixed(4).padStart(12)}  ${((Math.abs(got - exact) / exact) * 100).toFixed(3).padStart(6)}%   ${pv === undefined ? '' : pv.toFixed(4).padStart(12)}  ${pErr}`,
    );
  }
  console.log(
    `\nBytes per histogram series after those 1M samples: ${h.series.bytes} (15 buckets, since-start + 5-slice window sketches)`,
  );
  const small = new Histogram(histSpec('small_ms', [])).series;
  for (let i = 0; i < 10_000; i++) small.observe(lognormal(r, 0, 0.5));
  console.log(`Bytes per histogram series, 10k samples of a narrow latency (sigma 0.5): ${small.bytes}`);
}
if (sink === 42) console.log('');
