import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { near, render } from './helpers.ts';

describe('ToolExecutionMonitor', () => {
  it('records per-tool stats from record()', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    m.record('grep', 10, true);
    m.record('grep', 30, false);
    m.record('grep', 20, true);
    m.record('read', 5, true);
    const s = m.collect();
    expect(s.executions).toEqual({ total: 4, successful: 3, failed: 1 });
    expect(s.tool_metrics.grep).toEqual({
      total_calls: 3,
      successful_calls: 2,
      failed_calls: 1,
      total_time_ms: 60,
      avg_time_ms: 20,
      min_time_ms: 10,
      max_time_ms: 30,
    });
    expect(s.duration_ms.avg).toBe(65 / 4);
    expect(s.errors.error_rate).toBe(0.25);
    expect(s.top_tools).toEqual([
      { tool: 'grep', executions: 3, failed: 1, avg_time_ms: 20 },
      { tool: 'read', executions: 1, failed: 0, avg_time_ms: 5 },
    ]);
  });

  it('takes percentiles over executions, not over per-tool averages', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    for (let i = 0; i < 95; i++) m.record('fast', 10, true);
    for (let i = 0; i < 5; i++) m.record('slow', 2000, true);
    const s = m.collect();
    // Over the two per-tool averages (10 and 2000) P95 would be about 2000; over the 100 executions it is 10.
    near(s.duration_ms.p95, 10);
    near(s.duration_ms.p50, 10);
    near(s.duration_ms.p99, 2000);
    expect(s.duration_ms.avg).toBe((95 * 10 + 5 * 2000) / 100);
  });

  it('with no executions, every unknowable value is null and the error-rate series is absent', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    const s = m.collect();
    expect(s.duration_ms).toEqual({ avg: null, p50: null, p95: null, p99: null });
    expect(s.errors.error_rate).toBeNull();
    expect(s.top_tools).toEqual([]);
    expect(render(m)).not.toContain('victor_tool_error_rate');
  });

  it('wraps async tools: timing, success, and rejections that propagate unchanged', async () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    const sleepy = m.wrap('sleep', async (ms: number, tag: string) => {
      await new Promise((r) => setTimeout(r, ms));
      return `${tag}:${ms}`;
    });
    await expect(sleepy(30, 'a')).resolves.toBe('a:30');
    const boom = new Error('tool failed');
    const failing = m.wrap('fail', async () => {
      throw boom;
    });
    await expect(failing()).rejects.toBe(boom);
    const s = m.collect();
    expect(s.tool_metrics.sleep!.successful_calls).toBe(1);
    // Timers may fire a little early on some platforms; 25 ms leaves room for that.
    expect(s.tool_metrics.sleep!.min_time_ms).toBeGreaterThanOrEqual(25);
    expect(s.tool_metrics.fail).toMatchObject({ total_calls: 1, failed_calls: 1, successful_calls: 0 });
  });

  it('wraps sync tools, keeps `this`, and records a sync throw as a failure', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    const obj = {
      base: 40,
      add: m.wrap('add', function (this: { base: number }, n: number) {
        return this.base + n;
      }),
    };
    expect(obj.add(2)).toBe(42);
    const err = new TypeError('bad args');
    expect(() =>
      m.run('parse', () => {
        throw err;
      }),
    ).toThrow(err);
    expect(m.run('parse', () => 7)).toBe(7);
    const s = m.collect();
    expect(s.tool_metrics.add!.successful_calls).toBe(1);
    expect(s.tool_metrics.parse).toMatchObject({ total_calls: 2, failed_calls: 1 });
    expect(s.errors.error_rate).toBeCloseTo(1 / 3, 12);
  });

  it('binds metric children once per tool', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    const durationLabels = vi.spyOn(m.duration, 'labels');
    const executionLabels = vi.spyOn(m.executions, 'labels');
    for (let i = 0; i < 50; i++) m.record('grep', 1, i % 2 === 0);
    const wrapped = m.wrap('read', () => 1);
    for (let i = 0; i < 50; i++) wrapped();
    expect(durationLabels).toHaveBeenCalledTimes(2);
    expect(executionLabels).toHaveBeenCalledTimes(4);
  });

  it('takes the error rate over the recent window only', () => {
    const clock = new ManualClock(0);
    const m = new ToolExecutionMonitor({ clock, windowMs: 60_000 });
    m.record('grep', 1, false);
    m.record('grep', 1, false);
    m.record('grep', 1, false);
    m.record('grep', 1, true);
    expect(m.collect().errors.error_rate).toBe(0.75);
    expect(render(m)).toContain('victor_tool_error_rate 0.75\n');

    clock.advance(30_000);
    m.record('grep', 1, true);
    expect(m.collect().errors.error_rate).toBe(0.6);

    // The slice holding the failures has left the window; the later success is still in it.
    clock.advance(31_000);
    expect(m.collect().errors.error_rate).toBe(0);

    clock.advance(60_000);
    const s = m.collect();
    expect(s.errors.error_rate).toBeNull();
    expect(s.duration_ms.p95).toBeNull();
    // Totals since start are not windowed.
    expect(s.executions).toEqual({ total: 5, successful: 2, failed: 3 });
    expect(s.duration_ms.avg).toBe(1);
    expect(render(m)).not.toContain('victor_tool_error_rate');
  });

  it('lists at most 10 top tools, most executed first', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    for (let t = 0; t < 12; t++) for (let i = 0; i <= t; i++) m.record(`tool_${t}`, t, true);
    const top = m.collect().top_tools;
    expect(top).toHaveLength(10);
    expect(top.map((t) => t.tool)).toEqual(Array.from({ length: 10 }, (_, i) => `tool_${11 - i}`));
    expect(top[0]).toEqual({ tool: 'tool_11', executions: 12, failed: 0, avg_time_ms: 11 });
  });

  it("folds tools past maxSeries into the overflow entry, named '' (no caller's name)", () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock(), maxSeries: 2 });
    m.record('a', 1, true);
    m.record('b', 2, true);
    m.record('c', 3, false);
    m.record('d', 4, true);
    const s = m.collect();
    expect(Object.keys(s.tool_metrics)).toEqual(['a', 'b', '']);
    expect(s.tool_metrics['']).toMatchObject({ total_calls: 2, failed_calls: 1, total_time_ms: 7 });
    const text = render(m);
    expect(text).toContain('victor_tool_executions_total{tool="",status="failure"} 1\n');
    expect(text).toContain('victor_tool_execution_duration_ms_count{tool=""} 2\n');
    expect(text).not.toContain('tool="c"');
  });

  it('rejects bad input with errors naming the bad value', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    expect(() => m.record('', 1, true)).toThrow(/tool name must be a non-empty string, got ""/);
    expect(() => m.wrap(undefined as unknown as string, () => 1)).toThrow(/non-empty string, got nothing/);
    expect(() => m.record(42 as unknown as string, 1, true)).toThrow(/got 42/);
    expect(() => m.record('grep', NaN, true)).toThrow(
      /tool "grep": duration must be a finite number >= 0 ms, got NaN/,
    );
    expect(() => m.record('grep', -5, true)).toThrow(/got -5/);
    expect(() => m.record('grep', Infinity, true)).toThrow(/got Infinity/);
    // A rejected value counts nothing.
    expect(m.collect().executions.total).toBe(0);
    expect(m.collect().tool_metrics).toEqual({});
  });

  it('renders its series in the text format', () => {
    const m = new ToolExecutionMonitor({ clock: new ManualClock() });
    m.record('grep', 3, true);
    m.record('grep', 700, true);
    m.record('grep', 7000, false);
    const text = render(m);
    expect(text).toContain('# TYPE victor_tool_executions_total counter\n');
    expect(text).toContain('victor_tool_executions_total{tool="grep",status="success"} 2\n');
    expect(text).toContain('victor_tool_executions_total{tool="grep",status="failure"} 1\n');
    expect(text).toContain('# TYPE victor_tool_execution_duration_ms histogram\n');
    expect(text).toContain('victor_tool_execution_duration_ms_bucket{tool="grep",le="5"} 1\n');
    expect(text).toContain('victor_tool_execution_duration_ms_bucket{tool="grep",le="1000"} 2\n');
    expect(text).toContain('victor_tool_execution_duration_ms_bucket{tool="grep",le="+Inf"} 3\n');
    expect(text).toContain('victor_tool_execution_duration_ms_sum{tool="grep"} 7703\n');
    expect(text).toContain('victor_tool_execution_duration_ms_count{tool="grep"} 3\n');
    expect(text).toContain(`victor_tool_error_rate ${1 / 3}\n`);
    expect(text.endsWith('\n')).toBe(true);
  });
});
