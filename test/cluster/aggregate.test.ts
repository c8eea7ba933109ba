/**
 * Aggregation in one process, over MessageChannels (the transport worker threads use): gauge policies from
 * the catalog, summed counters, exited processes keeping their totals after the window folds them, error
 * isolation, and the collector given back on close. The real multi-process runs are in processes.test.ts.
 */
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition } from './helpers.ts';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { aggregateCluster, reportToPrimary, type ClusterHandle } from '../../src/cluster/index.ts';
import { CATALOG, CATALOG_ENTRIES } from '../../src/metrics/catalog.ts';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';

const open: Array<() => void> = [];
afterEach(() => {
  while (open.length > 0) open.pop()!();
});

interface Member {
  collector: PerformanceMetricsCollector;
  tools: ToolExecutionMonitor;
  providers: ProviderPoolMonitor;
  bootstrap: BootstrapMonitor;
  close(): void;
}

function member(primary: ClusterHandle, name: string): Member {
  const tools = new ToolExecutionMonitor();
  const providers = new ProviderPoolMonitor();
  const bootstrap = new BootstrapMonitor();
  const collector = new PerformanceMetricsCollector()
    .registerToolExecution(tools)
    .registerProviderPool(providers)
    .registerBootstrap(bootstrap);
  const { port1, port2 } = new MessageChannel();
  const reporter = reportToPrimary(collector, { port: port2 });
  primary.addThread(port1, name);
  const close = (): void => {
    reporter.close();
    port1.close();
  };
  open.push(close);
  return { collector, tools, providers, bootstrap, close };
}

async function until(cond: () => boolean, step?: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 10));
    await step?.();
  }
}

function primary(windowMs?: number): { collector: PerformanceMetricsCollector; cluster: ClusterHandle } {
  const collector = new PerformanceMetricsCollector();
  const cluster = aggregateCluster(collector, { cluster: false, ...(windowMs ? { windowMs } : {}) });
  open.push(() => cluster.close());
  return { collector, cluster };
}

describe('aggregateCluster over ports', () => {
  it('sums counters and histograms, and combines gauges by their declared policy', async () => {
    const { collector, cluster } = primary();
    const a = member(cluster, 'a');
    const b = member(cluster, 'b');
    a.tools.record('grep', 10, true);
    a.tools.record('grep', 30, false);
    b.tools.record('grep', 20, true);
    b.tools.record('ls', 1, true);
    a.providers.record('openai', 100, 'success');
    b.providers.record('openai', 300, 'timeout');
    for (let i = 0; i < 5; i++) b.providers.record('openai', 300, 'timeout'); // opens b's circuit
    a.bootstrap.recordPhase('tool_loading', 40);
    b.bootstrap.recordPhase('tool_loading', 70);
    await cluster.refresh();

    const seen = parseExposition(collector.exportPrometheus());
    expect(seen.get('victor_tool_executions_total{tool="grep",status="success"}')).toBe(2);
    expect(seen.get('victor_tool_executions_total{tool="grep",status="failure"}')).toBe(1);
    expect(seen.get('victor_tool_execution_duration_ms_count{tool="grep"}')).toBe(3);
    expect(seen.get('victor_tool_execution_duration_ms_sum{tool="grep"}')).toBe(60);
    expect(seen.get('victor_tool_execution_duration_ms_bucket{tool="grep",le="25"}')).toBe(2);
    expect(seen.get('victor_provider_requests_total{provider="openai"}')).toBe(7);
    // provider_health: min (the worst any process sees); bootstrap phases: max (the slowest start).
    expect(seen.get('victor_provider_health{provider="openai"}')).toBe(0);
    expect(seen.get('victor_bootstrap_phase_duration_ms{phase="tool_loading"}')).toBe(70);

    const summary = collector.getAllMetrics();
    expect(summary.tool_execution?.executions).toEqual({ total: 4, successful: 3, failed: 1 });
    expect(summary.tool_execution?.tool_metrics.grep).toMatchObject({
      total_calls: 3,
      min_time_ms: 10,
      max_time_ms: 30,
      avg_time_ms: 20,
    });
    expect(summary.tool_execution?.top_tools.map((t) => t.tool)).toEqual(['grep', 'ls']);
    expect(summary.provider_pool?.requests).toEqual({ total: 7, successful: 1, failed: 6 });
    expect(summary.provider_pool?.errors.timeout_rate).toBeCloseTo(6 / 7, 12);
    expect(summary.provider_pool?.pool).toEqual({ total: 1, active: 0, unhealthy: 1 });
    expect(summary.bootstrap?.phases.tool_loading_ms).toBe(70);
    expect(summary.health_score).not.toBeNull();
  });

  it('a process that exits keeps its totals, before and after the window folds it', async () => {
    const { collector, cluster } = primary(50);
    const a = member(cluster, 'a');
    const b = member(cluster, 'b');
    a.tools.record('grep', 5, true);
    b.tools.record('grep', 7, true);
    await cluster.refresh();
    const total = (): number | undefined =>
      parseExposition(collector.exportPrometheus()).get(
        'victor_tool_executions_total{tool="grep",status="success"}',
      );
    expect(total()).toBe(2);
    b.close();
    await until(() => cluster.processes().some((p) => p.process === 'b' && !p.alive));
    a.tools.record('grep', 5, true);
    await cluster.refresh();
    expect(total()).toBe(3);
    await new Promise((r) => setTimeout(r, 80));
    await cluster.refresh(); // folds b into the exited totals
    expect(cluster.processes().map((p) => p.process)).toEqual(['a']);
    expect(total()).toBe(3);
    expect(collector.getToolExecutionMetrics()?.executions.total).toBe(3);
    expect(parseExposition(collector.exportPrometheus()).get('victor_cluster_processes_exited_total')).toBe(
      1,
    );
  });

  it('merges custom metrics: counters summed (an exited process kept), gauges per process or by their policy', async () => {
    const { collector, cluster } = primary(50);
    const a = member(cluster, 'a');
    const b = member(cluster, 'b');
    for (const [m, n] of [
      [a, 2],
      [b, 5],
    ] as const) {
      m.collector.counter({ name: 'app_jobs_total', help: 'Jobs.' }).inc(n);
      m.collector.gauge({ name: 'app_queue', help: 'Queue.' }).set(n);
      m.collector.gauge({ name: 'app_peak', help: 'Peak.', aggregation: 'max' }).set(n * 10);
    }
    await cluster.refresh();
    let seen = parseExposition(collector.exportPrometheus());
    expect(seen.get('victor_app_jobs_total')).toBe(7);
    expect(seen.get('victor_app_queue{process="a"}')).toBe(2);
    expect(seen.get('victor_app_queue{process="b"}')).toBe(5);
    expect(seen.get('victor_app_peak')).toBe(50);
    b.close();
    // Refresh until the window has folded b into the exited totals.
    await until(
      () => !cluster.processes().some((p) => p.process === 'b'),
      () => cluster.refresh(),
    );
    seen = parseExposition(collector.exportPrometheus());
    expect(seen.get('victor_app_jobs_total')).toBe(7);
    expect(seen.has('victor_app_queue{process="b"}')).toBe(false);
    expect(seen.get('victor_app_peak')).toBe(20);
    expect(() => a.collector.counter({ name: 'x_total', help: 'X.', aggregation: 'max' } as never)).toThrow(
      /gauges only/,
    );
  });

  it("sums the collectors' own series over every process, and keeps an exited one's", async () => {
    const { collector, cluster } = primary(50);
    const a = member(cluster, 'a');
    const b = member(cluster, 'b');
    const broken = {
      sourceName: 'broken',
      collect: () => {
        throw new Error('boom');
      },
      metrics: () => [],
    };
    a.collector.registerProviderPool(broken);
    b.collector.registerProviderPool(broken);
    a.collector.readCategory('provider_pool');
    for (let i = 0; i < 2; i++) b.collector.readCategory('provider_pool');
    // b's tools: a two-tool limit, so that a third tool folds into the overflow series.
    const capped = new ToolExecutionMonitor({ maxSeries: 2 });
    b.collector.registerToolExecution(capped);
    for (const tool of ['x', 'y', 'z', 'w']) capped.record(tool, 1, true);
    await cluster.refresh();
    const seen = (): Map<string, number> => parseExposition(collector.exportPrometheus());
    const errors = 'victor_collection_errors_total{source="broken"}';
    const overflow = 'victor_series_overflow_total{metric="victor_tool_executions_total"}';
    expect(seen().get(errors)).toBe(3);
    expect(seen().get(overflow)).toBeGreaterThan(0);
    const folded = seen().get(overflow);
    b.close();
    await until(() => cluster.processes().some((p) => p.process === 'b' && !p.alive));
    await new Promise((r) => setTimeout(r, 80));
    await cluster.refresh(); // folds b into the exited totals
    expect(cluster.processes().map((p) => p.process)).toEqual(['a']);
    expect(seen().get(errors)).toBe(3);
    expect(seen().get(overflow)).toBe(folded);
  });

  it('declares every counter and histogram of the catalog as summed', () => {
    for (const spec of CATALOG_ENTRIES) {
      if (spec.type !== 'gauge') expect([undefined, 'sum'], spec.name).toContain(spec.aggregation);
    }
    expect(CATALOG.collectionDuration.aggregation).toBe('sum');
  });

  it("a process's failing component drops only that slot, keeping its last good values", async () => {
    const { collector, cluster } = primary();
    const a = member(cluster, 'a');
    a.tools.record('grep', 5, true);
    await cluster.refresh();
    a.collector.registerProviderPool({
      sourceName: 'broken',
      collect: () => {
        throw new Error('boom');
      },
      metrics: () => [],
    });
    a.tools.record('grep', 5, true);
    await cluster.refresh();
    const summary = collector.getAllMetrics();
    expect(summary.tool_execution?.executions.total).toBe(2);
  });

  it('a process shows the aggregate on its own reads after refresh(), and close() gives components back', async () => {
    const { cluster } = primary();
    const a = member(cluster, 'a');
    const b = member(cluster, 'b');
    a.tools.record('grep', 5, true);
    b.tools.record('grep', 5, true);
    expect(a.collector.getToolExecutionMetrics()?.executions.total).toBe(1);
    const { port1, port2 } = new MessageChannel();
    const reporter = reportToPrimary(a.collector, { port: port2 });
    cluster.addThread(port1, 'reader');
    open.push(() => {
      reporter.close();
      port1.close();
    });
    expect(await reporter.refresh()).toBe(true);
    // 'reader' reports a's components too: a, b and reader = 3.
    expect(a.collector.getToolExecutionMetrics()?.executions.total).toBe(3);
    reporter.close();
    a.close();
    expect(a.collector.registered('tool_execution')).toBe(a.tools);
  });

  it('rejects a second running process under the same name', () => {
    const { cluster } = primary();
    member(cluster, 'a');
    expect(() => member(cluster, 'a')).toThrow(/already aggregated as "a"/);
  });
});
