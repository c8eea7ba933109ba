import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../src/metrics/catalog.ts';
import {
  AlertEvaluator,
  MemoryStore,
  QueryError,
  bucketQuantile,
  by,
  compare,
  div,
  eq,
  evaluate,
  expandValues,
  histogramQuantile,
  metric,
  mul,
  parseMatchers,
  rate,
  ratio,
  select,
  sub,
  sum,
  toPromQL,
  storeFromInput,
} from '../../src/query/index.ts';

const ops = (labels: Record<string, string>, perMinute: number): { series: string; values: string } => ({
  series: `victor_cache_operations_total{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`,
  values: `0+${perMinute}x60`,
});

describe('query form', () => {
  it('prints PromQL with the parentheses precedence needs, and only those', () => {
    const a = select('a');
    const b = select('b', [eq('x', 'y"z')]);
    expect(toPromQL(sub(1, sub(a, b)))).toBe('1 - (a - b{x="y\\"z"})');
    expect(toPromQL(sub(sub(1, a), b))).toBe('1 - a - b{x="y\\"z"}');
    expect(toPromQL(mul(sub(1, a), 2))).toBe('(1 - a) * 2');
    expect(toPromQL(compare(div(a, 1000), '>', 2.5))).toBe('a / 1000 > 2.5');
    expect(toPromQL(ratio(a, b))).toBe('(a or 0 * b{x="y\\"z"}) / (b{x="y\\"z"} > 0)');
  });

  it('refuses a label the catalog metric does not carry, and le outside buckets', () => {
    expect(() => metric(CATALOG.cacheOperations, 'victor_', [eq('tool', 'x')])).toThrow(QueryError);
    expect(() => metric(CATALOG.cacheOperations, 'victor_', [eq('le', '1')])).toThrow(/no label "le"/);
    expect(() => metric(CATALOG.cacheOperations, 'victor_', [], '_bucket')).toThrow(/counter/);
    expect(toPromQL(metric(CATALOG.toolSelectionDuration, 'victor_', [eq('le', '1')], '_bucket'))).toBe(
      'victor_tool_duration_ms_bucket{le="1"}',
    );
  });

  it('parses config selectors and refuses junk', () => {
    expect(parseMatchers('job="a", cluster=~"b|c"')).toEqual([
      { label: 'job', op: '=', value: 'a' },
      { label: 'cluster', op: '=~', value: 'b|c' },
    ]);
    expect(() => parseMatchers('job=a')).toThrow(QueryError);
  });

  it('expands promtool series notation like promtool', () => {
    expect(expandValues('0+10x3')).toEqual([0, 10, 20, 30]);
    expect(expandValues('1x2 _x2 5 -1-1x1')).toEqual([1, 1, 1, undefined, undefined, 5, -1, -2]);
  });
});

describe('evaluator', () => {
  it('rate of a steady counter over a full window is its slope; after a reset the new value counts as increase', () => {
    const store = new MemoryStore();
    const t = [0, 60_000, 120_000, 180_000, 240_000, 300_000];
    store.add({ __name__: 'c', i: 'a' }, t, [0, 60, 120, 180, 240, 300]);
    store.add({ __name__: 'c', i: 'b' }, t, [100, 160, 10, 70, 130, 190]);
    const r = evaluate(rate(select('c'), '5m'), store, 300_000);
    // b: 60 before the reset to 10, then 10 + 180 after it: 250 over 300 s.
    expect(r.map((s) => s.value)).toEqual([1, 250 / 300]);
    expect(r[0]?.labels).toEqual({ i: 'a' }); // the metric name is dropped
  });

  it('the null-safe ratio: absent numerator counts as 0, an idle denominator gives no sample', () => {
    const store = storeFromInput(
      [ops({ namespace: 'q', operation: 'misses' }, 60), ops({ namespace: 'r', operation: 'hits' }, 0)],
      60_000,
    );
    const hits = sum(rate(select('victor_cache_operations_total', [eq('operation', 'hits')]), '5m'));
    const all = sum(rate(select('victor_cache_operations_total'), '5m'));
    expect(evaluate(ratio(hits, all), store, 600_000)).toEqual([{ labels: {}, value: 0 }]);
    const idle = sum(rate(select('victor_cache_operations_total', [eq('namespace', 'r')]), '5m'));
    expect(evaluate(ratio(hits, idle), store, 600_000)).toEqual([]);
  });

  it('histogram_quantile interpolates within the bucket holding the rank', () => {
    expect(
      bucketQuantile(0.95, [
        { le: 1, count: 6 },
        { le: 2.5, count: 120 },
        { le: Infinity, count: 120 },
      ]),
    ).toBeCloseTo(1 + 1.5 * ((114 - 6) / 114), 12);
    expect(
      bucketQuantile(0.5, [
        { le: Infinity, count: 0 },
        { le: 1, count: 0 },
      ]),
    ).toBeNaN();
    const store = new MemoryStore();
    for (const [le, v] of [
      ['1', 50],
      ['2', 100],
      ['+Inf', 100],
    ] as const) {
      store.add({ __name__: 'h_bucket', le, job: 'x' }, [0], [v]);
    }
    const q = histogramQuantile(0.75, sum(select('h_bucket'), by('job', 'le')));
    expect(evaluate(q, store, 0)).toEqual([{ labels: { job: 'x' }, value: 1.5 }]);
  });

  it('alerts go pending, fire after for, and resolve', () => {
    const store = new MemoryStore();
    const times = [0, 60_000, 120_000, 180_000];
    store.add({ __name__: 'g', instance: 'a' }, times, [5, 5, 5, 0]);
    const ev = new AlertEvaluator([
      {
        name: 'GHigh',
        expr: compare(select('g'), '>', 1),
        forMs: 60_000,
        labels: { severity: 'warning' },
        annotations: { summary: 'g is {{ $value | printf "%.1f" }} on {{ $labels.instance }}' },
      },
    ]);
    expect(ev.evaluate(store, 0).map((a) => a.state)).toEqual(['pending']);
    const firing = ev.evaluate(store, 60_000);
    expect(firing.map((a) => [a.state, a.labels, a.annotations.summary])).toEqual([
      ['firing', { instance: 'a', severity: 'warning', alertname: 'GHigh' }, 'g is 5.0 on a'],
    ]);
    ev.evaluate(store, 120_000);
    expect(ev.evaluate(store, 180_000)).toEqual([]);
    expect(ev.alerts().map((a) => [a.state, a.resolvedAt])).toEqual([['inactive', 180_000]]);
  });
});
