/**
 * One history sample: the values the dashboard panels draw, read from one `collectAndExport()`.
 *
 * Snapshot numbers (hit rates, latency percentiles, memory, ...) are taken as they are; per-label counters are
 * read from the exposition text (so a source's series count once, with the same names Prometheus sees) and
 * turned into per-second rates between consecutive samples, the way `rate()` would; per-provider and per-tool
 * percentiles come from the histogram children's recent-window quantiles.
 *
 * Series ids are `name` or `name{label=value}`; the page filters on the label.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import { CATALOG, CACHE_NAMESPACES } from '../metrics/catalog.ts';
import type { HistogramChild } from '../metrics/primitives.ts';

export type Sample = Map<string, number | null>;

export interface ExpositionSeries {
  labels: Record<string, string>;
  value: number;
}

const LINE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** Parses label pairs rendered as `a="x",b="y"`. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(LABEL_RE)) labels[m[1]!] = unescape(m[2]!);
  return labels;
}

/** Parses the text exposition into series by metric name (comment lines skipped). */
export function parseExposition(text: string): Map<string, ExpositionSeries[]> {
  const out = new Map<string, ExpositionSeries[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE_RE.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (Number.isNaN(value)) continue;
    let list = out.get(m[1]!);
    if (!list) out.set(m[1]!, (list = []));
    list.push({ labels: m[2] ? parseLabels(m[2]) : {}, value });
  }
  return out;
}

const finite = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

export class Sampler {
  /** Previous value and time of every counter that feeds a rate. */
  private readonly previous = new Map<string, { t: number; v: number }>();

  constructor(private readonly collector: PerformanceMetricsCollector) {}

  sample(t: number): { values: Sample; snapshot: PerformanceSnapshot } {
    const { snapshot, text } = this.collector.collectAndExport();
    const values: Sample = new Map();
    const set = (id: string, v: number | null | undefined): void => {
      values.set(id, finite(v));
    };
    const exposition = parseExposition(text);
    const prefix = this.collector.prefix;
    const series = (name: string): ExpositionSeries[] => exposition.get(prefix + name) ?? [];
    /** Per-second increase since the previous sample (null on the first one); a drop is a counter reset. */
    const rate = (id: string, v: number): void => {
      const prev = this.previous.get(id);
      this.previous.set(id, { t, v });
      if (!prev || t <= prev.t) return set(id, null);
      set(id, ((v >= prev.v ? v - prev.v : v) * 1000) / (t - prev.t));
    };

    set('health_score', snapshot.health_score);

    const ts = snapshot.tool_selection;
    for (const q of ['p50', 'p95', 'p99'] as const)
      set(`selection_latency_ms{quantile=${q}}`, ts?.latency_ms[q]);
    for (const ns of [...CACHE_NAMESPACES, 'overall'] as const) {
      set(`cache_hit_rate{namespace=${ns}}`, ts?.hit_rates[ns]);
      set(`cache_utilization{namespace=${ns}}`, ts?.utilization[ns]);
    }
    for (const ns of [...CACHE_NAMESPACES, 'total'] as const)
      set(`cache_entries{namespace=${ns}}`, ts?.entries[ns]);
    set('cache_memory_bytes', snapshot.cache?.memory.bytes);

    // Cache operations and selections per namespace, as rates.
    for (const s of series(CATALOG.cacheOperations.name)) {
      const { namespace, operation } = s.labels;
      if (namespace && operation) rate(`cache_${operation}_per_s{namespace=${namespace}}`, s.value);
    }
    for (const s of series(CATALOG.toolSelections.name)) {
      const { namespace, result } = s.labels;
      const kind = result === 'hit' ? 'hits' : result === 'miss' ? 'misses' : undefined;
      if (namespace && kind) rate(`selection_${kind}_per_s{namespace=${namespace}}`, s.value);
    }

    const sys = snapshot.system;
    set('system_memory_bytes', sys?.memory.used_bytes);
    set('system_heap_used_bytes', sys?.heap.used_bytes);
    set('system_cpu_percent', sys?.cpu.percent);
    set('system_uptime_seconds', sys?.uptime.seconds);
    set('system_event_loop_delay_p99_ms', sys?.event_loop.delay_p99_ms);

    const pool = snapshot.provider_pool;
    set('providers_active', pool?.pool.active);
    set('providers_total', pool?.pool.total);
    if (pool)
      for (const [p, h] of Object.entries(pool.provider_health)) set(`provider_health{provider=${p}}`, h);
    for (const s of series(CATALOG.providerRequests.name)) {
      if (s.labels.provider) rate(`provider_requests_per_s{provider=${s.labels.provider}}`, s.value);
    }
    const providerErrors = new Map<string, number>();
    for (const s of series(CATALOG.providerErrors.name)) {
      const p = s.labels.provider;
      if (p) providerErrors.set(p, (providerErrors.get(p) ?? 0) + s.value);
    }
    for (const [p, v] of providerErrors) rate(`provider_errors_per_s{provider=${p}}`, v);
    // LLM usage, as the Grafana row reads it: input + output tokens by provider and model, rate-limit errors.
    const tokens = new Map<string, number>();
    for (const s of series(CATALOG.providerTokens.name)) {
      const { provider, model, type } = s.labels;
      if (!provider || model === undefined || (type !== 'input' && type !== 'output')) continue;
      const id = `provider_tokens_per_s{provider=${provider},model=${model}}`;
      tokens.set(id, (tokens.get(id) ?? 0) + s.value);
    }
    for (const [id, v] of tokens) rate(id, v);
    for (const s of series(CATALOG.providerErrors.name)) {
      const p = s.labels.provider;
      if (p && s.labels.type === 'rate_limit') rate(`provider_rate_limited_per_s{provider=${p}}`, s.value);
    }

    const exec = snapshot.tool_execution;
    for (const q of ['p50', 'p95', 'p99'] as const)
      set(`execution_duration_ms{quantile=${q}}`, exec?.duration_ms[q]);
    set('tool_error_rate', exec?.errors.error_rate);
    // Cumulative per-tool counters: the page takes increases over its own windows (top tools, error ratio).
    for (const s of series(CATALOG.toolExecutions.name)) {
      const { tool, status } = s.labels;
      if (tool && status) set(`tool_executions_total{tool=${tool},status=${status}}`, s.value);
    }

    // Percentiles from the histogram children of the registered sources.
    for (const metric of this.collector.metrics()) {
      if (metric.spec.type !== 'histogram') continue;
      const name = metric.spec.name;
      const prefixFor: Record<string, string> = {
        [CATALOG.providerLatency.name]: 'provider_latency',
        [CATALOG.providerTimeToFirstChunk.name]: 'provider_first_chunk',
      };
      if (!(name in prefixFor) && name !== CATALOG.toolExecutionDuration.name) continue;
      const label = name in prefixFor ? 'provider' : 'tool';
      for (const child of (metric as { entries(): IterableIterator<HistogramChild> }).entries()) {
        const value = parseLabels(child.labelText)[label];
        if (!value) continue;
        if (label === 'provider') set(`${prefixFor[name]}_p95_ms{provider=${value}}`, child.percentile(0.95));
        else {
          set(`tool_duration_p95_ms{tool=${value}}`, child.percentile(0.95));
          set(`tool_duration_p99_ms{tool=${value}}`, child.percentile(0.99));
        }
      }
    }
    return { values, snapshot };
  }
}
