/**
 * One scrape for victor-perf and a real prom-client registry: merged, checked by promtool, clashes named,
 * and our process series left out where collectDefaultMetrics provides them.
 */
import { spawnSync } from 'node:child_process';
import { Counter as PromCounter, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  MetricError,
  PROM_CLIENT_EQUIVALENTS,
  PerformanceMetricsCollector,
  SystemMonitor,
  ToolExecutionMonitor,
  combinedMetrics,
} from 'victor-perf';

function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
}

function promtoolComplaints(text: string): string[] {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  expect(res.error).toBeUndefined();
  return (
    (res.stdout + res.stderr)
      .split('\n')
      .filter((l) => l.trim() !== '')
      // Lint, not parse errors: our `_ms`/`_mb` names (the description's) and prom-client's own
      // `nodejs_active_*_total` gauges.
      .filter(
        (l) => !/abbreviated units$|^nodejs_\w+ non-counter metrics should not have "_total" suffix$/.test(l),
      )
  );
}

describe('combinedMetrics with prom-client', () => {
  it('serves both registries in one valid exposition', async () => {
    const tools = new ToolExecutionMonitor();
    tools.record('grep', 4, true);
    const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
    const registry = new PromRegistry();
    new PromCounter({ name: 'http_requests_total', help: 'Requests.', registers: [registry] }).inc(3);
    const text = await combinedMetrics(collector, registry);
    expect(text).toContain('victor_tool_executions_total{tool="grep",status="success"} 1\n');
    expect(text).toContain('http_requests_total 3\n');
    expect(promtoolComplaints(text)).toEqual([]);
  });

  it('names every clash instead of serving an invalid scrape', async () => {
    const collector = new PerformanceMetricsCollector().registerToolExecution(new ToolExecutionMonitor());
    collector.counter({ name: 'jobs_total', help: 'Jobs.' }).inc();
    const registry = new PromRegistry();
    new PromCounter({ name: 'victor_jobs_total', help: 'Also jobs.', registers: [registry] }).inc();
    await expect(combinedMetrics(collector, registry)).rejects.toThrow(MetricError);
    await expect(combinedMetrics(collector, registry)).rejects.toThrow(
      /victor_jobs_total \(victor-perf and the prom-client registry\)/,
    );
  });

  it('leaves out our process series where collectDefaultMetrics provides them', async () => {
    const system = new SystemMonitor({ eventLoop: false });
    const collector = new PerformanceMetricsCollector().registerSystem(system);
    try {
      const registry = new PromRegistry();
      collectDefaultMetrics({ register: registry });
      const full = families(await combinedMetrics(collector, registry));
      expect(full).toContain('victor_system_memory_bytes');
      const trimmed = await combinedMetrics(collector, [registry], { omitProcessMetrics: true });
      const names = families(trimmed);
      for (const ours of Object.keys(PROM_CLIENT_EQUIVALENTS)) expect(names).not.toContain(`victor_${ours}`);
      // What prom-client has no counterpart for stays.
      expect(names).toContain('victor_system_threads');
      expect(names).toContain('process_resident_memory_bytes');
      expect(promtoolComplaints(trimmed)).toEqual([]);
    } finally {
      system.close();
    }
  });

  it('refuses what is not a registry, at the call', async () => {
    const collector = new PerformanceMetricsCollector();
    await expect(combinedMetrics(collector, {} as never)).rejects.toThrow(/metrics\(\) method/);
  });
});
