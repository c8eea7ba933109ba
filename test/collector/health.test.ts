/**
 * The health score has one definition: the collector's `health_score` is the recording rule's query
 * (monitoring/rules.ts) evaluated over the same samples, with the config's weights and rate window.
 */
import { describe, expect, it } from 'vitest';
import { CollectorError, PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { HealthScore } from '../../src/collector/health.ts';
import { CATALOG } from '../../src/metrics/catalog.ts';
import { Counter, Gauge } from '../../src/metrics/primitives.ts';
import { parseExposition } from '../../src/metrics/parse.ts';
import { resolveMonitoringConfig, type MonitoringConfigOverrides } from '../../src/monitoring/config.ts';
import { collectorHealthOptions } from '../../src/monitoring/promql.ts';
import { healthScoreQuery } from '../../src/monitoring/rules.ts';
import { evaluate } from '../../src/query/evaluate.ts';
import { MemoryStore } from '../../src/query/store.ts';
import { createRandom } from '../../src/demo/random.ts';
import { ToolSelectionCache } from '../../src/sources/cache.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolSelectionMonitor } from '../../src/sources/selection.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import type { Source, SystemSnapshot } from '../../src/collector/types.ts';

const CUSTOM_WEIGHTS = {
  cacheHitRate: 0.25,
  toolSuccess: 0.2,
  cpuHeadroom: 0.05,
  memoryHeadroom: 0.1,
  latencyHeadroom: 0.1,
  providerAvailability: 0.3,
};

/** A system source with values the test sets (the real one reads this machine, which the test cannot steer). */
function systemSource(state: { cpu: number; memory: number }): Source<SystemSnapshot> {
  const cpu = new Gauge(CATALOG.systemCpuPercent);
  const memory = new Gauge(CATALOG.systemMemoryBytes);
  const uptime = new Gauge(CATALOG.systemUptime);
  return {
    sourceName: 'system',
    collect() {
      cpu.set(state.cpu);
      memory.set(state.memory);
      uptime.set(100);
      return {
        memory: { used_bytes: state.memory, used_mb: 0, used_gb: 0, available_bytes: 0, available_mb: 0 },
        cpu: { percent: state.cpu, count: 2 },
        uptime: { seconds: 100, minutes: 1, hours: 0 },
        threads: { active: null },
        heap: { used_bytes: 0, total_bytes: 0 },
        event_loop: { delay_p99_ms: null, utilization: null },
      };
    },
    metrics: () => [cpu, memory, uptime],
  };
}

/** Every sample of an exposition added to `store` at `t`, with the target labels Prometheus would add. */
function scrapeInto(store: MemoryStore, text: string, t: number): void {
  for (const family of parseExposition(text)) {
    for (const s of family.samples) {
      store.add(
        { ...s.labels, __name__: s.name, job: 'victor-perf', instance: '127.0.0.1:8000' },
        [t],
        [s.value],
      );
    }
  }
}

interface Rig {
  collector: PerformanceMetricsCollector;
  step(phase: 'calm' | 'trouble'): void;
  clock: { now: number };
  system: { cpu: number; memory: number };
}

/** Real components driven by a seeded workload; the collector's clock is the test's. */
function rig(
  overrides: MonitoringConfigOverrides,
): Rig & { config: ReturnType<typeof resolveMonitoringConfig> } {
  const config = resolveMonitoringConfig(overrides);
  const clock = { now: 1_700_000_000_000 };
  const collector = new PerformanceMetricsCollector({
    health: { ...collectorHealthOptions(config), clock: () => clock.now },
  });
  const cache = new ToolSelectionCache({ size: 200 });
  const selection = new ToolSelectionMonitor();
  const tools = new ToolExecutionMonitor();
  const providers = new ProviderPoolMonitor();
  const system = { cpu: 20, memory: 300 * 1024 ** 2 };
  collector
    .registerToolSelectionCache(cache)
    .registerToolSelection(selection)
    .registerToolExecution(tools)
    .registerProviderPool(providers)
    .registerSystem(systemSource(system));
  const rnd = createRandom(7);
  const step = (phase: 'calm' | 'trouble'): void => {
    const bad = phase === 'trouble';
    for (let i = 0; i < 40; i++) {
      const key = `q${Math.floor(rnd.next() * (bad ? 5000 : 60))}`;
      if (cache.get('query', key) === undefined) cache.set('query', key, ['grep']);
      selection.record(bad ? 2 + rnd.next() * 8 : rnd.next() * 0.5, rnd.chance(0.6));
    }
    for (let i = 0; i < 10; i++)
      tools.record(i % 2 ? 'grep' : 'bash', 5 + rnd.next() * 50, !rnd.chance(bad ? 0.4 : 0.02));
    for (let i = 0; i < 6; i++) {
      const provider = ['openai', 'anthropic', 'local'][i % 3]!;
      const down = bad && provider === 'anthropic';
      providers.record(provider, 100 + rnd.next() * 400, down || rnd.chance(0.05) ? 'timeout' : 'success');
    }
    system.cpu = bad ? 85 : 20;
    system.memory = (bad ? 1500 : 300) * 1024 ** 2;
  };
  return { config, collector, step, clock, system };
}

describe('health score: one definition', () => {
  it('the collector equals evaluate() of the recording rule on the same samples, with custom weights', () => {
    const { config, collector, step, clock } = rig({
      rateWindow: '1m',
      healthScore: { weights: CUSTOM_WEIGHTS },
    } as MonitoringConfigOverrides);
    const rule = healthScoreQuery(config);
    const store = new MemoryStore();
    const seen: Array<[number, number | null, number]> = [];
    for (let i = 0; i < 60; i++) {
      step(i >= 20 && i < 35 ? 'trouble' : 'calm');
      clock.now += 5000;
      // One collection serves both: the score the JSON shows and the exposition Prometheus would scrape.
      const { snapshot, text } = collector.collectAndExport();
      scrapeInto(store, text, clock.now);
      const recorded = evaluate(rule, store, clock.now, { lookbackMs: 5 * 60_000 });
      expect(recorded, `rule at step ${i}`).toHaveLength(1);
      expect(recorded[0]!.labels).toEqual({ job: 'victor-perf' });
      seen.push([i, snapshot.health_score, recorded[0]!.value]);
      expect(snapshot.health_score, `step ${i}`).not.toBeNull();
      expect(Math.abs(snapshot.health_score! - recorded[0]!.value), `step ${i}`).toBeLessThanOrEqual(0.005);
    }
    // The window at work: trouble pulls the score down, and a window of calm after it brings it back.
    const at = (i: number): number => seen[i]![1]!;
    expect(at(19)).toBeGreaterThan(85);
    expect(at(34)).toBeLessThan(60);
    expect(at(59)).toBeGreaterThan(85);
  });

  it('the weights change the score the same way in both (provider availability weighed in or not)', () => {
    const scores = (weights: typeof CUSTOM_WEIGHTS | undefined): number[] => {
      const { config, collector, step, clock } = rig({
        rateWindow: '1m',
        ...(weights ? { healthScore: { weights } } : {}),
      } as MonitoringConfigOverrides);
      const store = new MemoryStore();
      const out: number[] = [];
      for (let i = 0; i < 12; i++) {
        step(i >= 4 ? 'trouble' : 'calm');
        clock.now += 5000;
        const { snapshot, text } = collector.collectAndExport();
        scrapeInto(store, text, clock.now);
        const recorded = evaluate(healthScoreQuery(config), store, clock.now)[0]!.value;
        expect(Math.abs(snapshot.health_score! - recorded)).toBeLessThanOrEqual(0.005);
        out.push(snapshot.health_score!);
      }
      return out;
    };
    const byDefault = scores(undefined);
    const weighted = scores(CUSTOM_WEIGHTS);
    // Same samples (same seed), different weights: the scores differ once there is trouble.
    expect(Math.abs(byDefault[11]! - weighted[11]!)).toBeGreaterThan(1);
  });

  it('a process that has done nothing scores 100, and so does a term without data', () => {
    const c = new PerformanceMetricsCollector();
    expect(c.getAllMetrics().health_score).toBe(100);
    const tools = new ToolExecutionMonitor();
    let now = 0;
    const d = new PerformanceMetricsCollector({ health: { clock: () => now } }).registerToolExecution(tools);
    expect(d.getAllMetrics().health_score).toBe(100);
    // Every execution failed over the window: the tool-success term (30 %) is 0, the rest have no data.
    for (let i = 0; i < 3; i++) {
      tools.record('bash', 10, false);
      now += 10_000;
      d.getAllMetrics();
    }
    expect(d.getAllMetrics().health_score).toBe(70);
  });

  it('is the same whatever the exposition units (the terms read the seed names)', () => {
    const scores: Array<number | null> = [];
    for (const units of ['seed', 'base'] as const) {
      let now = 0;
      const tools = new ToolExecutionMonitor();
      const c = new PerformanceMetricsCollector({ units, health: { clock: () => now } });
      c.registerToolExecution(tools);
      for (let i = 0; i < 3; i++) {
        tools.record('bash', 10, i % 2 === 0);
        now += 10_000;
        c.getAllMetrics();
      }
      expect(c.getAllMetrics().health_score, units).toBeLessThan(100);
      expect(c.getAllMetrics().health_score, units).toBeGreaterThan(70);
      scores.push(c.getAllMetrics().health_score);
    }
    expect(scores[0]).toBe(scores[1]);
  });

  it('reads the lifetime of nothing: what fell out of the window no longer counts', () => {
    let now = 0;
    const tools = new ToolExecutionMonitor();
    const c = new PerformanceMetricsCollector({ health: { window: '1m', clock: () => now } });
    c.registerToolExecution(tools);
    for (let i = 0; i < 12; i++) {
      for (let k = 0; k < 10; k++) tools.record('bash', 10, false);
      now += 5000;
      c.getAllMetrics();
    }
    expect(c.getAllMetrics().health_score).toBe(70);
    // 1000 successes later (lifetime error rate ~10 %), the window has only successes.
    for (let i = 0; i < 20; i++) {
      for (let k = 0; k < 50; k++) tools.record('bash', 10, true);
      now += 5000;
      c.getAllMetrics();
    }
    expect(c.getAllMetrics().health_score).toBe(100);
  });

  it('keeps memory bounded: points of one window per series, series gone from the sources dropped', () => {
    let now = 0;
    const executions = new Counter(CATALOG.toolExecutions);
    const score = new HealthScore('victor_', { window: '1m', clock: () => now });
    for (let i = 0; i < 2000; i++) {
      // A new tool every 10 collections; the old ones stop appearing.
      const tool = `tool${Math.floor(i / 10)}`;
      executions.clear();
      executions.labels({ tool, status: 'success' }).inc(i);
      score.score([executions]);
      now += 1000;
    }
    // 1 m window, one point a second: at most 61 points of each series seen within the last minute.
    expect(score.points).toBeLessThanOrEqual(61 * 7);
    expect(score.points).toBeGreaterThan(0);
  });

  it('records at most once per window / 60: a burst of reads costs one evaluation', () => {
    let now = 0;
    const executions = new Counter(CATALOG.toolExecutions);
    const score = new HealthScore('victor_', { window: '5m', clock: () => now });
    executions.labels({ tool: 'a', status: 'success' }).inc();
    for (let i = 0; i < 100; i++) {
      score.score([executions]);
      now += 10; // 100 reads within one second
    }
    expect(score.points).toBe(1);
  });

  it('refuses bad weights, budgets and windows at construction, naming the value', () => {
    const make = (health: object) => () => new PerformanceMetricsCollector({ health });
    expect(make({ weights: { cacheHitRate: 0.5 } })).toThrow(CollectorError);
    expect(make({ weights: { cacheHitRate: 0.5 } })).toThrow(/health\.weights: must sum to 1, got 1\.1/);
    expect(make({ weights: { cacheHitrate: 0.4 } })).toThrow(
      /unknown term "cacheHitrate"; terms are cacheHitRate/,
    );
    expect(make({ weights: { cpuHeadroom: -0.1, memoryHeadroom: 0.3 } })).toThrow(
      /health\.weights\.cpuHeadroom: expected a finite number >= 0, got -0\.1/,
    );
    expect(make({ weights: { cpuHeadroom: '0.1' } })).toThrow(/got "0\.1"/);
    expect(make({ memoryBudgetBytes: 0 })).toThrow(
      /health\.memoryBudgetBytes: expected a finite number > 0, got 0/,
    );
    expect(make({ window: '5 minutes' })).toThrow(
      /health\.window: expected a duration like 5m, got "5 minutes"/,
    );
    expect(
      new PerformanceMetricsCollector({
        health: { weights: { cacheHitRate: 0.3, providerAvailability: 0.1 } },
      }).healthDefinition.weights.providerAvailability,
    ).toBe(0.1);
  });
});
