/**
 * How many series and samples victor-perf costs a Prometheus, from the catalog and the series caps: per
 * process, for N processes scraped one by one, and for N processes aggregated by `victor-perf/cluster` behind
 * one target. Counted in steady state: error counters (collection errors, overflow, instrumentation errors)
 * appear only once something fails, and are left out.
 */
import { CATALOG_ENTRIES, type MetricSpec } from '../metrics/catalog.ts';
import { DEFAULT_MAX_SERIES } from '../metrics/metric.ts';
import { SLOTS } from '../collector/collector.ts';
import { gaugePolicy } from './merge.ts';

export interface CapacityOptions {
  processes: number;
  /** Distinct tool names (default 10). */
  tools?: number;
  /** Distinct providers (default 3). */
  providers?: number;
  /** Models per provider (default 1). */
  models?: number;
  /** Seconds between scrapes (default 15). */
  scrapeIntervalSeconds?: number;
  /** Label sets kept apart per metric before the overflow series (default 1000). */
  maxSeries?: number;
}

export interface CapacityRow {
  metric: string;
  type: MetricSpec['type'];
  /** Series of one process. */
  perProcess: number;
  /** Series of this metric when N processes are aggregated behind one target. */
  aggregated: number;
}

export interface Capacity {
  options: Required<CapacityOptions>;
  rows: CapacityRow[];
  perProcess: number;
  /** N targets, each a process. */
  separate: { series: number; samplesPerSecond: number };
  /** One target: the primary aggregating N processes. */
  aggregated: { series: number; samplesPerSecond: number };
}

/** Families that exist only once something failed. */
const ON_ERROR_ONLY = new Set([
  'collection_errors_total',
  'series_overflow_total',
  'instrumentation_errors_total',
]);
/** Families only the aggregating primary writes. */
const CLUSTER_ONLY = new Set([
  'cluster_processes',
  'cluster_process_stale',
  'cluster_collect_timeouts_total',
  'cluster_processes_exited_total',
]);

function positiveInteger(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Distinct values a label takes: declared values, or the configured count capped (plus the overflow value). */
export function cardinality(spec: MetricSpec, label: string, o: Required<CapacityOptions>): number {
  const declared = spec.labelValues?.[label];
  if (declared) return declared.length;
  const capped = (n: number): number => (n > o.maxSeries ? o.maxSeries + 1 : n);
  switch (label) {
    case 'tool':
      return capped(o.tools);
    case 'provider':
      return capped(o.providers);
    case 'model':
      return o.models;
    case 'source':
      return SLOTS.length;
    case 'process':
      return o.processes;
    default:
      return 1;
  }
}

function labelSets(spec: MetricSpec, o: Required<CapacityOptions>): number {
  let n = 1;
  for (const label of spec.labels) n *= cardinality(spec, label, o);
  // provider x model pairs share one cap.
  if (spec.labels.includes('provider') && spec.labels.includes('model')) {
    const pairs = cardinality(spec, 'provider', o) * o.models;
    if (pairs > o.maxSeries) n = (n / pairs) * (o.maxSeries + 1);
  }
  return n;
}

export function capacity(options: CapacityOptions): Capacity {
  const o: Required<CapacityOptions> = {
    processes: positiveInteger('processes', options.processes),
    tools: positiveInteger('tools', options.tools ?? 10),
    providers: positiveInteger('providers', options.providers ?? 3),
    models: positiveInteger('models', options.models ?? 1),
    scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? 15,
    maxSeries: positiveInteger('maxSeries', options.maxSeries ?? DEFAULT_MAX_SERIES),
  };
  if (!(o.scrapeIntervalSeconds > 0 && o.scrapeIntervalSeconds < Infinity)) {
    throw new RangeError(`scrape interval must be > 0 seconds, got ${o.scrapeIntervalSeconds}`);
  }
  const rows: CapacityRow[] = [];
  for (const spec of CATALOG_ENTRIES) {
    if (ON_ERROR_ONLY.has(spec.name)) continue;
    const sets = labelSets(spec, o);
    const perSet = spec.type === 'histogram' ? (spec.buckets?.length ?? 0) + 3 : 1; // +Inf, _sum, _count
    const series = sets * perSet;
    if (CLUSTER_ONLY.has(spec.name)) {
      rows.push({ metric: spec.name, type: spec.type, perProcess: 0, aggregated: series });
      continue;
    }
    let aggregated = series;
    if (spec.type === 'gauge') {
      const policy = gaugePolicy(spec);
      if (policy === 'per_process') aggregated = series * o.processes;
      else if (spec.category === 'system') aggregated = series * (o.processes + 1);
    }
    rows.push({ metric: spec.name, type: spec.type, perProcess: series, aggregated });
  }
  const perProcess = rows.reduce((a, r) => a + r.perProcess, 0);
  const aggregatedSeries = rows.reduce((a, r) => a + r.aggregated, 0);
  const rate = (series: number): number => series / o.scrapeIntervalSeconds;
  return {
    options: o,
    rows,
    perProcess,
    separate: { series: perProcess * o.processes, samplesPerSecond: rate(perProcess * o.processes) },
    aggregated: { series: aggregatedSeries, samplesPerSecond: rate(aggregatedSeries) },
  };
}
