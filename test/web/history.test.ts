import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { HistoryError, MAX_POINTS, MetricHistory, type HistoryRange } from '../../src/web/history.ts';
import type { SeriesInfo } from '../../src/web/sample.ts';

const values = (entries: Record<string, number | null>): Map<string, number | null> =>
  new Map(Object.entries(entries));

/** A range's values by series key. */
const byKey = (r: HistoryRange): Record<string, Array<number | null>> =>
  Object.fromEntries(r.series.map((s) => [s.key, s.values]));

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
    expect(byKey(r).a).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
  });

  it('averages range series into step buckets aligned to the step, and keeps the last value of instant ones', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 60_000 });
    // What a series is comes from its query (instant or not), never from its name.
    const info = new Map<string, SeriesInfo>([
      ['g_total', { panel: 'p', refId: 'A', labels: {}, instant: false }],
      ['c', { panel: 'q', refId: 'A', labels: { tool: 'x' }, instant: true }],
    ]);
    for (let i = 0; i < 10; i++) h.append(i * 1000, values({ g_total: i, c: i * 10 }), info);
    const r = h.query(0, 4000);
    expect(r.t).toEqual([0, 4000, 8000]);
    expect(byKey(r).g_total).toEqual([1.5, 5.5, 8.5]);
    expect(byKey(r).c).toEqual([30, 70, 90]);
    expect(r.series.find((s) => s.key === 'c')).toMatchObject({ panel: 'q', labels: { tool: 'x' } });
    // incremental: from the last bucket start gives the same last bucket
    expect(byKey(h.query(8000, 4000)).g_total).toEqual([8.5]);
  });

  it('fills unknown values with null, including series that appear later', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 60_000 });
    h.append(0, values({ a: 1 }));
    h.append(1000, values({ a: null, b: 2 }));
    const r = h.query(0);
    expect(byKey(r)).toEqual({ a: [1, null], b: [null, 2] });
  });

  it('drops series past maxSeries, counts them, and tells the page', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 5000, maxSeries: 2 });
    const point = h.append(0, values({ a: 1, b: 2, c: 3, d: 4 }));
    expect(h.seriesIds()).toEqual(['a', 'b']);
    expect(point.dropped_series).toBe(2);
    expect(h.droppedSeries).toBe(2);
    h.append(1000, values({ a: 1, b: 2, c: 3 }));
    expect(h.droppedSeries).toBe(1);
    expect(h.droppedSamples).toBe(3);
    expect(h.memoryBytes()).toBe(3 * 5 * 8);
    expect(h.query(0)).toMatchObject({ dropped_series: 1, max_series: 2 });
  });

  it('frees a series that had no value for a whole retention, and its place under the cap', () => {
    const h = new MetricHistory(undefined, { resolutionMs: 1000, retentionMs: 5000, maxSeries: 2 });
    h.append(0, values({ a: 1, gone: 2 }));
    for (let i = 1; i < 5; i++) h.append(i * 1000, values({ a: i }));
    expect(h.seriesIds()).toEqual(['a', 'gone']);
    h.append(5000, values({ a: 5, late: 1 }));
    expect(h.seriesIds()).toEqual(['a', 'late']);
    expect(h.droppedSeries).toBe(0);
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
    expect(() => new MetricHistory(undefined, { rateInterval: '5s' })).toThrow(/two samples.*got 5s/);
    expect(() => new MetricHistory(undefined, { rangeWindow: 'soon' })).toThrow(/rangeWindow.*"soon"/);
    expect(() => new MetricHistory(undefined, { rangeWindow: '30d' })).toThrow(/retention, got 30d/);
  });

  it('samples a collector: the panel queries, and notifies subscribers', () => {
    let now = 1_000_000;
    const tools = new ToolExecutionMonitor();
    const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
    const h = new MetricHistory(collector, { resolutionMs: 1000, now: () => now });
    const seen: number[] = [];
    const off = h.subscribe((p) => seen.push(p.t));
    tools.record('grep', 5, true);
    h.sample();
    now += 1000;
    tools.record('grep', 5, true);
    h.sample();
    off();
    now += 1000;
    h.sample();
    expect(seen).toEqual([1_000_000, 1_001_000]);
    expect(h.latest?.health_score).toBeTypeOf('number');
    // Top tools: an increase over the window, from the second sample on.
    const top = h.query(0).series.find((s) => s.panel === 'top-tools-by-execution')!;
    expect(top.labels).toEqual({ tool: 'grep' });
    expect(top.values).toEqual([null, expect.any(Number), expect.any(Number)]);
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
