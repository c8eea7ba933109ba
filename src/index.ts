/**
 * victor-perf: performance monitoring for AI agent runtimes. The root entry: metrics, components (sources)
 * and the collector. Importing it starts no server and loads no HTTP framework, no YAML parser and no demo;
 * those live behind their own entry points (`victor-perf/fastify`, `victor-perf/server`,
 * `victor-perf/monitoring`, ...).
 */

// --- metrics: catalog, primitives, exposition ---
export {
  BOOTSTRAP_PHASES,
  CACHE_NAMESPACES,
  CATALOG,
  CATALOG_ENTRIES,
  DEFAULT_PREFIX,
  PROVIDER_ERROR_TYPES,
  findSpec,
  metricName,
} from './metrics/catalog.ts';
export { Counter, Gauge, Histogram } from './metrics/primitives.ts';
export { MetricError } from './metrics/names.ts';
export { PROMETHEUS_CONTENT_TYPE, Registry } from './metrics/registry.ts';
export { ManualClock } from './metrics/sketch.ts';
// Naming modes: the description's names (seed) or Prometheus base units (base).
export { DEFAULT_UNITS, UNITS_MODES, unitsForm } from './metrics/catalog.ts';
export type { Units, UnitsForm } from './metrics/catalog.ts';

// --- components ---
export { ToolSelectionCache, CacheError } from './sources/cache.ts';
export { ToolSelectionMonitor } from './sources/selection.ts';
export { ToolExecutionMonitor } from './sources/tools.ts';
export { ProviderPoolMonitor, HealthTracker, classifyProviderError } from './sources/providers.ts';
// LLM usage and error classes, shared by the SDK adapters (victor-perf/ai-sdk, /openai, /anthropic, /mcp).
export { TOKEN_TYPES } from './metrics/catalog.ts';
export { isProviderErrorType, safeClassify } from './sources/provider-errors.ts';
export { LlmUsage, ProviderRequest, measureStream } from './sources/provider-usage.ts';
export type { TokenType } from './metrics/catalog.ts';
export type { ResponseReader, TokenTotals, TokenUsage } from './sources/provider-usage.ts';
export type { ChunkOf, RequestOptions, StreamOptions } from './sources/providers.ts';
export { BootstrapMonitor } from './sources/bootstrap.ts';
export { SystemMonitor } from './sources/system.ts';
export {
  CACHE_ENV_VARS,
  DEFAULT_CACHE_SETTINGS,
  DEFAULT_SETTINGS_FILE,
  SettingsError,
  loadCacheSettings,
} from './sources/settings.ts';

// --- collector ---
export {
  CollectorError,
  PerformanceMetricsCollector,
  SLOTS,
  getPerformanceCollector,
  resetPerformanceCollector,
} from './collector/collector.ts';
// --- health score: one definition, shared with the recording rule ---
export { DEFAULT_HEALTH_WINDOW } from './collector/health.ts';
export type { HealthOptions } from './collector/health.ts';
export {
  DEFAULT_HEALTH_DEFINITION,
  DEFAULT_HEALTH_WEIGHTS,
  HEALTH_TERMS,
  HEALTH_TERM_KEYS,
  HealthDefinitionError,
} from './query/health.ts';
export type { HealthDefinition, HealthTerm, HealthTermKey, HealthWeights } from './query/health.ts';

export { VERSION } from './version.ts';

// --- alongside prom-client: one scrape for both ---
export { PROM_CLIENT_EQUIVALENTS, combinedMetrics } from './collector/prom-client.ts';
export type { CombinedMetricsOptions, PromClientRegistryLike } from './collector/prom-client.ts';

// --- custom metrics, declared by the application ---
export { CustomMetrics } from './sources/custom.ts';
export type {
  CustomGaugeOptions,
  CustomHistogramOptions,
  CustomMetricOptions,
  CustomMetricSnapshot,
  CustomSnapshot,
} from './sources/custom.ts';

// --- types ---
export type {
  CacheNamespace,
  MetricSpec,
  MetricType,
  MetricUnit,
  ProviderErrorType,
} from './metrics/catalog.ts';
export type { AnyMetric, HistogramOptions } from './metrics/primitives.ts';
export type { WindowClock } from './metrics/sketch.ts';
export type { CacheSetOptions, ToolSelectionCacheOptions } from './sources/cache.ts';
export type { SelectOptions, Selector, ToolSelectionMonitorOptions } from './sources/selection.ts';
export type { ToolExecutionMonitorOptions } from './sources/tools.ts';
export type {
  CallOptions,
  CircuitState,
  HealthTrackerOptions,
  ProviderOutcome,
  ProviderPoolMonitorOptions,
} from './sources/providers.ts';
export type { BootstrapMonitorOptions } from './sources/bootstrap.ts';
export type { SystemMonitorOptions, SystemReaders } from './sources/system.ts';
export type { CacheSettings, LoadCacheSettingsOptions } from './sources/settings.ts';
export type { CategoryRead, CollectorOptions, Slot, SourceSlots } from './collector/collector.ts';
export type {
  BootstrapSnapshot,
  CacheEndpointSnapshot,
  CacheSnapshot,
  CacheSourceData,
  CategoryName,
  PerformanceSnapshot,
  Percentiles,
  ProviderPoolSnapshot,
  Rate,
  SelectionSourceData,
  Source,
  SourceError,
  SystemSnapshot,
  ToolExecutionSnapshot,
  ToolSelectionSnapshot,
  ToolStats,
} from './collector/types.ts';
