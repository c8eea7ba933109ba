/**
 * Each scenario drives the real components into the state its alert watches (reference.md section 6).
 * The workload runs at 5x its rates so that a few seconds suffice; the scenarios run side by side.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import type { PerformanceSnapshot } from '../../src/collector/types.ts';
import { SCENARIOS, type ScenarioName } from '../../src/demo/scenarios.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';

const SECONDS = 4;
const MIB = 1024 * 1024;
const running: Workload[] = [];
afterAll(() => {
  for (const w of running) w.stop();
});

async function run(scenario: ScenarioName, memoryCapBytes?: number) {
  const collector = new PerformanceMetricsCollector();
  const workload = startWorkload({ collector, scenario, seed: 7, speed: 5, memoryCapBytes });
  running.push(workload);
  await workload.started;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const snapshot = collector.getAllMetrics();
  workload.stop();
  return { snapshot, seconds: (performance.now() - t0) / 1000 };
}

describe('demo workload scenarios', () => {
  const rssBefore = process.memoryUsage.rss();
  const results = new Map<ScenarioName, Promise<{ snapshot: PerformanceSnapshot; seconds: number }>>();
  for (const s of SCENARIOS)
    results.set(s, run(s, s === 'memory-pressure' ? rssBefore + 200 * MIB : undefined));
  const result = async (s: ScenarioName) => (await results.get(s)!).snapshot;

  it('lists the scenarios', () => {
    expect(SCENARIOS).toEqual([
      'normal',
      'cache-miss-storm',
      'provider-outage',
      'slow-tools',
      'tool-errors',
      'memory-pressure',
      'selection-latency',
    ]);
  });

  it('normal: every component is live, with a realistic cache hit rate and no source failing', async () => {
    const s = await result('normal');
    expect(s.errors).toEqual([]);
    expect(s.bootstrap!.startup_time.ms).toBeGreaterThan(0);
    for (const phase of ['container_bootstrap', 'service_registration', 'provider_initialization']) {
      expect(s.bootstrap!.phases[`${phase}_ms`]).toBeGreaterThan(0);
    }
    expect(s.bootstrap!.lazy_loading.load_count).toBeGreaterThan(0);
    expect(s.tool_selection!.hit_rates.overall).toBeGreaterThan(0.3);
    expect(s.tool_selection!.hit_rates.overall).toBeLessThan(0.95);
    expect(Object.keys(s.tool_execution!.tool_metrics).length).toBeGreaterThanOrEqual(6);
    expect(s.tool_execution!.errors.error_rate).toBeLessThan(0.15);
    expect(Object.keys(s.provider_pool!.provider_health).sort()).toEqual([
      'anthropic',
      'local-llama',
      'openai',
    ]);
    expect(s.provider_pool!.requests.total).toBeGreaterThan(20);
    expect(s.system!.cpu.percent).not.toBeNull();
  });

  it('cache-miss-storm: hit rate < 20 %, cache full, evictions > 10/s', async () => {
    const { snapshot: s, seconds } = await results.get('cache-miss-storm')!;
    expect(s.tool_selection!.hit_rates.overall).toBeLessThan(0.2);
    expect(s.tool_selection!.utilization.overall).toBeGreaterThan(0.95);
    expect(s.tool_selection!.operations.evictions / seconds).toBeGreaterThan(10);
  });

  it('provider-outage: a provider unhealthy and the pool failing > 30 %', async () => {
    const s = await result('provider-outage');
    expect(s.provider_pool!.pool.unhealthy).toBeGreaterThanOrEqual(1);
    expect(s.provider_pool!.provider_health.anthropic).toBe(0);
    expect(s.provider_pool!.errors.error_rate).toBeGreaterThan(0.3);
  });

  it('slow-tools: tool execution P95 > 5 s', async () => {
    expect((await result('slow-tools')).tool_execution!.duration_ms.p95).toBeGreaterThan(5000);
  });

  it('tool-errors: tool error rate > 15 %', async () => {
    expect((await result('tool-errors')).tool_execution!.errors.error_rate).toBeGreaterThan(0.15);
  });

  it('memory-pressure: resident memory grows towards the cap', async () => {
    const s = await result('memory-pressure');
    expect(s.system!.memory.used_bytes - rssBefore).toBeGreaterThan(100 * MIB);
  });

  it('selection-latency: selection P95 > 5 ms', async () => {
    expect((await result('selection-latency')).tool_selection!.latency_ms.p95).toBeGreaterThan(5);
  });

  it('rejects an unknown scenario and bad options', () => {
    const collector = new PerformanceMetricsCollector();
    expect(() => startWorkload({ collector, scenario: 'nope' as ScenarioName })).toThrow(
      /unknown scenario "nope"/,
    );
    expect(() => startWorkload({ collector, seed: 1.5 })).toThrow(/seed must be an integer/);
  });
});

describe('a timed scenario', () => {
  it('ends after its duration and goes back to normal, with a normal cache', async () => {
    const collector = new PerformanceMetricsCollector();
    const lines: string[] = [];
    const workload = startWorkload({
      collector,
      scenario: 'cache-miss-storm',
      seed: 3,
      speed: 5,
      scenarioSeconds: 1,
      log: (l) => lines.push(l),
    });
    running.push(workload);
    await workload.started;
    const stormCache = workload.components.cache;
    expect(workload.scenario).toBe('cache-miss-storm');
    await new Promise((r) => setTimeout(r, 900));
    expect(collector.getCacheMetrics()!.hit_rates.overall).toBeLessThan(0.2);
    await new Promise((r) => setTimeout(r, 2500));
    expect(workload.scenario).toBe('normal');
    expect(lines).toContain('scenario cache-miss-storm ended after 1 s: back to normal');
    // The storm's tiny cache was replaced and the collector reads the new one.
    expect(workload.components.cache).not.toBe(stormCache);
    expect(collector.registered('cache')).toBe(workload.components.cache);
    expect(collector.getCacheMetrics()!.hit_rates.overall).toBeGreaterThan(0.3);
    workload.stop();
  });

  it('rejects a duration that is not positive', () => {
    expect(() => startWorkload({ collector: new PerformanceMetricsCollector(), scenarioSeconds: 0 })).toThrow(
      /scenarioSeconds must be > 0, got 0/,
    );
  });
});
