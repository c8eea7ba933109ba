/**
 * The simulated workload (`demo --simulated`, and the fallback without the SDK packages): each scenario drives
 * the real components into the state its alert watches, by hand calls (agent-scenarios.test.ts: the same
 * scenarios through the AI SDK agent).
 * The workload runs at 5x its rates; the scenarios run side by side, each read until its state is reached or a
 * deadline passes (a busy machine only makes that take longer), and the last read is then asserted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import type { PerformanceSnapshot } from '../../src/collector/types.ts';
import { SCENARIOS, type ScenarioName } from '../../src/demo/scenarios.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';

const DEADLINE_MS = 60_000;
const WAIT = { timeout: DEADLINE_MS + 30_000 };
const MIB = 1024 * 1024;
const running: Workload[] = [];
afterAll(() => {
  for (const w of running) w.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `check` passes now (it asserts with expect). */
function holds(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

/** Waits until `check` passes or the deadline passes; then runs it once more, so a miss fails with its message. */
async function until(check: () => void, deadlineMs = DEADLINE_MS): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!holds(check) && performance.now() < deadline) await sleep(100);
  check();
}

type Check = (s: PerformanceSnapshot, seconds: number) => void;

async function run(scenario: ScenarioName, check: Check, memoryCapBytes?: number) {
  const collector = new PerformanceMetricsCollector();
  const workload = startWorkload({
    collector,
    scenario,
    seed: 7,
    speed: 5,
    memoryCapBytes,
    llm: 'simulated',
  });
  running.push(workload);
  await workload.started;
  const t0 = performance.now();
  let read = { snapshot: collector.getAllMetrics(), seconds: 0 };
  const deadline = t0 + DEADLINE_MS;
  for (;;) {
    await sleep(250);
    read = { snapshot: collector.getAllMetrics(), seconds: (performance.now() - t0) / 1000 };
    if (holds(() => check(read.snapshot, read.seconds)) || performance.now() > deadline) break;
  }
  await workload.stop();
  return read;
}

const rssBefore = process.memoryUsage.rss();
const CHECKS: Record<ScenarioName, Check> = {
  normal: (s) => {
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
  },
  'cache-miss-storm': (s, seconds) => {
    expect(s.tool_selection!.hit_rates.overall).toBeLessThan(0.2);
    expect(s.tool_selection!.utilization.overall).toBeGreaterThan(0.95);
    expect(s.tool_selection!.operations.evictions / seconds).toBeGreaterThan(10);
  },
  'provider-outage': (s) => {
    expect(s.provider_pool!.pool.unhealthy).toBeGreaterThanOrEqual(1);
    expect(s.provider_pool!.provider_health.anthropic).toBe(0);
    expect(s.provider_pool!.errors.error_rate).toBeGreaterThan(0.3);
  },
  'rate-limits': (s) => {
    expect(s.provider_pool!.requests.total).toBeGreaterThan(20);
    expect(s.provider_pool!.errors.rate_limit_rate).toBeGreaterThan(0.05);
  },
  'slow-first-token': (s) => expect(s.provider_pool!.time_to_first_chunk_ms.p95).toBeGreaterThan(5000),
  'slow-tools': (s) => expect(s.tool_execution!.duration_ms.p95).toBeGreaterThan(5000),
  'tool-errors': (s) => expect(s.tool_execution!.errors.error_rate).toBeGreaterThan(0.15),
  'memory-pressure': (s) => expect(s.system!.memory.used_bytes - rssBefore).toBeGreaterThan(100 * MIB),
  'selection-latency': (s) => expect(s.tool_selection!.latency_ms.p95).toBeGreaterThan(5),
};

describe('demo workload scenarios', () => {
  const results = new Map<ScenarioName, Promise<{ snapshot: PerformanceSnapshot; seconds: number }>>();
  for (const s of SCENARIOS)
    results.set(s, run(s, CHECKS[s], s === 'memory-pressure' ? rssBefore + 200 * MIB : undefined));

  const titles: Record<ScenarioName, string> = {
    normal: 'normal: every component is live, with a realistic cache hit rate and no source failing',
    'cache-miss-storm': 'cache-miss-storm: hit rate < 20 %, cache full, evictions > 10/s',
    'provider-outage': 'provider-outage: a provider unhealthy and the pool failing > 30 %',
    'rate-limits': 'rate-limits: more than 5 % of the requests rate limited',
    'slow-first-token': 'slow-first-token: time to first chunk P95 > 5 s',
    'slow-tools': 'slow-tools: tool execution P95 > 5 s',
    'tool-errors': 'tool-errors: tool error rate > 15 %',
    'memory-pressure': 'memory-pressure: resident memory grows towards the cap',
    'selection-latency': 'selection-latency: selection P95 > 5 ms',
  };
  for (const scenario of SCENARIOS) {
    it(titles[scenario], WAIT, async () => {
      const { snapshot, seconds } = await results.get(scenario)!;
      CHECKS[scenario](snapshot, seconds);
    });
  }

  it('rejects an unknown scenario and bad options', () => {
    const collector = new PerformanceMetricsCollector();
    expect(() => startWorkload({ collector, scenario: 'nope' as ScenarioName })).toThrow(
      /unknown scenario "nope"/,
    );
    expect(() => startWorkload({ collector, seed: 1.5 })).toThrow(/seed must be an integer/);
  });
});

describe('a timed scenario', () => {
  it('ends after its duration and goes back to normal, with a normal cache', WAIT, async () => {
    const collector = new PerformanceMetricsCollector();
    const lines: string[] = [];
    const workload = startWorkload({
      collector,
      scenario: 'cache-miss-storm',
      seed: 3,
      speed: 5,
      scenarioSeconds: 3,
      llm: 'simulated',
      log: (l) => lines.push(l),
    });
    running.push(workload);
    await workload.started;
    const stormCache = workload.components.cache;
    expect(workload.scenario).toBe('cache-miss-storm');
    // The storm shows while it lasts (read while the scenario is still the storm).
    let stormRate: number | null = null;
    while (workload.scenario === 'cache-miss-storm' && !(stormRate !== null && stormRate < 0.2)) {
      const rate = collector.getCacheMetrics()!.hit_rates.overall;
      if (workload.scenario === 'cache-miss-storm') stormRate = rate;
      await sleep(50);
    }
    expect(stormRate).not.toBeNull();
    expect(stormRate!).toBeLessThan(0.2);
    await until(() => expect(workload.scenario).toBe('normal'));
    expect(lines).toContain('scenario cache-miss-storm ended after 3 s: back to normal');
    // The storm's tiny cache was replaced and the collector reads the new one.
    expect(workload.components.cache).not.toBe(stormCache);
    expect(collector.registered('cache')).toBe(workload.components.cache);
    await until(() => expect(collector.getCacheMetrics()!.hit_rates.overall).toBeGreaterThan(0.3));
    await workload.stop();
  });

  it('rejects a duration that is not positive', () => {
    expect(() => startWorkload({ collector: new PerformanceMetricsCollector(), scenarioSeconds: 0 })).toThrow(
      /scenarioSeconds must be > 0, got 0/,
    );
  });
});
