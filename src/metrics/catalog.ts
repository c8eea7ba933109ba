/**
 * The metric catalog: every metric victor-perf emits, declared once.
 *
 * The exporter, the JSON API, the alert and recording rules, the Grafana dashboard and the built-in dashboard
 * all refer to these entries. Names here carry no prefix; `metricName(spec, prefix)` adds it (default `victor_`).
 * Names, types and meanings of the description's metrics are kept; the others are
 * ours, added so that every panel and alert has a real series behind it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** What a value measures, so that dashboards and alert texts format it right. */
export type MetricUnit =
  | 'milliseconds'
  | 'seconds'
  | 'bytes'
  | 'megabytes'
  | 'ratio' // 0..1
  | 'percent' // 0..100
  | 'count'
  | 'score'; // 0..100

export type Category =
  | 'cache'
  | 'tool_selection'
  | 'tool_execution'
  | 'provider_pool'
  | 'bootstrap'
  | 'system'
  | 'collector'
  | 'custom'; // declared by the application (sources/custom.ts), never in the catalog

export interface MetricSpec<L extends string = string> {
  /** Name without the prefix, e.g. `cache_hit_rate`. */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: MetricUnit;
  readonly category: Category;
  /** Label names in exposition order. Never `le` (histograms own it) nor `quantile`. */
  readonly labels: readonly L[];
  /** Known label values (documentation, dashboards, tests). A label absent here takes open values. */
  readonly labelValues?: Readonly<Partial<Record<L, readonly string[]>>>;
  /** Histogram upper bounds, ascending, without +Inf. */
  readonly buckets?: readonly number[];
  /**
   * How the metric combines when several processes are aggregated (`victor-perf/cluster`). Counters and
   * histograms always add up (`sum`, the only policy they take, so that they stay monotonic); a gauge
   * without one keeps one series per process.
   */
  readonly aggregation?: GaugeAggregation;
  /**
   * Base units mode leaves this metric out: the catalog metric of this name (unprefixed) carries the same
   * measurement in base units. Metrics in milliseconds need nothing here: `unitsForm` derives their base name.
   */
  readonly replacedBy?: string;
}

/**
 * Naming modes of the exposition and of everything generated from the catalog. `seed`: the description's
 * names (`_ms`, `_mb`, CPU in percent), the default. `base`: Prometheus base units (seconds, bytes, CPU as a
 * seconds counter), which `promtool check metrics` accepts without a finding.
 */
export const UNITS_MODES = ['seed', 'base'] as const;
export type Units = (typeof UNITS_MODES)[number];
export const DEFAULT_UNITS: Units = 'seed';

/** How a metric appears in one naming mode: its name (unprefixed), help, unit, and seed value per exposed value. */
export interface UnitsForm {
  readonly name: string;
  readonly help: string;
  readonly unit: MetricUnit;
  /** Exposed value = recorded value / divisor (1000 for milliseconds shown as seconds). */
  readonly divisor: number;
}

/**
 * `sum`, `max` or `min` of the processes' values, or `per_process`: one series per process under a
 * `process` label. System gauges are always kept per process as well, next to their total.
 */
export type GaugeAggregation = 'sum' | 'max' | 'min' | 'per_process';

export const DEFAULT_PREFIX = 'victor_';

export const CACHE_NAMESPACES = ['query', 'context', 'rl'] as const;
export type CacheNamespace = (typeof CACHE_NAMESPACES)[number];

export const BOOTSTRAP_PHASES = [
  'container_bootstrap',
  'service_registration',
  'provider_initialization',
  'tool_loading',
  'cache_warming',
] as const;

/** The closed set of provider error classes (see src/sources/provider-errors.ts for what maps to each). */
export const PROVIDER_ERROR_TYPES = [
  'timeout',
  'rate_limit',
  'overloaded',
  'auth',
  'bad_request',
  'network',
  'aborted',
  'other',
] as const;
export type ProviderErrorType = (typeof PROVIDER_ERROR_TYPES)[number];

/** Token types of `provider_tokens_total`: cached_input is part of input, reasoning part of output. */
export const TOKEN_TYPES = ['input', 'output', 'cached_input', 'reasoning'] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];

/**
 * Label value of the series that label sets fold into once a metric reaches its series limit. Empty, which
 * Prometheus reads as the label being absent, so no caller's name (names are non-empty) can be mistaken for it.
 */
export const OVERFLOW_LABEL_VALUE = '';

/** Selection latency: sub-millisecond work. 1 and 5 are the alert thresholds and must stay bucket bounds. */
export const SELECTION_BUCKETS_MS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000,
];
/** Tool execution: milliseconds to minutes. 1000 and 5000 are alert thresholds. */
export const EXECUTION_BUCKETS_MS = [
  1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000,
];
/** Provider (LLM) latency: 10000 is the alert threshold. */
export const PROVIDER_BUCKETS_MS = [
  10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 20000, 30000, 60000, 120000,
];

/** Time to the first streamed chunk: 5000 is the alert threshold's default and must stay a bucket bound. */
export const FIRST_CHUNK_BUCKETS_MS = [
  10, 25, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 7500, 10000, 20000, 60000,
];

function spec<const L extends string>(s: MetricSpec<L>): MetricSpec<L> {
  return s;
}

const ns4 = { namespace: [...CACHE_NAMESPACES, 'overall'] } as const;

export const CATALOG = {
  // --- cache (the description's metric reference) ---
  cacheHitRate: spec({
    name: 'cache_hit_rate',
    type: 'gauge',
    aggregation: 'min',
    unit: 'ratio',
    category: 'cache',
    help: 'Tool selection cache hit rate (0-1); absent while a namespace has had no lookups.',
    labels: ['namespace'],
    labelValues: ns4,
  }),
  cacheEntries: spec({
    name: 'cache_entries',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'count',
    category: 'cache',
    help: 'Entries in the tool selection cache.',
    labels: ['namespace'],
    labelValues: { namespace: [...CACHE_NAMESPACES, 'total'] },
  }),
  cacheOperations: spec({
    name: 'cache_operations_total',
    type: 'counter',
    unit: 'count',
    category: 'cache',
    help: 'Tool selection cache operations (hits, misses, evictions).',
    labels: ['namespace', 'operation'],
    labelValues: { namespace: CACHE_NAMESPACES, operation: ['hits', 'misses', 'evictions'] },
  }),
  cacheEvictions: spec({
    name: 'cache_evictions_total',
    type: 'counter',
    unit: 'count',
    category: 'cache',
    help: 'Tool selection cache evictions by reason: lru (capacity) or expired (TTL).',
    labels: ['namespace', 'reason'],
    labelValues: { namespace: CACHE_NAMESPACES, reason: ['lru', 'expired'] },
  }),
  cacheUtilization: spec({
    name: 'cache_utilization',
    type: 'gauge',
    aggregation: 'max',
    unit: 'ratio',
    category: 'cache',
    help: 'Tool selection cache utilization: entries / capacity (0-1).',
    labels: ['namespace'],
    labelValues: ns4,
  }),
  cacheCapacity: spec({
    name: 'cache_capacity',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'count',
    category: 'cache',
    help: 'Maximum entries per cache namespace.',
    labels: ['namespace'],
    labelValues: { namespace: CACHE_NAMESPACES },
  }),
  cacheLatencySaved: spec({
    name: 'cache_latency_saved_ms_total',
    type: 'counter',
    unit: 'milliseconds',
    category: 'cache',
    help: 'Selection time saved by cache hits (the cost of the computation each hit avoided).',
    labels: ['namespace'],
    labelValues: { namespace: CACHE_NAMESPACES },
  }),
  cacheMemoryBytes: spec({
    name: 'cache_memory_bytes',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'bytes',
    category: 'cache',
    help: 'Estimated memory held by the tool selection cache, in bytes.',
    labels: [],
  }),
  cacheMemoryMb: spec({
    name: 'cache_memory_mb',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'megabytes',
    category: 'cache',
    help: 'Estimated memory held by the tool selection cache, in MB.',
    labels: [],
    replacedBy: 'cache_memory_bytes',
  }),

  // --- tool selection ---
  toolSelectionDuration: spec({
    name: 'tool_duration_ms',
    type: 'histogram',
    unit: 'milliseconds',
    category: 'tool_selection',
    help: 'Tool selection latency in milliseconds (cache lookup plus selector on a miss).',
    labels: [],
    buckets: SELECTION_BUCKETS_MS,
  }),
  toolSelections: spec({
    name: 'tool_selections_total',
    type: 'counter',
    unit: 'count',
    category: 'tool_selection',
    help: 'Tool selections by cache namespace and result (hit: answered from the cache, miss: selector ran).',
    labels: ['namespace', 'result'],
    labelValues: { namespace: CACHE_NAMESPACES, result: ['hit', 'miss'] },
  }),

  // --- tool execution ---
  toolExecutions: spec({
    name: 'tool_executions_total',
    type: 'counter',
    unit: 'count',
    category: 'tool_execution',
    help: 'Tool executions by tool and status (success, failure).',
    labels: ['tool', 'status'],
    labelValues: { status: ['success', 'failure'] },
  }),
  toolExecutionDuration: spec({
    name: 'tool_execution_duration_ms',
    type: 'histogram',
    unit: 'milliseconds',
    category: 'tool_execution',
    help: 'Tool execution duration in milliseconds, per execution.',
    labels: ['tool'],
    buckets: EXECUTION_BUCKETS_MS,
  }),
  toolErrorRate: spec({
    name: 'tool_error_rate',
    type: 'gauge',
    aggregation: 'max',
    unit: 'ratio',
    category: 'tool_execution',
    help: 'Failed / total tool executions over the recent window (0-1); absent with no executions in it.',
    labels: [],
  }),

  // --- provider pool ---
  providerHealth: spec({
    name: 'provider_health',
    type: 'gauge',
    aggregation: 'min',
    unit: 'ratio',
    category: 'provider_pool',
    help: 'Provider health: 1 healthy, 0 unhealthy, between for degraded (half-open circuit).',
    labels: ['provider'],
  }),
  providerRequests: spec({
    name: 'provider_requests_total',
    type: 'counter',
    unit: 'count',
    category: 'provider_pool',
    help: 'Requests sent to each LLM provider.',
    labels: ['provider'],
  }),
  providerErrors: spec({
    name: 'provider_errors_total',
    type: 'counter',
    unit: 'count',
    category: 'provider_pool',
    help: 'Failed provider requests by provider and error class (timeout, rate_limit, overloaded, auth, bad_request, network, aborted, other).',
    labels: ['provider', 'type'],
    labelValues: { type: PROVIDER_ERROR_TYPES },
  }),
  providerLatency: spec({
    name: 'provider_latency_ms',
    type: 'histogram',
    unit: 'milliseconds',
    category: 'provider_pool',
    help: 'Provider request latency in milliseconds.',
    labels: ['provider'],
    buckets: PROVIDER_BUCKETS_MS,
  }),

  // --- LLM usage (provider pool): what the SDK adapters report per request ---
  providerTokens: spec({
    name: 'provider_tokens_total',
    type: 'counter',
    unit: 'count',
    category: 'provider_pool',
    help: 'Tokens reported by the provider, by model and type (cached_input is part of input, reasoning part of output).',
    labels: ['provider', 'model', 'type'],
    labelValues: { type: TOKEN_TYPES },
  }),
  providerTimeToFirstChunk: spec({
    name: 'provider_time_to_first_chunk_ms',
    type: 'histogram',
    unit: 'milliseconds',
    category: 'provider_pool',
    help: 'Time from a streamed provider request to its first chunk, in milliseconds.',
    labels: ['provider'],
    buckets: FIRST_CHUNK_BUCKETS_MS,
  }),
  providerModelRequests: spec({
    name: 'provider_model_requests_total',
    type: 'counter',
    unit: 'count',
    category: 'provider_pool',
    help: 'Provider requests by model, for requests whose model is known.',
    labels: ['provider', 'model'],
  }),

  // --- bootstrap ---
  bootstrapStartup: spec({
    name: 'bootstrap_startup_ms',
    type: 'gauge',
    aggregation: 'max',
    unit: 'milliseconds',
    category: 'bootstrap',
    help: 'Total start-up time of the service container in milliseconds.',
    labels: [],
  }),
  bootstrapPhaseDuration: spec({
    name: 'bootstrap_phase_duration_ms',
    type: 'gauge',
    aggregation: 'max',
    unit: 'milliseconds',
    category: 'bootstrap',
    help: 'Duration of each start-up phase in milliseconds.',
    labels: ['phase'],
    labelValues: { phase: BOOTSTRAP_PHASES },
  }),
  bootstrapLazyLoads: spec({
    name: 'bootstrap_lazy_loads_total',
    type: 'counter',
    unit: 'count',
    category: 'bootstrap',
    help: 'Services loaded lazily after start-up.',
    labels: [],
  }),
  bootstrapLazyLoadTime: spec({
    name: 'bootstrap_lazy_load_ms_total',
    type: 'counter',
    unit: 'milliseconds',
    category: 'bootstrap',
    help: 'Total time spent in lazy loads, in milliseconds.',
    labels: [],
  }),
  bootstrapFirstAccessOverhead: spec({
    name: 'bootstrap_first_access_overhead_ms',
    type: 'gauge',
    aggregation: 'max',
    unit: 'milliseconds',
    category: 'bootstrap',
    help: 'Average extra latency of the first access to a lazily loaded service, in milliseconds.',
    labels: [],
  }),

  // --- system ---
  systemMemoryBytes: spec({
    name: 'system_memory_bytes',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'bytes',
    category: 'system',
    help: 'Resident memory of the process in bytes.',
    labels: [],
  }),
  systemMemoryMb: spec({
    name: 'system_memory_mb',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'megabytes',
    category: 'system',
    help: 'Resident memory of the process in MB.',
    labels: [],
    replacedBy: 'system_memory_bytes',
  }),
  systemMemoryAvailableBytes: spec({
    name: 'system_memory_available_bytes',
    type: 'gauge',
    aggregation: 'max',
    unit: 'bytes',
    category: 'system',
    help: 'Memory available on the host in bytes.',
    labels: [],
  }),
  systemCpuPercent: spec({
    name: 'system_cpu_percent',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'percent',
    category: 'system',
    help: 'Process CPU usage in percent of one core (0-100 per core) over the last 10 s, from process CPU time.',
    labels: [],
    // Base units: CPU is the seconds counter; queries take 100 × its rate.
    replacedBy: 'system_cpu_seconds_total',
  }),
  systemCpuCount: spec({
    name: 'system_cpus',
    type: 'gauge',
    aggregation: 'max',
    unit: 'count',
    category: 'system',
    help: 'Logical CPUs available to the process.',
    labels: [],
  }),
  systemUptime: spec({
    name: 'system_uptime_seconds',
    type: 'gauge',
    aggregation: 'max',
    unit: 'seconds',
    category: 'system',
    help: 'Process uptime in seconds.',
    labels: [],
  }),
  // A restart or deployment shows as a change of this value (dashboard annotations, start-up alerts).
  systemStartTime: spec({
    name: 'system_start_time_seconds',
    type: 'gauge',
    aggregation: 'max',
    unit: 'seconds',
    category: 'system',
    help: 'Start time of the process since the Unix epoch, in seconds.',
    labels: [],
  }),
  systemThreads: spec({
    name: 'system_threads',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'count',
    category: 'system',
    help: 'Threads of the process (from /proc on Linux).',
    labels: [],
  }),
  systemHeapUsed: spec({
    name: 'system_heap_used_bytes',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'bytes',
    category: 'system',
    help: 'V8 heap in use, in bytes.',
    labels: [],
  }),
  systemHeapTotal: spec({
    name: 'system_heap_total_bytes',
    type: 'gauge',
    aggregation: 'sum',
    unit: 'bytes',
    category: 'system',
    help: 'V8 heap allocated, in bytes.',
    labels: [],
  }),
  systemEventLoopDelayP99: spec({
    name: 'system_event_loop_delay_p99_ms',
    type: 'gauge',
    aggregation: 'max',
    unit: 'milliseconds',
    category: 'system',
    help: 'Event-loop delay P99 of the worst 1 s interval in the last 10 s, in milliseconds.',
    labels: [],
  }),
  systemEventLoopUtilization: spec({
    name: 'system_event_loop_utilization',
    type: 'gauge',
    aggregation: 'max',
    unit: 'ratio',
    category: 'system',
    help: 'Event-loop utilization over the last 10 s (0-1).',
    labels: [],
  }),

  // --- the collector itself ---
  collectionErrors: spec({
    name: 'collection_errors_total',
    type: 'counter',
    aggregation: 'sum',
    unit: 'count',
    category: 'collector',
    help: 'Collections in which a registered component threw or returned invalid data, by source.',
    labels: ['source'],
  }),
  seriesOverflow: spec({
    name: 'series_overflow_total',
    type: 'counter',
    aggregation: 'sum',
    unit: 'count',
    category: 'collector',
    help: 'Label-set look-ups folded into the overflow series because a metric reached its label-set limit.',
    labels: ['metric'],
  }),

  // --- cross-process aggregation (victor-perf/cluster): written by the primary only ---
  clusterProcesses: spec({
    name: 'cluster_processes',
    type: 'gauge',
    aggregation: 'max',
    unit: 'count',
    category: 'collector',
    help: 'Running processes whose metrics the primary aggregates, the primary included.',
    labels: [],
  }),
  clusterProcessStale: spec({
    name: 'cluster_process_stale',
    type: 'gauge',
    aggregation: 'max',
    unit: 'count',
    category: 'collector',
    help: '1 while a process missed the last collection deadline and its last known values are shown, else 0.',
    labels: ['process'],
  }),
  clusterCollectTimeouts: spec({
    name: 'cluster_collect_timeouts_total',
    type: 'counter',
    unit: 'count',
    category: 'collector',
    help: 'Collections a process did not answer in time; the aggregate used its last known values instead.',
    labels: ['process'],
  }),
  clusterProcessesExited: spec({
    name: 'cluster_processes_exited_total',
    type: 'counter',
    unit: 'count',
    category: 'collector',
    help: 'Aggregated processes that exited; their counters and histograms stay in the totals.',
    labels: [],
  }),

  // --- monitor self-protection and collection cost ---
  instrumentationErrors: spec({
    name: 'instrumentation_errors_total',
    type: 'counter',
    aggregation: 'sum',
    unit: 'count',
    category: 'collector',
    help: 'Failures inside the monitor, caught so that the measured code and the process carry on, by component.',
    labels: ['component'],
  }),
  collectionDuration: spec({
    name: 'collection_duration_seconds',
    type: 'histogram',
    aggregation: 'sum',
    unit: 'seconds',
    category: 'collector',
    help: 'Time one source takes to collect and render its series, in seconds, by source.',
    labels: ['source'],
    buckets: [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  }),
  systemCpuSeconds: spec({
    name: 'system_cpu_seconds_total',
    type: 'counter',
    unit: 'seconds',
    category: 'system',
    help: 'Process CPU time (user and system) since the process started, in seconds.',
    labels: [],
  }),
} as const;

export type CatalogKey = keyof typeof CATALOG;
export type CatalogEntry = (typeof CATALOG)[CatalogKey];

// --- several processes aggregated (victor-perf/cluster): the label of per-process series ---
/** Label naming the process of a per-process gauge's series when several processes are aggregated. */
export const PROCESS_LABEL = 'process';
/** Its value on a system gauge's total over every process. */
export const TOTAL_PROCESS = 'total';

/**
 * Whether a gauge keeps one series per process (under `PROCESS_LABEL`) when processes are aggregated: the
 * system gauges (next to their `total`) and the gauges whose policy is `per_process`.
 */
export function isPerProcess(spec: MetricSpec): boolean {
  return (
    spec.type === 'gauge' &&
    (spec.category === 'system' || (spec.aggregation ?? 'per_process') === 'per_process')
  );
}

/** All catalog entries in declaration order (the exposition order). */
export const CATALOG_ENTRIES: readonly MetricSpec[] = Object.values(CATALOG);

const PREFIX_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

type NamedSpec = Pick<MetricSpec, 'name'> &
  Partial<Pick<MetricSpec, 'unit' | 'help' | 'category' | 'replacedBy'>>;

const MS_SUFFIX_RE = /_ms(?=_total$|$)/;
const baseForms = new WeakMap<object, UnitsForm | null>();

/**
 * A metric in one naming mode, or null when that mode leaves it out (`replacedBy`). Seed: the spec as
 * declared. Base: milliseconds become seconds (`_ms` → `_seconds`, values and buckets divided by 1000);
 * application metrics (category `custom`) keep the names their authors gave them.
 */
export function unitsForm(spec: NamedSpec, units: Units = DEFAULT_UNITS): UnitsForm | null {
  const seed: UnitsForm = {
    name: spec.name,
    help: spec.help ?? '',
    unit: spec.unit ?? 'count',
    divisor: 1,
  };
  if (units === 'seed' || spec.category === 'custom') return seed;
  let form = baseForms.get(spec);
  if (form !== undefined) return form;
  if (spec.replacedBy !== undefined) form = null;
  else if (spec.unit === 'milliseconds') {
    if (!MS_SUFFIX_RE.test(spec.name)) {
      throw new TypeError(
        `metric ${spec.name} is in milliseconds but its name has no _ms to turn into _seconds`,
      );
    }
    form = {
      name: spec.name.replace(MS_SUFFIX_RE, '_seconds'),
      help: seed.help.replace(/\bmilliseconds\b/g, 'seconds'),
      unit: 'seconds',
      divisor: 1000,
    };
  } else form = seed;
  baseForms.set(spec, form);
  return form;
}

/** Full metric name in a naming mode: prefix + name. Throws for a metric the mode leaves out. */
export function metricName(
  spec: NamedSpec,
  prefix: string = DEFAULT_PREFIX,
  units: Units = DEFAULT_UNITS,
): string {
  const form = unitsForm(spec, units);
  if (form === null) {
    throw new TypeError(
      `metric ${spec.name} is not emitted in ${units} units: use ${spec.replacedBy ?? 'its base-unit twin'}`,
    );
  }
  return prefix + form.name;
}

/** Throws with the bad value in the message for anything but `seed` or `base`. */
export function validateUnits(units: unknown): Units {
  if (!(UNITS_MODES as readonly unknown[]).includes(units)) {
    throw new TypeError(`invalid units ${JSON.stringify(units)}: expected one of ${UNITS_MODES.join(', ')}`);
  }
  return units as Units;
}

/** Throws with the bad value in the message when a prefix would make invalid metric names. */
export function validatePrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new TypeError(
      `invalid metric prefix ${JSON.stringify(prefix)}: must match [a-zA-Z_:][a-zA-Z0-9_:]* (or be empty)`,
    );
  }
  return prefix;
}

/** Looks a catalog entry up by its unprefixed name. */
export function findSpec(name: string): MetricSpec | undefined {
  return CATALOG_ENTRIES.find((s) => s.name === name);
}
