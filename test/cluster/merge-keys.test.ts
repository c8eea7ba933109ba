/** Label sets from different processes merge by their values, and values holding separators never collide. */
import { describe, expect, it } from 'vitest';
import type { MetricSpec } from '../../src/metrics/catalog.ts';
import { mergeFamilies, type Contribution } from '../../src/cluster/merge.ts';

const spec: MetricSpec = {
  name: 'custom_calls_total',
  type: 'counter',
  help: 'calls',
  unit: 'count',
  category: 'tool_execution',
  labels: ['a', 'b'],
};

const contribution = (process: string, values: string[], value: number): Contribution => ({
  process,
  live: true,
  recent: true,
  families: [{ spec, type: 'counter', series: [{ values, value }] }],
});

describe('cluster merge keys', () => {
  it('keeps {a:"x\\0y",b:"z"} and {a:"x",b:"y\\0z"} apart, and sums equal label sets', () => {
    const merged = mergeFamilies([
      contribution('1', ['x\u0000y', 'z'], 1),
      contribution('2', ['x', 'y\u0000z'], 2),
      contribution('3', ['x', 'y\u0000z'], 4),
    ]);
    const series = merged.find((f) => f.spec.name === spec.name)!.series as {
      values: string[];
      value: number;
    }[];
    const found: Array<[string[], number]> = series.map((s) => [s.values, s.value]);
    expect(found.sort((l, r) => l[1] - r[1])).toEqual([
      [['x\u0000y', 'z'], 1],
      [['x', 'y\u0000z'], 6],
    ]);
  });
});
