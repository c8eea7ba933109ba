import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { HistoryError, MAX_POINTS, MetricHistory } from '../../src/web/history.ts';
import { parseExposition } from '../../src/web/sample.ts';

const values = (entries: Record<string, number | null>): Map<string, number | null> =>
  new Map(Object.entries(entries));

describe('MetricHistory', () => {
  it('keeps at most capacity samples and states its memory exactly', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 10_000 });
    expect(h.capacity).toBe(10);
    for (let i = 0; i < 25; i++) h.append(i * 1000, values({ a: i, b: i * 2 }));
    expect(h.length).toBe(10);
    // timestamps + two series, 10 slots of 8 bytes each
    expect(h.memoryBytes()).toBe(3 * 10 * 8);
    const r = h.query(0);
    expect(r.t).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24].map((s) => s * 1000));
    expect(r.series.a).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('averages gauges into step buckets aligned to the step, and keeps the last value of counters', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 60_000 });
    for (let i = 0; i < 10; i++) h.append(i * 1000, values({ g: i, 'c_total{x=y}': i * 10 }));
    const r = h.query(0, 4000);
    expect(r.t).toEqual([0, 4000, 8000]);
    expect(r.series.g).toEqual([1.5, 5.5, 8.5]);
    expect(r.series['c_total{x=y}']).toEqual([30, 70, 90]);
    // incremental: from the last bucket start gives the same last bucket
    expect(h.query(8000, 4000).series.g).toEqual([8.5]);
  });

  it('fills unknown values with null, including series that appear later', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 60_000 });
    h.append(0, values({ a: 1 }));
    h.append(1000, values({ a: null, b: 2 }));
    const r = h.query(0);
    expect(r.series).toEqual({ a: [1, null], b: [null, 2] });
  });

  it('drops series past maxSeries and counts them', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 5000, maxSeries: 2 });
    h.append(0, values({ a: 1, b: 2, c: 3 }));
    expect(h.seriesIds()).toEqual(['a', 'b']);
    expect(h.droppedSeries).toBe(1);
    expect(h.memoryBytes()).toBe(3 * 5 * 8);
  });

  it('raises the step to return at most MAX_POINTS buckets', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 10_000_000 });
    for (let i = 0; i < 5000; i++) h.append(i * 1000, values({ a: i }));
    const r = h.query(0, 1000);
    expect(r.t.length).toBeLessThanOrEqual(MAX_POINTS + 1);
    expect(r.step).toBeGreaterThan(1000);
  });

  it('ignores samples that go back in time', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 5000 });
    h.append(5000, values({ a: 1 }));
    h.append(4000, values({ a: 2 }));
    expect(h.length).toBe(1);
  });

  it('validates its options with the bad value in the message', () => {
    expect(() => new MetricHistory(undefined, { resolutionMs: 5 })).toThrow(/resolutionMs.*got 5/);
    expect(() => new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 10 })).toThrow(HistoryError);
    expect(() => new MetricHistory(undefined, { maxSeries: 0 })).toThrow(/maxSeries.*got 0/);
  });

  it('samples a collector: snapshot numbers, counter rates and notifies subscribers', () => {
    let now = 1_000_000;
    const collector = new PerformanceMetricsCollector();
    const h = new MetricHistory(collector, { resolutionMs: 1000, now: () => now });
    const seen: number[] = [];
    const off = h.subscribe((p) => seen.push(p.t));
    h.sample();
    now += 1000;
    h.sample();
    off();
    now += 1000;
    h.sample();
    expect(seen).toEqual([1_000_000, 1_001_000]);
    expect(h.latest?.health_score).toBeTypeOf('number');
    expect(h.query(0).series.health_score).toHaveLength(3);
  });

  it('starts and stops its unref-ed timer', () => {
    const h = new MetricHistory(new PerformanceMetricsCollector(), { resolutionMs: 1000 });
    h.start();
    expect(h.running).toBe(true);
    expect(h.length).toBe(1);
    h.stop();
    expect(h.running).toBe(false);
  });
});

describe('parseExposition', () => {
  it('reads names, labels (with escapes) and values, skipping comments', () => {
    const text = [
      '# HELP x_total help',
      '# TYPE x_total counter',
      'x_total{tool="a\\"b",status="success"} 3',
      'y 1.5',
      'h_bucket{le="+Inf"} 7',
      '',
    ].join('\n');
    const parsed = parseExposition(text);
    expect(parsed.get('x_total')).toEqual([{ labels: { tool: 'a"b', status: 'success' }, value: 3 }]);
    expect(parsed.get('y')).toEqual([{ labels: {}, value: 1.5 }]);
    expect(parsed.get('h_bucket')![0]!.labels.le).toBe('+Inf');
  });
});
