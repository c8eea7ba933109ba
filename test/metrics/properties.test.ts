/**
 * Properties of the primitives and the sketch over random inputs (fast-check, seeded and bounded so the suite
 * stays fast and a failure replays): values in any order and at any magnitude from 1e-9 to 1e12, random
 * label names and values. Invariants: valid input never throws; quantiles are within the stated relative
 * error of the exact ones; counts are exact; distinct label sets stay distinct; the exposition is always
 * well formed, and a sample of it goes through the real `promtool check metrics`.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../src/metrics/catalog.ts';
import { Counter, Gauge, Histogram } from '../../src/metrics/primitives.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { ManualClock, QuantileTracker, RELATIVE_ACCURACY } from '../../src/metrics/sketch.ts';

const SEED = 20261127;
const run = <T>(property: fc.IProperty<T>, numRuns = 200): void => {
  fc.assert(property, { seed: SEED, numRuns });
};

/** Magnitudes spread evenly over 1e-9 .. 1e12, plus zero and the edges. */
const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -9, max: 12, noNaN: true }).map((e) => 10 ** e) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1e-9, 1e12, 9e8, 1) },
);
const values = fc.array(value, { minLength: 1, maxLength: 300 });
const quantile = fc.double({ min: 0, max: 1, noNaN: true });

/** The value at rank floor(q * (n - 1)) of the sorted values: the rule the sketch states. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function withinError(actual: number | null, exact: number): boolean {
  if (actual === null) return false;
  if (exact === 0) return actual === 0;
  return Math.abs(actual - exact) <= RELATIVE_ACCURACY * exact * (1 + 1e-12);
}

/** What a UTF-8 exposition shows of a string: lone surrogates become U+FFFD. */
function wellFormedString(v: string): string {
  return Buffer.from(v, 'utf8').toString('utf8');
}

const labelName = fc
  .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/)
  .filter((n) => !n.startsWith('__') && n !== 'le' && n !== 'quantile');
const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/);
/** Any non-empty string: quotes, backslashes, newlines, NUL, unicode, lone surrogates. */
const labelValue = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.constantFrom('__proto__', '__overflow__', 'constructor', 'a\u0000b', '"', '\\', '\n', 'x"\\\n'),
);

function spec<L extends string>(name: string, type: MetricSpec['type'], labels: readonly L[]): MetricSpec<L> {
  return {
    name,
    type,
    unit: 'count',
    category: 'collector',
    help: 'Generated \\ help\nwith a newline.',
    labels,
    ...(type === 'histogram' ? { buckets: [0.001, 1, 1000, 1e6] } : {}),
  };
}

/** Every line of a text exposition (0.0.4) as Prometheus's parser reads it. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*)?\})? (\+Inf|-Inf|NaN|-?\d+(\.\d+)?(e[+-]?\d+)?)$/;
const COMMENT_LINE =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\[\\n])*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram))$/;

function wellFormed(text: string): boolean {
  if (text === '') return true;
  if (!text.endsWith('\n')) return false;
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      if (!COMMENT_LINE.test(line)) return false;
      continue;
    }
    if (!SAMPLE_LINE.test(line)) return false;
    const series = line.slice(0, line.lastIndexOf(' '));
    if (seen.has(series)) return false; // a duplicate series is refused by Prometheus
    seen.add(series);
  }
  return true;
}

describe('sketch properties', () => {
  it('never throws, counts exactly, and every quantile is within the stated relative error', () => {
    run(
      fc.property(values, fc.array(quantile, { minLength: 1, maxLength: 5 }), (vs, qs) => {
        const t = new QuantileTracker({ clock: new ManualClock(0) });
        for (const v of vs) t.add(v);
        expect(t.recentCount()).toBe(vs.length);
        const sorted = [...vs].sort((a, b) => a - b);
        for (const q of qs) {
          expect(withinError(t.recent(q), exactQuantile(sorted, q))).toBe(true);
          expect(withinError(t.total(q), exactQuantile(sorted, q))).toBe(true);
        }
      }),
    );
  });

  it('stays exact across window rotations (values retired into the since-start store)', () => {
    run(
      fc.property(
        fc.array(fc.tuple(value, fc.integer({ min: 0, max: 90_000 })), { minLength: 1, maxLength: 200 }),
        quantile,
        (steps, q) => {
          const clock = new ManualClock(0);
          const t = new QuantileTracker({ clock, windowMs: 60_000, slices: 5 });
          for (const [v, dt] of steps) {
            clock.advance(dt);
            t.add(v);
          }
          const sorted = steps.map(([v]) => v).sort((a, b) => a - b);
          expect(withinError(t.total(q), exactQuantile(sorted, q))).toBe(true);
        },
      ),
    );
  });
});

describe('primitive properties', () => {
  it('histogram: bucket counts, count and sum are exact; percentiles within error; any order', () => {
    run(
      fc.property(values, (vs) => {
        const h = new Histogram(spec('h', 'histogram', []), { clock: new ManualClock(0) });
        for (const v of vs) h.observe(v);
        const c = h.series;
        expect(c.count).toBe(vs.length);
        let sum = 0;
        for (const v of vs) sum += v;
        expect(c.sum).toBe(sum);
        const bounds = [0.001, 1, 1000, 1e6, Infinity];
        let previous = 0;
        bounds.forEach((b, i) => {
          const upTo = vs.filter((v) => v <= b).length;
          expect(c.counts[i]).toBe(upTo - previous);
          previous = upTo;
        });
        const sorted = [...vs].sort((a, b) => a - b);
        expect(withinError(c.percentile(0.99), exactQuantile(sorted, 0.99))).toBe(true);
      }),
    );
  });

  it('counter and gauge: totals are exact sums and never leave the finite range', () => {
    run(
      fc.property(fc.array(fc.oneof(value, fc.constant(Number.MAX_VALUE)), { maxLength: 50 }), (vs) => {
        const c = new Counter(spec('c_total', 'counter', []));
        const g = new Gauge(spec('g', 'gauge', []));
        let sum = 0;
        for (const v of vs) {
          c.inc(v);
          g.inc(v);
          g.dec(v / 2);
          sum += v;
        }
        expect(Number.isFinite(c.value)).toBe(true);
        if (Number.isFinite(sum)) expect(c.value).toBe(sum);
        expect(vs.length === 0 ? Number.isNaN(g.value) : Number.isFinite(g.value)).toBe(true);
      }),
    );
  });

  it('distinct label sets are distinct series, whatever the values hold', () => {
    run(
      fc.property(
        fc.uniqueArray(labelName, { minLength: 1, maxLength: 3 }),
        fc.array(fc.array(labelValue, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 30 }),
        (names, sets) => {
          const c = new Counter(spec('c_total', 'counter', names));
          const distinct = new Set<string>();
          for (const set of sets) {
            const labels = Object.fromEntries(names.map((n, i) => [n, set[i]!]));
            c.labels(labels).inc();
            distinct.add(JSON.stringify(names.map((_, i) => wellFormedString(set[i]!))));
          }
          expect(c.seriesCount).toBe(distinct.size);
          expect(wellFormed(c.render('p_'))).toBe(true);
        },
      ),
    );
  });

  it('a random registry always renders a well-formed exposition; a sample passes promtool', () => {
    const family = fc.record({
      type: fc.constantFrom('counter', 'gauge', 'histogram') as fc.Arbitrary<MetricSpec['type']>,
      labels: fc.uniqueArray(labelName, { maxLength: 3 }),
      records: fc.array(fc.tuple(fc.array(labelValue, { minLength: 3, maxLength: 3 }), value), {
        maxLength: 8,
      }),
      maxSeries: fc.integer({ min: 1, max: 5 }),
    });
    const samples: string[] = [];
    run(
      fc.property(
        fc.uniqueArray(metricName, { minLength: 1, maxLength: 4 }),
        fc.array(family, { minLength: 4, maxLength: 4 }),
        (names, families) => {
          const registry = new Registry({ prefix: 'gen_' });
          names.forEach((name, k) => {
            const f = families[k]!;
            const suffix = f.type === 'counter' ? '_total' : '';
            const s = spec(`${name}${suffix}`, f.type, f.labels);
            const m =
              f.type === 'counter'
                ? new Counter(s, { maxSeries: f.maxSeries })
                : f.type === 'gauge'
                  ? new Gauge(s, { maxSeries: f.maxSeries })
                  : new Histogram(s, { maxSeries: f.maxSeries, clock: new ManualClock(0) });
            registry.register(m);
            for (const [vals, v] of f.records) {
              const labels = Object.fromEntries(f.labels.map((n, i) => [n, vals[i]!]));
              const target = (f.labels.length === 0 ? m : m.labels(labels as never)) as unknown as {
                inc(v: number): void;
                set(v: number): void;
                observe(v: number): void;
              };
              if (f.type === 'histogram') target.observe(v);
              else if (f.type === 'gauge') target.set(v);
              else target.inc(v);
            }
          });
          const text = registry.metricsText();
          expect(wellFormed(text)).toBe(true);
          if (samples.length < 10 && text !== '') samples.push(text);
        },
      ),
      100,
    );
    // Random names break promtool's style lints (camelCase, ':' and so on: lines saying what names "should"
    // be, exit 3); a parse error or a duplicate series is exit 1 with another message.
    expect(samples.length).toBeGreaterThan(5);
    for (const text of samples) {
      const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      const complaints = (res.stdout + res.stderr)
        .split('\n')
        .filter((l) => l.trim() !== '')
        .filter((l) => !/ should /.test(l));
      expect(complaints, text).toEqual([]);
      expect([0, 3]).toContain(res.status);
    }
  });
});
