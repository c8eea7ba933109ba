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
import { PerformanceMetricsCollector, ProviderPoolMonitor, ToolExecutionMonitor } from 'victor-perf';
import { createMetricProducer } from 'victor-perf/otel';

const providers: MeterProvider[] = [];
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

/** Flushes once through a reader that has our producer, and returns the exported metrics by name. */
async function exported(
  collector: PerformanceMetricsCollector,
  options: Parameters<typeof createMetricProducer>[1] = {},
): Promise<Map<string, MetricData>> {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: 3_600_000,
    metricProducers: [createMetricProducer(collector, options)],
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

  it('maps provider and tool series to the GenAI semantic conventions, in seconds and tokens', async () => {
    const pool = new ProviderPoolMonitor();
    const tools = new ToolExecutionMonitor();
    const collector = new PerformanceMetricsCollector({ prefix: 'app_' })
      .registerProviderPool(pool)
      .registerToolExecution(tools);
    pool.record('openai', 250, 'success');
    pool.record('openai', 1200, 'rate_limit');
    await pool.call('openai', () => ({ text: 'hi' }), {
      model: 'gpt-4o',
      usage: () => ({ input: 120, output: 30, cachedInput: 100, reasoning: 10 }),
    });
    await pool.call('openai', () => ({ text: 'again' }), {
      model: 'gpt-4o',
      usage: () => ({ input: 80, output: 12 }),
    });
    const stream = await pool.stream('anthropic', async function* () {
      await new Promise((r) => setTimeout(r, 20));
      yield 'a';
      yield 'b';
    });
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toEqual(['a', 'b']);
    tools.record('search', 25, true);
    tools.record('search', 3000, false);
    const byName = await exported(collector);

    type HistogramValue = { buckets: { boundaries: number[]; counts: number[] }; sum: number; count: number };
    const histogram = (name: string, attributes: Record<string, string>): HistogramValue => {
      const metric = byName.get(name)!;
      expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
      const p = metric.dataPoints.find((d) => JSON.stringify(d.attributes) === JSON.stringify(attributes));
      expect(p, `${name} ${JSON.stringify(attributes)}`).toBeDefined();
      return p!.value as HistogramValue;
    };

    const duration = byName.get('gen_ai.client.operation.duration')!;
    expect(duration.descriptor.unit).toBe('s');
    const openai = histogram('gen_ai.client.operation.duration', { 'gen_ai.provider.name': 'openai' });
    expect(openai.count).toBe(4);
    // 250 ms + 1200 ms recorded by hand, plus two real calls of well under a second.
    expect(openai.sum).toBeGreaterThanOrEqual(1.45);
    expect(openai.sum).toBeLessThan(2.45);
    expect(openai.buckets.boundaries.slice(0, 4)).toEqual([0.01, 0.05, 0.1, 0.25]);
    expect(openai.buckets.counts.reduce((a, b) => a + b, 0)).toBe(4);
    // 1.2 s lands in (1, 2.5], 0.25 s in (0.1, 0.25].
    const at = (h: HistogramValue, bound: number) => h.buckets.counts[h.buckets.boundaries.indexOf(bound)];
    expect([at(openai, 0.25), at(openai, 2.5)]).toEqual([1, 1]);

    const ttfc = byName.get('gen_ai.client.operation.time_to_first_chunk')!;
    expect(ttfc.descriptor.unit).toBe('s');
    const anthropic = histogram('gen_ai.client.operation.time_to_first_chunk', {
      'gen_ai.provider.name': 'anthropic',
    });
    expect(anthropic.count).toBe(1);
    // The same observation as our own series, in seconds: at least the generator's 20 ms wait.
    const ours = byName.get('app_provider_time_to_first_chunk_ms')!.dataPoints[0]!.value as HistogramValue;
    expect(anthropic.sum).toBeCloseTo(ours.sum / 1000, 9);
    expect(anthropic.sum).toBeGreaterThanOrEqual(0.015);
    expect(anthropic.buckets.boundaries).toEqual(ours.buckets.boundaries.map((b) => b / 1000));

    const tokens = byName.get('gen_ai.client.token.usage')!;
    expect(tokens.descriptor.unit).toBe('{token}');
    expect(tokens.dataPointType).toBe(DataPointType.SUM);
    expect(tokens.dataPointType === DataPointType.SUM && tokens.isMonotonic).toBe(true);
    // Input and output only: cached_input and reasoning are parts of them, not token types of their own.
    expect(tokens.dataPoints.map((p) => [p.attributes, p.value])).toEqual(
      expect.arrayContaining([
        [
          {
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.token.type': 'input',
          },
          200,
        ],
        [
          {
            'gen_ai.provider.name': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.token.type': 'output',
          },
          42,
        ],
      ]),
    );
    expect(tokens.dataPoints).toHaveLength(2);

    const tool = byName.get('gen_ai.execute_tool.duration')!;
    expect(tool.descriptor.unit).toBe('s');
    const search = histogram('gen_ai.execute_tool.duration', {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
    });
    expect(search).toMatchObject({ count: 2, sum: 3.025 });
    expect([at(search, 0.025), at(search, 5)]).toEqual([1, 1]);

    // Our own names are still there, in milliseconds.
    expect(byName.get('app_provider_latency_ms')!.descriptor.unit).toBe('ms');
    expect(byName.get('app_provider_tokens_total')!.dataPoints).toHaveLength(4);
  });

  it('in base units: seconds names with unit s, and the same GenAI series as in seed units', async () => {
    const byMode = new Map<string, Map<string, MetricData>>();
    for (const units of ['seed', 'base'] as const) {
      const pool = new ProviderPoolMonitor();
      pool.record('openai', 250, 'success');
      pool.record('openai', 1200, 'rate_limit');
      byMode.set(
        units,
        await exported(new PerformanceMetricsCollector({ units }).registerProviderPool(pool)),
      );
    }
    const base = byMode.get('base')!;
    expect(base.has('victor_provider_latency_ms')).toBe(false);
    expect(base.get('victor_provider_latency_seconds')?.descriptor.unit).toBe('s');
    expect(byMode.get('seed')!.get('victor_provider_latency_ms')?.descriptor.unit).toBe('ms');
    const genAi = (units: string) =>
      byMode.get(units)!.get('gen_ai.client.operation.duration')!.dataPoints[0]!.value as {
        sum: number;
        buckets: { boundaries: number[] };
      };
    expect(genAi('base').sum).toBeCloseTo(1.45, 9);
    expect(genAi('base').sum).toBeCloseTo(genAi('seed').sum, 9);
    expect(genAi('base').buckets.boundaries).toEqual(genAi('seed').buckets.boundaries);
  });

  it('exports our names only with genAi: false, and refuses a genAi that is not a boolean', async () => {
    const pool = new ProviderPoolMonitor();
    const collector = new PerformanceMetricsCollector().registerProviderPool(pool);
    pool.record('openai', 250, 'success');
    const names = [...(await exported(collector, { genAi: false })).keys()];
    expect(names).toContain('victor_provider_latency_ms');
    expect(names.filter((n) => n.startsWith('gen_ai.'))).toEqual([]);
    expect(() => createMetricProducer(collector, { genAi: 'yes' as unknown as boolean })).toThrow(
      /genAi must be a boolean/,
    );
  });

  it('refuses something that is not a collector, at the call', () => {
    expect(() => createMetricProducer({} as PerformanceMetricsCollector)).toThrow(
      /PerformanceMetricsCollector/,
    );
  });
});
