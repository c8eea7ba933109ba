/**
 * The OpenTelemetry producer with the real SDK: a MeterProvider's reader given the producer exports our
 * series through an in-memory exporter, with histograms kept as histograms and their bucket bounds.
 */
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector, ToolExecutionMonitor } from 'victor-perf';
import { createMetricProducer } from 'victor-perf/otel';

const providers: MeterProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

/** Flushes once through a reader that has our producer, and returns the exported metrics by name. */
async function exported(collector: PerformanceMetricsCollector): Promise<Map<string, MetricData>> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 3_600_000,
    metricProducers: [createMetricProducer(collector)],
  });
  const provider = new MeterProvider({ readers: [reader] });
  providers.push(provider);
  // The SDK's own instruments travel with ours, in their own scope.
  provider.getMeter('app').createCounter('app_requests').add(1);
  await reader.forceFlush();
  const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  return new Map(metrics.map((m) => [m.descriptor.name, m]));
}

describe('victor-perf/otel', () => {
  it('exports counters as monotonic sums and histograms as histograms with their buckets', async () => {
    const tools = new ToolExecutionMonitor();
    const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
    tools.record('grep', 7, true);
    tools.record('grep', 70, true);
    tools.record('grep', 700, false);
    const byName = await exported(collector);
    expect(byName.has('app_requests')).toBe(true);

    const executions = byName.get('victor_tool_executions_total')!;
    expect(executions.dataPointType).toBe(DataPointType.SUM);
    expect(executions.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(executions.dataPointType === DataPointType.SUM && executions.isMonotonic).toBe(true);
    const points = executions.dataPoints.map((p) => [p.attributes, p.value]);
    expect(points).toContainEqual([{ tool: 'grep', status: 'success' }, 2]);
    expect(points).toContainEqual([{ tool: 'grep', status: 'failure' }, 1]);

    const duration = byName.get('victor_tool_execution_duration_ms')!;
    expect(duration.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(duration.descriptor.unit).toBe('ms');
    const h = duration.dataPoints[0]!;
    expect(h.attributes).toEqual({ tool: 'grep' });
    const value = h.value as {
      buckets: { boundaries: number[]; counts: number[] };
      sum: number;
      count: number;
    };
    expect(value.count).toBe(3);
    expect(value.sum).toBe(777);
    expect(value.buckets.boundaries.slice(0, 4)).toEqual([1, 5, 10, 25]);
    expect(value.buckets.counts).toHaveLength(value.buckets.boundaries.length + 1);
    expect(value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(3);
    // One observation per bucket it falls in: 7 in (5,10], 70 in (50,100], 700 in (500,1000].
    const at = (bound: number) => value.buckets.counts[value.buckets.boundaries.indexOf(bound)];
    expect([at(10), at(100), at(1000)]).toEqual([1, 1, 1]);
  });

  it('exports gauges and custom metrics with their units', async () => {
    const collector = new PerformanceMetricsCollector({ prefix: 'app_' });
    collector.gauge({ name: 'queue_depth', help: 'Tasks waiting.' }).set(4);
    collector
      .histogram({ name: 'plan_ms', help: 'Plan time.', unit: 'milliseconds', buckets: [10, 100] })
      .observe(50);
    const byName = await exported(collector);
    const queue = byName.get('app_queue_depth')!;
    expect(queue.dataPointType).toBe(DataPointType.GAUGE);
    expect(queue.dataPoints[0]!.value).toBe(4);
    expect(queue.descriptor.description).toBe('Tasks waiting.');
    const plan = byName.get('app_plan_ms')!;
    expect(plan.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(plan.descriptor.unit).toBe('ms');
    expect(plan.dataPoints[0]!.value).toMatchObject({
      buckets: { boundaries: [10, 100], counts: [0, 1, 0] },
      count: 1,
    });
  });

  it('refuses something that is not a collector, at the call', () => {
    expect(() => createMetricProducer({} as PerformanceMetricsCollector)).toThrow(
      /PerformanceMetricsCollector/,
    );
  });
});
