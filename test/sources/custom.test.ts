/**
 * Custom metrics declared through the collector: validated like the catalog's, capped like them, exported
 * under the collector's prefix (accepted by promtool) and summarised in the JSON's `custom` section.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { MetricError, PerformanceMetricsCollector, ToolExecutionMonitor } from 'victor-perf';
import { performanceRoutes } from 'victor-perf/fastify';

function declared(prefix?: string) {
  const collector = new PerformanceMetricsCollector(prefix === undefined ? {} : { prefix });
  const plans = collector.counter({
    name: 'agent_plans_total',
    help: 'Plans made, by kind.',
    labels: ['kind'],
  });
  const queue = collector.gauge({ name: 'agent_queue_depth', help: 'Tasks waiting.' });
  const planMs = collector.histogram({
    name: 'agent_plan_duration_ms',
    help: 'Time to make a plan.',
    unit: 'milliseconds',
    buckets: [10, 100, 1000],
  });
  return { collector, plans, queue, planMs };
}

describe('custom metrics', () => {
  it('appear in the exposition under the prefix, and promtool accepts it', () => {
    const { collector, plans, queue, planMs } = declared('app_');
    plans.labels({ kind: 'search' }).inc(2);
    queue.set(7);
    planMs.observe(42);
    planMs.observe(420);
    const text = collector.exportPrometheus();
    expect(text).toContain('# TYPE app_agent_plans_total counter\napp_agent_plans_total{kind="search"} 2\n');
    expect(text).toContain('app_agent_queue_depth 7\n');
    expect(text).toContain('app_agent_plan_duration_ms_bucket{le="100"} 1\n');
    expect(text).toContain('app_agent_plan_duration_ms_bucket{le="+Inf"} 2\n');
    expect(text).toContain('app_agent_plan_duration_ms_sum 462\n');
    const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(res.error).toBeUndefined();
    const complaints = (res.stdout + res.stderr)
      .split('\n')
      .filter((l) => l.trim() !== '' && !/abbreviated units$/.test(l));
    expect(complaints).toEqual([]);
  });

  it('appear in the custom section of the summary JSON', () => {
    const { collector, plans, queue, planMs } = declared();
    plans.labels({ kind: 'search' }).inc();
    queue.set(3);
    planMs.observe(5);
    const { custom } = collector.getAllMetrics();
    expect(custom).toEqual({
      agent_plans_total: {
        type: 'counter',
        unit: 'count',
        help: 'Plans made, by kind.',
        series: [{ labels: { kind: 'search' }, value: 1 }],
      },
      agent_queue_depth: {
        type: 'gauge',
        unit: 'count',
        help: 'Tasks waiting.',
        series: [{ labels: {}, value: 3 }],
      },
      agent_plan_duration_ms: {
        type: 'histogram',
        unit: 'milliseconds',
        help: 'Time to make a plan.',
        series: [{ labels: {}, count: 1, sum: 5, buckets: { '10': 1, '100': 1, '1000': 1, '+Inf': 1 } }],
      },
    });
    expect(JSON.parse(JSON.stringify(collector.getAllMetrics())).custom).toEqual(custom);
  });

  it('are served in the REST summary', async () => {
    const { collector, plans } = declared();
    plans.labels({ kind: 'code' }).inc(4);
    const app = Fastify();
    try {
      await app.register(performanceRoutes, { collector });
      const res = await app.inject('/api/performance/summary');
      expect(res.statusCode).toBe(200);
      expect(res.json().custom.agent_plans_total.series).toEqual([{ labels: { kind: 'code' }, value: 4 }]);
    } finally {
      await app.close();
    }
  });

  it('are validated like the catalog: names, labels, buckets, and catalog names are refused', () => {
    const c = new PerformanceMetricsCollector();
    expect(() => c.counter({ name: 'bad name', help: 'x' })).toThrow(MetricError);
    expect(() => c.counter({ name: 'ok_total', help: 'x', labels: ['le-bad'] })).toThrow(/label/);
    expect(() => c.histogram({ name: 'h', help: 'x', labels: ['le'] as never, buckets: [1] })).toThrow(/le/);
    expect(() => c.histogram({ name: 'h2', help: 'x', buckets: [5, 1] })).toThrow(/bucket/);
    expect(() => c.gauge({ name: 'g', help: '' })).toThrow(/help/);
    expect(() => c.counter({ name: 'tool_executions_total', help: 'x' })).toThrow(/catalog metric/);
    expect(() => c.counter({ name: 'c_total', help: 'x', maxSeries: 0 })).toThrow(/maxSeries/);
  });

  it('declared twice the same way give the same metric; another shape is an error naming the first', () => {
    const c = new PerformanceMetricsCollector();
    const a = c.counter({ name: 'jobs_total', help: 'Jobs.', labels: ['queue'] });
    expect(c.counter({ name: 'jobs_total', help: 'Jobs.', labels: ['queue'] })).toBe(a);
    expect(() => c.gauge({ name: 'jobs_total', help: 'Jobs.' })).toThrow(
      /already declared as a counter with labels \[queue\]/,
    );
  });

  it('share the cardinality cap: label sets past maxSeries fold into the overflow series, counted', () => {
    const c = new PerformanceMetricsCollector();
    const users = c.counter({
      name: 'requests_by_user_total',
      help: 'Requests.',
      labels: ['user'],
      maxSeries: 3,
    });
    for (let i = 0; i < 10; i++) users.labels({ user: `u${i}` }).inc();
    const series = c.getAllMetrics().custom.requests_by_user_total!.series;
    expect(series).toHaveLength(4);
    expect(series.reduce((n, s) => n + s.value!, 0)).toBe(10);
    expect(c.exportPrometheus()).toMatch(
      /victor_series_overflow_total\{metric="victor_requests_by_user_total"\} [1-9]/,
    );
  });

  it('sit next to the components without disturbing them', () => {
    const tools = new ToolExecutionMonitor();
    const c = new PerformanceMetricsCollector().registerToolExecution(tools);
    c.counter({ name: 'x_total', help: 'x' }).inc();
    tools.record('grep', 3, true);
    const snapshot = c.getAllMetrics();
    expect(snapshot.errors).toEqual([]);
    expect(snapshot.tool_execution?.executions.total).toBe(1);
  });
});
