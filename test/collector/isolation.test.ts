/**
 * Collection cannot take the process down: a component whose metrics() throws or lies loses its own series,
 * the rest of the exposition is served and the failure counted; the history's sampling timer survives any
 * failure. (The defect: /metrics answered 500, then the history timer's uncaught error exited the process.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import type { Source, ToolExecutionSnapshot } from '../../src/collector/types.ts';
import { instrumentationErrors, resetInstrumentationWarnings } from '../../src/metrics/guard.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { MetricHistory } from '../../src/web/history.ts';

afterEach(() => {
  vi.restoreAllMocks();
  resetInstrumentationWarnings();
});

/** A tool-execution component whose collect() works but whose metrics() misbehaves as given. */
function badMetrics(metrics: () => unknown): Source<ToolExecutionSnapshot> {
  const real = new ToolExecutionMonitor({ clock: new ManualClock() });
  real.record('t', 5, true);
  return {
    sourceName: 'bad_tools',
    collect: () => real.collect(),
    metrics: metrics as () => never,
  };
}

function collectorWith(source: Source<ToolExecutionSnapshot>): PerformanceMetricsCollector {
  const providers = new ProviderPoolMonitor({ clock: new ManualClock() });
  providers.record('openai', 120, 'success');
  return new PerformanceMetricsCollector().registerToolExecution(source).registerProviderPool(providers);
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a component whose metrics() fails', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('metrics exploded');
      },
    ],
    ['returns a string', () => 'not a list'],
    ['returns objects that are not metrics', () => [{}, null]],
  ])('%s: the rest of /metrics is served and the failure counted', (_what, metrics) => {
    const collector = collectorWith(badMetrics(metrics));
    const { snapshot, text } = collector.collectAndExport();
    expect(text).toContain('victor_provider_requests_total{provider="openai"} 1\n');
    expect(text).not.toContain('victor_tool_executions_total');
    expect(text).toContain('victor_collection_errors_total{source="bad_tools"} 1\n');
    expect(snapshot.errors).toEqual([
      { source: 'bad_tools', message: expect.stringMatching(/^rendering failed: /) },
    ]);
    // The JSON summary is whole: the category itself collected fine.
    expect(collector.getAllMetrics().tool_execution!.executions.total).toBe(1);
    expect(collector.metrics().length).toBeGreaterThan(0);
  });

  it('the history keeps sampling it, and a sample that fails is counted, not fatal', async () => {
    vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const collector = collectorWith(
      badMetrics(() => {
        throw new Error('metrics exploded');
      }),
    );
    const history = new MetricHistory(collector, { resolutionMs: 100 });
    history.start();
    try {
      await until(() => history.length >= 3);
      expect(history.latest!.provider_pool!.requests.total).toBe(1);
      // Now the whole collection fails: the timer survives and counts each failure.
      const before = instrumentationErrors.labels({ component: 'history' }).value;
      vi.spyOn(collector, 'collectAndExport').mockImplementation(() => {
        throw new Error('collection exploded');
      });
      await until(() => instrumentationErrors.labels({ component: 'history' }).value >= before + 2);
      expect(history.running).toBe(true);
    } finally {
      history.stop();
    }
  });
});

describe('collection time and shared collections', () => {
  it('measures each source in collection_duration_seconds{source}', () => {
    const collector = collectorWith(new ToolExecutionMonitor({ clock: new ManualClock() }));
    collector.getAllMetrics();
    const text = collector.exportPrometheus();
    expect(text).toContain('# TYPE victor_collection_duration_seconds histogram\n');
    expect(text).toMatch(/^victor_collection_duration_seconds_count\{source="tool_execution"\} 2$/m);
    expect(text).toMatch(/^victor_collection_duration_seconds_count\{source="provider_pool"\} 2$/m);
  });

  it('concurrent callers in one event-loop turn share one collection; the next turn collects anew', async () => {
    const real = new ToolExecutionMonitor({ clock: new ManualClock() });
    let collections = 0;
    const counting: Source<ToolExecutionSnapshot> = {
      sourceName: 'tool_execution',
      collect: () => {
        collections++;
        return real.collect();
      },
      metrics: () => real.metrics(),
    };
    const collector = new PerformanceMetricsCollector().registerToolExecution(counting);
    const [a, b, c] = await Promise.all([
      collector.collectShared(),
      collector.collectShared(),
      collector.collectShared(),
    ]);
    expect(collections).toBe(1);
    expect(b).toBe(a);
    expect(c!.text).toBe(a!.text);
    real.record('t', 1, true);
    const next = await collector.collectShared();
    expect(collections).toBe(2);
    expect(next.snapshot.tool_execution!.executions.total).toBe(1);
    // Synchronous reads are never shared: always fresh.
    real.record('t', 1, true);
    expect(collector.getAllMetrics().tool_execution!.executions.total).toBe(2);
  });
});
