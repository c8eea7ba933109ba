/**
 * Snapshot shapes: the wire contract of the original API. Field names are snake_case because the
 * original's clients read them; we may add fields, never rename them. `null` means "cannot be known yet"
 * (a hit rate with no lookups), never a fake 0.
 */
import type { ProviderErrorType } from '../metrics/catalog.ts';
import type { AnyMetric } from '../metrics/primitives.ts';
import type { CustomSnapshot } from '../sources/custom.ts';

export type Rate = number | null;

export interface Percentiles {
  avg: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ToolSelectionSnapshot {
  hit_rates: { query: Rate; context: Rate; rl: Rate; overall: Rate };
  latency_ms: Percentiles;
  latency_saved_ms: { total: number; avg_per_hit: number | null };
  operations: { hits: number; misses: number; evictions: number };
  entries: { query: number; context: number; rl: number; total: number };
  utilization: { query: number; context: number; rl: number; overall: number };
}

export interface CacheSnapshot {
  memory: { bytes: number; mb: number };
  entries: { total: number; active: number };
  operations: { lookups: number; hits: number; misses: number; evictions: number };
  rates: { hit: Rate; miss: Rate; eviction: Rate };
}

/** `/api/performance/cache`: the tool-selection object plus the cache's memory and rates. */
export type CacheEndpointSnapshot = ToolSelectionSnapshot & Pick<CacheSnapshot, 'memory' | 'rates'>;

export interface BootstrapSnapshot {
  startup_time: { ms: number | null; seconds: number | null };
  phases: {
    container_bootstrap_ms: number | null;
    service_registration_ms: number | null;
    provider_initialization_ms: number | null;
    tool_loading_ms: number | null;
    cache_warming_ms: number | null;
    /** Any other named phases, in ms. */
    [phase: string]: number | null;
  };
  lazy_loading: {
    load_count: number;
    total_time_ms: number;
    avg_time_ms: number | null;
    first_access_overhead_ms: number | null;
  };
}

export interface ProviderPoolSnapshot {
  pool: { total: number; active: number; unhealthy: number };
  requests: { total: number; successful: number; failed: number };
  latency_ms: Percentiles;
  /** error_rate: all failures / requests; one `<class>_rate` per error class of PROVIDER_ERROR_TYPES. */
  errors: { error_rate: Rate } & { [K in ProviderErrorType as `${K}_rate`]: Rate };
  provider_health: Record<string, number>;
  /** Tokens reported through the adapters since start (cached_input is part of input, reasoning of output). */
  tokens: { input: number; output: number; cached_input: number; reasoning: number };
  /** Time to the first chunk of streamed requests. */
  time_to_first_chunk_ms: Percentiles;
  /** Requests per model (summed over providers), for requests whose model is known. */
  requests_by_model: Record<string, number>;
}

export interface ToolStats {
  total_calls: number;
  successful_calls: number;
  failed_calls: number;
  total_time_ms: number;
  avg_time_ms: number | null;
  min_time_ms: number | null;
  max_time_ms: number | null;
}

export interface ToolExecutionSnapshot {
  executions: { total: number; successful: number; failed: number };
  duration_ms: Percentiles;
  /** error_rate: failed / total over the recent window (null with no executions in it). */
  errors: { error_rate: Rate };
  /** Tools by executions, most first (at most 10). */
  top_tools: Array<{ tool: string; executions: number; failed: number; avg_time_ms: number | null }>;
  tool_metrics: Record<string, ToolStats>;
}

export interface SystemSnapshot {
  memory: {
    used_bytes: number;
    used_mb: number;
    used_gb: number;
    available_bytes: number;
    available_mb: number;
  };
  cpu: { percent: number | null; count: number };
  uptime: { seconds: number; minutes: number; hours: number };
  threads: { active: number | null };
  /** Node additions. */
  heap: { used_bytes: number; total_bytes: number };
  event_loop: { delay_p99_ms: number | null; utilization: number | null };
}

export type CategoryName =
  'tool_selection' | 'cache' | 'bootstrap' | 'provider_pool' | 'tool_execution' | 'system';

export interface SourceError {
  /** Registered source that failed, e.g. `cache` or `provider_pool`. */
  source: string;
  message: string;
}

export interface PerformanceSnapshot {
  timestamp: string;
  tool_selection: ToolSelectionSnapshot | null;
  cache: CacheSnapshot | null;
  bootstrap: BootstrapSnapshot | null;
  provider_pool: ProviderPoolSnapshot | null;
  tool_execution: ToolExecutionSnapshot | null;
  system: SystemSnapshot | null;
  /** 0..100 with the reference weights; null until its inputs are known. */
  /** The application's own metrics (`collector.counter(...)` and the like), by name. */
  custom: CustomSnapshot;
  health_score: number | null;
  /** Sources that failed in this collection; their categories are null. */
  errors: SourceError[];
}

/**
 * A measured component, read at collection time.
 *
 * `collect()` is called once per collection (a scrape or an API read), on the event loop, and must not block:
 * it reads counters the component keeps and sets its pulled gauges. It may throw; the collector then drops
 * this source's series and category from that one collection, reports the error and counts it in
 * `collection_errors_total{source}`. `metrics()` lists the metric objects the source records into; they are
 * rendered after a successful `collect()`.
 */
export interface Source<S> {
  /** Stable name used in errors and in `collection_errors_total{source}`. */
  readonly sourceName: string;
  collect(): S;
  metrics(): readonly AnyMetric[];
}

/** What each kind of source yields from collect(). */
export interface CacheSourceData {
  cache: CacheSnapshot;
  /** The tool-selection fields the cache knows (all but latency_ms). */
  selection: Omit<ToolSelectionSnapshot, 'latency_ms'>;
}
export interface SelectionSourceData {
  latency_ms: Percentiles;
}
