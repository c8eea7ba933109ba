/**
 * Merging what each process's components yield from `collect()` into one value per slot, so that the
 * summary and the category endpoints of the primary answer for the whole cluster. Counts add up (over every
 * process that ever reported); readings of a process (entries, memory, health) count only while it lives;
 * rates and averages are recomputed from the merged counts; percentiles come from the merged sketches.
 */
import { CACHE_NAMESPACES, CATALOG, PROVIDER_ERROR_TYPES, type CacheNamespace } from '../metrics/catalog.ts';
import { quantileOf } from '../metrics/sketch.ts';
import type { SourceSlots, Slot } from '../collector/collector.ts';
import { emptyBootstrap, emptySystem } from '../collector/empty.ts';
import type { Percentiles, Rate, ToolStats } from '../collector/types.ts';
import { TOP_TOOLS } from '../sources/tools.ts';
import { family, sumWhere } from './merge.ts';
import { storeFromPacked } from './packed-sketch.ts';
import type { FamilyState } from './state.ts';

export interface SlotInput<S extends Slot = Slot> {
  readonly value: SourceSlots[S];
  readonly families: readonly FamilyState[];
  readonly live: boolean;
}

type Merger<S extends Slot> = (
  inputs: readonly SlotInput<S>[],
  merged: readonly FamilyState[],
) => SourceSlots[S];

const MIB = 1024 * 1024;
const ratio = (part: number, whole: number): Rate => (whole === 0 ? null : part / whole);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const present = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);
const maxOrNull = (xs: readonly (number | null)[]): number | null => {
  const p = present(xs);
  return p.length === 0 ? null : Math.max(...p);
};
const sumOrNull = (xs: readonly (number | null)[]): number | null => {
  const p = present(xs);
  return p.length === 0 ? null : sum(p);
};

/** Average from per-process averages weighted by their counts. */
function weightedAvg(parts: readonly { avg: number | null; n: number }[]): number | null {
  let n = 0;
  let total = 0;
  for (const p of parts) {
    if (p.avg === null || p.n === 0) continue;
    n += p.n;
    total += p.avg * p.n;
  }
  return n === 0 ? null : total / n;
}

/** P50/P95/P99 over every series of a merged histogram family (recent window), with the given average. */
function percentiles(merged: readonly FamilyState[], name: string, avg: number | null): Percentiles {
  const f = family(merged, name);
  if (f === undefined || f.type !== 'histogram') return { avg, p50: null, p95: null, p99: null };
  const store = storeFromPacked(f.series.map((s) => s.recent));
  return {
    avg,
    p50: quantileOf([store], 0.5),
    p95: quantileOf([store], 0.95),
    p99: quantileOf([store], 0.99),
  };
}

/** Observations in the recent window of one process's histogram family. */
function recentCount(families: readonly FamilyState[], name: string): number {
  const f = family(families, name);
  if (f === undefined || f.type !== 'histogram') return 0;
  return sum(f.series.map((s) => s.recent.total));
}

/** Observations since start of one process's histogram family (every series). */
function histogramCount(families: readonly FamilyState[], name: string): number {
  const f = family(families, name);
  return f?.type === 'histogram' ? sum(f.series.map((s) => s.count)) : 0;
}

const cache: Merger<'cache'> = (inputs, merged) => {
  const live = inputs.filter((i) => i.live);
  const ops = family(merged, CATALOG.cacheOperations.name);
  const capacity = family(merged, CATALOG.cacheCapacity.name);
  const hits = sum(inputs.map((i) => i.value.cache.operations.hits));
  const misses = sum(inputs.map((i) => i.value.cache.operations.misses));
  const evictions = sum(inputs.map((i) => i.value.cache.operations.evictions));
  const lookups = hits + misses;
  const bytes = sum(live.map((i) => i.value.cache.memory.bytes));
  const entries = {} as Record<CacheNamespace, number>;
  const hitRates = {} as Record<CacheNamespace, Rate>;
  const utilization = {} as Record<CacheNamespace, number>;
  let capacityTotal = 0;
  for (const ns of CACHE_NAMESPACES) {
    entries[ns] = sum(live.map((i) => i.value.selection.entries[ns]));
    const h = sumWhere(ops, { namespace: ns, operation: 'hits' });
    hitRates[ns] = ratio(h, h + sumWhere(ops, { namespace: ns, operation: 'misses' }));
    const cap = sumWhere(capacity, { namespace: ns });
    capacityTotal += cap;
    utilization[ns] = cap === 0 ? 0 : entries[ns] / cap;
  }
  const active = sum(live.map((i) => i.value.cache.entries.active));
  const saved = sum(inputs.map((i) => i.value.selection.latency_saved_ms.total));
  const credited = sum(
    inputs.map((i) => {
      const s = i.value.selection.latency_saved_ms;
      return s.avg_per_hit ? s.total / s.avg_per_hit : 0;
    }),
  );
  const overall = ratio(hits, lookups);
  return {
    cache: {
      memory: { bytes, mb: bytes / MIB },
      entries: { total: sum(live.map((i) => i.value.cache.entries.total)), active },
      operations: { lookups, hits, misses, evictions },
      rates: { hit: overall, miss: ratio(misses, lookups), eviction: ratio(evictions, lookups) },
    },
    selection: {
      hit_rates: { ...hitRates, overall },
      latency_saved_ms: { total: saved, avg_per_hit: ratio(saved, credited) },
      operations: { hits, misses, evictions },
      entries: { ...entries, total: active },
      utilization: { ...utilization, overall: capacityTotal === 0 ? 0 : active / capacityTotal },
    },
  };
};

const toolSelection: Merger<'tool_selection'> = (_inputs, merged) => {
  const f = family(merged, CATALOG.toolSelectionDuration.name);
  const s = f?.type === 'histogram' ? f.series[0] : undefined;
  const avg = s && s.count > 0 ? s.sum / s.count : null;
  return { latency_ms: percentiles(merged, CATALOG.toolSelectionDuration.name, avg) };
};

const bootstrap: Merger<'bootstrap'> = (inputs) => {
  const live = inputs.filter((i) => i.live);
  const startup = maxOrNull(live.map((i) => i.value.startup_time.ms));
  const phases = emptyBootstrap().phases;
  for (const i of live) {
    for (const [name, ms] of Object.entries(i.value.phases)) {
      if (ms !== null) phases[name] = Math.max(phases[name] ?? ms, ms);
    }
  }
  const loads = sum(inputs.map((i) => i.value.lazy_loading.load_count));
  const loadMs = sum(inputs.map((i) => i.value.lazy_loading.total_time_ms));
  return {
    startup_time: { ms: startup, seconds: startup === null ? null : startup / 1000 },
    phases,
    lazy_loading: {
      load_count: loads,
      total_time_ms: loadMs,
      avg_time_ms: loads === 0 ? null : loadMs / loads,
      first_access_overhead_ms: maxOrNull(live.map((i) => i.value.lazy_loading.first_access_overhead_ms)),
    },
  };
};

const providerPool: Merger<'provider_pool'> = (inputs, merged) => {
  const health: Record<string, number> = {};
  for (const i of inputs.filter((x) => x.live)) {
    for (const [p, h] of Object.entries(i.value.provider_health)) health[p] = Math.min(health[p] ?? h, h);
  }
  const providers = Object.keys(health).length;
  const unhealthy = Object.values(health).filter((h) => h === 0).length;
  const total = sum(inputs.map((i) => i.value.requests.total));
  const failed = sum(inputs.map((i) => i.value.requests.failed));
  // Each class's count is its rate times the process's requests; the merged rate is over all requests.
  const errorRates = { error_rate: ratio(failed, total) } as SourceSlots['provider_pool']['errors'];
  for (const type of PROVIDER_ERROR_TYPES) {
    const key = `${type}_rate` as const;
    errorRates[key] = ratio(
      sum(inputs.map((i) => (i.value.errors[key] ?? 0) * i.value.requests.total)),
      total,
    );
  }
  const avg = weightedAvg(inputs.map((i) => ({ avg: i.value.latency_ms.avg, n: i.value.requests.total })));
  // The first-chunk average is weighted by each process's streamed requests (its histogram count).
  const firstChunkAvg = weightedAvg(
    inputs.map((i) => ({
      avg: i.value.time_to_first_chunk_ms.avg,
      n: histogramCount(i.families, CATALOG.providerTimeToFirstChunk.name),
    })),
  );
  const byModel: Record<string, number> = {};
  for (const i of inputs) {
    for (const [model, n] of Object.entries(i.value.requests_by_model))
      byModel[model] = (byModel[model] ?? 0) + n;
  }
  return {
    pool: { total: providers, active: providers - unhealthy, unhealthy },
    requests: { total, successful: total - failed, failed },
    latency_ms: percentiles(merged, CATALOG.providerLatency.name, avg),
    errors: errorRates,
    provider_health: health,
    tokens: {
      input: sum(inputs.map((i) => i.value.tokens.input)),
      output: sum(inputs.map((i) => i.value.tokens.output)),
      cached_input: sum(inputs.map((i) => i.value.tokens.cached_input)),
      reasoning: sum(inputs.map((i) => i.value.tokens.reasoning)),
    },
    time_to_first_chunk_ms: percentiles(merged, CATALOG.providerTimeToFirstChunk.name, firstChunkAvg),
    requests_by_model: byModel,
  };
};

function mergeToolStats(a: ToolStats | undefined, b: ToolStats): ToolStats {
  if (a === undefined) return { ...b };
  const n = a.total_calls + b.total_calls;
  const time = a.total_time_ms + b.total_time_ms;
  const min = present([a.min_time_ms, b.min_time_ms]);
  const max = present([a.max_time_ms, b.max_time_ms]);
  return {
    total_calls: n,
    successful_calls: a.successful_calls + b.successful_calls,
    failed_calls: a.failed_calls + b.failed_calls,
    total_time_ms: time,
    avg_time_ms: n === 0 ? null : time / n,
    min_time_ms: min.length === 0 ? null : Math.min(...min),
    max_time_ms: max.length === 0 ? null : Math.max(...max),
  };
}

const toolExecution: Merger<'tool_execution'> = (inputs, merged) => {
  const name = CATALOG.toolExecutionDuration.name;
  const total = sum(inputs.map((i) => i.value.executions.total));
  const failed = sum(inputs.map((i) => i.value.executions.failed));
  const tools: Record<string, ToolStats> = {};
  for (const i of inputs) {
    for (const [tool, stats] of Object.entries(i.value.tool_metrics))
      tools[tool] = mergeToolStats(tools[tool], stats);
  }
  const top = Object.entries(tools)
    .filter(([, s]) => s.total_calls > 0)
    .sort(([a, x], [b, y]) => y.total_calls - x.total_calls || (a < b ? -1 : 1))
    .slice(0, TOP_TOOLS)
    .map(([tool, s]) => ({
      tool,
      executions: s.total_calls,
      failed: s.failed_calls,
      avg_time_ms: s.total_time_ms / s.total_calls,
    }));
  // Each process's recent error rate, weighted by its executions in the same window.
  const errorRate = weightedAvg(
    inputs
      .filter((i) => i.live)
      .map((i) => ({ avg: i.value.errors.error_rate, n: recentCount(i.families, name) })),
  );
  const avg = weightedAvg(inputs.map((i) => ({ avg: i.value.duration_ms.avg, n: i.value.executions.total })));
  return {
    executions: { total, successful: total - failed, failed },
    duration_ms: percentiles(merged, name, avg),
    errors: { error_rate: errorRate },
    top_tools: top,
    tool_metrics: tools,
  };
};

/** Totals over the live processes; each process's own values stay in the exposition, under `process`. */
const system: Merger<'system'> = (inputs) => {
  const live = inputs.filter((i) => i.live).map((i) => i.value);
  if (live.length === 0) return emptySystem();
  const used = sum(live.map((s) => s.memory.used_bytes));
  const available = Math.max(...live.map((s) => s.memory.available_bytes));
  const uptime = Math.max(...live.map((s) => s.uptime.seconds));
  return {
    memory: {
      used_bytes: used,
      used_mb: used / MIB,
      used_gb: used / (1024 * MIB),
      available_bytes: available,
      available_mb: available / MIB,
    },
    cpu: {
      percent: sumOrNull(live.map((s) => s.cpu.percent)),
      count: Math.max(...live.map((s) => s.cpu.count)),
    },
    uptime: { seconds: uptime, minutes: uptime / 60, hours: uptime / 3600 },
    threads: { active: sumOrNull(live.map((s) => s.threads.active)) },
    heap: {
      used_bytes: sum(live.map((s) => s.heap.used_bytes)),
      total_bytes: sum(live.map((s) => s.heap.total_bytes)),
    },
    event_loop: {
      delay_p99_ms: maxOrNull(live.map((s) => s.event_loop.delay_p99_ms)),
      utilization: maxOrNull(live.map((s) => s.event_loop.utilization)),
    },
  };
};

const MERGERS: { readonly [S in Slot]: Merger<S> } = {
  cache,
  tool_selection: toolSelection,
  bootstrap,
  provider_pool: providerPool,
  tool_execution: toolExecution,
  system,
};

export function mergeSlotValue<S extends Slot>(
  slot: S,
  inputs: readonly SlotInput<S>[],
  merged: readonly FamilyState[],
): SourceSlots[S] {
  return (MERGERS[slot] as Merger<S>)(inputs, merged);
}
