/**
 * Snapshots of a category whose component is not registered: counts are 0 (nothing happened), everything that
 * would be a rate, a percentile or a reading is null (nothing is known). Never a fake 0 for an unknown value.
 */
import type {
  BootstrapSnapshot,
  CacheSnapshot,
  Percentiles,
  ProviderPoolSnapshot,
  SystemSnapshot,
  ToolExecutionSnapshot,
  ToolSelectionSnapshot,
} from './types.ts';

export const unknownPercentiles = (): Percentiles => ({ avg: null, p50: null, p95: null, p99: null });

export function emptySelection(): Omit<ToolSelectionSnapshot, 'latency_ms'> {
  return {
    hit_rates: { query: null, context: null, rl: null, overall: null },
    latency_saved_ms: { total: 0, avg_per_hit: null },
    operations: { hits: 0, misses: 0, evictions: 0 },
    entries: { query: 0, context: 0, rl: 0, total: 0 },
    utilization: { query: 0, context: 0, rl: 0, overall: 0 },
  };
}

export function emptyCache(): CacheSnapshot {
  return {
    memory: { bytes: 0, mb: 0 },
    entries: { total: 0, active: 0 },
    operations: { lookups: 0, hits: 0, misses: 0, evictions: 0 },
    rates: { hit: null, miss: null, eviction: null },
  };
}

export function emptyBootstrap(): BootstrapSnapshot {
  return {
    startup_time: { ms: null, seconds: null },
    phases: {
      container_bootstrap_ms: null,
      service_registration_ms: null,
      provider_initialization_ms: null,
      tool_loading_ms: null,
      cache_warming_ms: null,
    },
    lazy_loading: { load_count: 0, total_time_ms: 0, avg_time_ms: null, first_access_overhead_ms: null },
  };
}

export function emptyProviderPool(): ProviderPoolSnapshot {
  return {
    pool: { total: 0, active: 0, unhealthy: 0 },
    requests: { total: 0, successful: 0, failed: 0 },
    latency_ms: unknownPercentiles(),
    errors: {
      error_rate: null,
      timeout_rate: null,
      rate_limit_rate: null,
      overloaded_rate: null,
      auth_rate: null,
      bad_request_rate: null,
      network_rate: null,
      aborted_rate: null,
      other_rate: null,
    },
    provider_health: {},
    tokens: { input: 0, output: 0, cached_input: 0, reasoning: 0 },
    time_to_first_chunk_ms: unknownPercentiles(),
    requests_by_model: {},
  };
}

export function emptyToolExecution(): ToolExecutionSnapshot {
  return {
    executions: { total: 0, successful: 0, failed: 0 },
    duration_ms: unknownPercentiles(),
    errors: { error_rate: null },
    top_tools: [],
    tool_metrics: {},
  };
}

export function emptySystem(): SystemSnapshot {
  return {
    memory: { used_bytes: 0, used_mb: 0, used_gb: 0, available_bytes: 0, available_mb: 0 },
    cpu: { percent: null, count: 0 },
    uptime: { seconds: 0, minutes: 0, hours: 0 },
    threads: { active: null },
    heap: { used_bytes: 0, total_bytes: 0 },
    event_loop: { delay_p99_ms: null, utilization: null },
  };
}
