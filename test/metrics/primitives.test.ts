import { describe, expect, it } from 'vitest';
import { CATALOG, OVERFLOW_LABEL_VALUE, type MetricSpec } from '../../src/metrics/catalog.ts';
import { MetricError } from '../../src/metrics/names.ts';
import { Counter, Gauge, Histogram } from '../../src/metrics/primitives.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';

const counterSpec = <L extends string>(labels: readonly L[], name = 'requests_total'): MetricSpec<L> => ({
  name,
  type: 'counter',
  unit: 'count',
  category: 'collector',
  help: 'Requests.',
  labels,
});

describe('counter', () => {
  it('renders HELP, TYPE and one line per label set, byte for byte', () => {
    const c = new Counter(counterSpec(['route', 'code']));
    c.labels({ route: '/a', code: '200' }).inc();
    c.labels({ route: '/a', code: '200' }).inc(2);
    c.labels({ route: '/b', code: '500' }).inc(0.5);
    expect(c.render('app_')).toBe(
      '# HELP app_requests_total Requests.\n' +
        '# TYPE app_requests_total counter\n' +
        'app_requests_total{route="/a",code="200"} 3\n' +
        'app_requests_total{route="/b",code="500"} 0.5\n',
    );
  });

  it('an unlabelled counter records on the metric itself', () => {
    const c = new Counter(counterSpec([]));
    c.inc();
    c.inc(4);
    expect(c.value).toBe(5);
    expect(c.render('')).toBe(
      '# HELP requests_total Requests.\n# TYPE requests_total counter\nrequests_total 5\n',
    );
  });

  it('escapes label values and help text', () => {
    const c = new Counter({ ...counterSpec(['path']), help: 'A \\ back\nslash.' });
    c.labels({ path: 'C:\\dir "x"\nnext' }).inc();
    expect(c.render('')).toBe(
      '# HELP requests_total A \\\\ back\\nslash.\n' +
        '# TYPE requests_total counter\n' +
        'requests_total{path="C:\\\\dir \\"x\\"\\nnext"} 1\n',
    );
  });

  it.each([NaN, -1, Infinity, -Infinity])('rejects the increment %s with a message naming it', (bad) => {
    const c = new Counter(counterSpec([]));
    expect(() => c.inc(bad)).toThrow(new RegExp(`requests_total.*got ${String(bad)}`));
    expect(c.value).toBe(0);
  });

  it('a bound child is the same object on every resolution', () => {
    const c = new Counter(counterSpec(['tool']));
    expect(c.labels({ tool: 'grep' })).toBe(c.labels({ tool: 'grep' }));
  });
});

describe('metric and label validation', () => {
  it.each(['1abc', 'has-dash', 'sp ace', ''])('rejects metric name %j', (name) => {
    expect(() => new Counter(counterSpec([], name))).toThrow(MetricError);
    expect(() => new Counter(counterSpec([], name))).toThrow(JSON.stringify(name));
  });

  it.each([
    ['le', /reserved for histogram/],
    ['quantile', /reserved for histogram/],
    ['__name', /reserved \(starts with __\)/],
    ['bad-label', /invalid label name "bad-label"/],
  ])('rejects label name %s', (label, message) => {
    expect(() => new Counter(counterSpec([label]))).toThrow(message);
  });

  it('rejects a duplicate label name', () => {
    expect(() => new Counter(counterSpec(['a', 'a']))).toThrow(/label "a" is declared twice/);
  });

  it('rejects missing, non-string and unknown label values', () => {
    const c = new Counter(counterSpec(['tool']));
    expect(() => c.labels({} as { tool: string })).toThrow(
      /label tool must be a non-empty string .*, got nothing/,
    );
    expect(() => c.labels({ tool: 3 } as unknown as { tool: string })).toThrow(
      /label tool must be a non-empty string .*, got 3/,
    );
    expect(() => c.labels({ tool: 'a', extra: 'b' } as { tool: string })).toThrow(/unknown label "extra"/);
  });

  it('rejects a spec of another type', () => {
    expect(() => new Gauge(counterSpec([]) as never)).toThrow(/spec type counter is not gauge/);
  });

  it('rejects unordered or infinite buckets', () => {
    const spec = { ...CATALOG.toolSelectionDuration, buckets: [1, 1, 2] };
    expect(() => new Histogram(spec)).toThrow(/bucket bounds must increase, got 1 then 1/);
    expect(() => new Histogram({ ...spec, buckets: [1, Infinity] })).toThrow(/not finite/);
  });
});

describe('gauge', () => {
  it('leaves unknown values out of the exposition (absent, not 0)', () => {
    const g = new Gauge(CATALOG.cacheHitRate);
    expect(g.render('victor_')).toBe('');
    g.labels({ namespace: 'query' }).set(0.75);
    g.labels({ namespace: 'context' }).setOrUnknown(null);
    expect(g.render('victor_')).toBe(
      '# HELP victor_cache_hit_rate Tool selection cache hit rate (0-1); absent while a namespace has had no lookups.\n' +
        '# TYPE victor_cache_hit_rate gauge\n' +
        'victor_cache_hit_rate{namespace="query"} 0.75\n',
    );
  });

  it('pulls its value through a callback at collection time', () => {
    let reads = 0;
    const g = new Gauge(CATALOG.systemThreads, {
      collect: (gauge) => {
        reads++;
        gauge.set(7);
      },
    });
    const registry = new Registry();
    registry.register(g);
    expect(reads).toBe(0);
    expect(registry.metricsText()).toContain('victor_system_threads 7\n');
    expect(reads).toBe(1);
  });

  it.each([NaN, Infinity])('rejects %s', (bad) => {
    const g = new Gauge(CATALOG.systemThreads);
    expect(() => g.set(bad)).toThrow(/system_threads: gauge value must be a finite number/);
  });
});

describe('histogram', () => {
  const spec: MetricSpec<'tool'> = {
    name: 'op_ms',
    type: 'histogram',
    unit: 'milliseconds',
    category: 'tool_execution',
    help: 'Op.',
    labels: ['tool'],
    buckets: [1, 5, 10],
  };

  it('renders cumulative buckets, +Inf, _sum and _count byte for byte', () => {
    const h = new Histogram(spec);
    const child = h.labels({ tool: 'grep' });
    for (const v of [0.5, 1, 3, 7, 20]) child.observe(v);
    expect(h.render('x_')).toBe(
      '# HELP x_op_ms Op.\n' +
        '# TYPE x_op_ms histogram\n' +
        'x_op_ms_bucket{tool="grep",le="1"} 2\n' +
        'x_op_ms_bucket{tool="grep",le="5"} 3\n' +
        'x_op_ms_bucket{tool="grep",le="10"} 4\n' +
        'x_op_ms_bucket{tool="grep",le="+Inf"} 5\n' +
        'x_op_ms_sum{tool="grep"} 31.5\n' +
        'x_op_ms_count{tool="grep"} 5\n',
    );
  });

  it('renders an unlabelled histogram without a stray comma', () => {
    const h = new Histogram({ ...spec, labels: [] });
    h.observe(2);
    expect(h.render('')).toContain(
      'op_ms_bucket{le="5"} 1\nop_ms_bucket{le="10"} 1\nop_ms_bucket{le="+Inf"} 1\n',
    );
    expect(h.render('')).toContain('op_ms_sum 2\nop_ms_count 1\n');
  });

  it.each([NaN, -0.001, Infinity, -Infinity])('rejects the observation %s and keeps its counts', (bad) => {
    const child = new Histogram(spec).labels({ tool: 'a' });
    child.observe(1);
    expect(() => child.observe(bad)).toThrow(/op_ms: observation must be a finite number >= 0/);
    expect(child.count).toBe(1);
    expect(child.sum).toBe(1);
  });

  it('keeps min, max and quantiles within 1% of the exact values', () => {
    const child = new Histogram(spec).labels({ tool: 'a' });
    const values = Array.from({ length: 10_000 }, (_, i) => 0.01 * (i + 1)); // 0.01 .. 100
    for (const v of values) child.observe(v);
    expect(child.min).toBe(0.01);
    expect(child.max).toBe(100);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.floor(q * (values.length - 1))]!;
      const got = child.percentile(q)!;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(0.01);
    }
  });

  it('forgets values older than the window but keeps them since start', () => {
    const clock = new ManualClock(0);
    const child = new Histogram(spec, { windowMs: 60_000, slices: 4, clock }).labels({ tool: 'a' });
    for (let i = 0; i < 100; i++) child.observe(1000);
    clock.advance(30_000);
    for (let i = 0; i < 100; i++) child.observe(1);
    expect(child.percentile(0.99)).toBeGreaterThan(900);
    clock.advance(45_000); // the slow values are now 75 s old, past the 60 s window
    expect(child.percentile(0.99)).toBeCloseTo(1, 1);
    expect(child.percentileSinceStart(0.99)).toBeGreaterThan(900);
    clock.advance(120_000);
    expect(child.percentile(0.5)).toBeNull();
    expect(child.percentileSinceStart(0.5)).not.toBeNull();
  });

  it('returns null quantiles with no observations', () => {
    const child = new Histogram(spec).labels({ tool: 'a' });
    expect(child.percentile(0.5)).toBeNull();
    expect(child.percentileSinceStart(0.5)).toBeNull();
  });

  it('bounds the memory of a series whatever the value range', () => {
    const child = new Histogram(spec).labels({ tool: 'a' });
    for (let e = -8; e <= 12; e += 0.001) child.observe(10 ** e);
    // Since-start and five window slices, each at most ~2,100 four-byte counters over 1e-6..1e9.
    expect(child.bytes).toBeLessThan(6 * 2200 * 4 + 1000);
  });
});

describe('cardinality limit', () => {
  it('folds label sets past the limit into one overflow series and counts them', () => {
    const seen: string[] = [];
    const c = new Counter(counterSpec(['user']), { maxSeries: 3, onOverflow: (m) => seen.push(m) });
    for (let i = 0; i < 10; i++) c.labels({ user: `u${i}` }).inc();
    expect(c.seriesCount).toBe(4); // three kept apart + the overflow series
    expect(c.overflowed).toBe(7);
    expect(seen).toHaveLength(7);
    expect(c.render('')).toContain(`requests_total{user="${OVERFLOW_LABEL_VALUE}"} 7\n`);
    // Label sets kept before the limit still resolve to their own series.
    c.labels({ user: 'u0' }).inc();
    expect(c.render('')).toContain('requests_total{user="u0"} 2\n');
  });
});

describe('registry', () => {
  it('ignores a second registration of the same metric and names a clash', () => {
    const r = new Registry({ prefix: 'p_' });
    const a = new Counter(counterSpec([]));
    r.register(a);
    expect(r.register(a)).toBe(a);
    expect(() => r.register(new Counter(counterSpec([])))).toThrow(/p_requests_total is already registered/);
  });

  it('rejects a prefix that makes invalid names', () => {
    expect(() => new Registry({ prefix: '9bad' })).toThrow(/invalid metric prefix "9bad"/);
  });
});
