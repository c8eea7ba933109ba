/**
 * Custom metrics: counters, gauges and histograms an application declares for itself, next to the catalog's.
 *
 * They go through the same primitives as the catalog's metrics, so they are validated the same way (names,
 * label names, buckets, the cardinality cap `maxSeries`) and rendered under the collector's prefix. A name the
 * catalog already uses is refused; declaring the same metric twice returns the first one (so a module loaded
 * twice does not throw), and declaring a name again with another shape is an error naming both.
 */
import { findSpec, type GaugeAggregation, type MetricSpec, type MetricUnit } from '../metrics/catalog.ts';
import type { MetricOptions } from '../metrics/metric.ts';
import { MetricError } from '../metrics/names.ts';
import { histogramSeries, parseExposition } from '../metrics/parse.ts';
import { Counter, Gauge, Histogram, type AnyMetric, type GaugeOptions } from '../metrics/primitives.ts';

export interface CustomMetricOptions<L extends string = never> {
  /** Name without the prefix, e.g. `agent_plans_total`; the collector's prefix is added on export. */
  name: string;
  help: string;
  /** Label names, in exposition order. */
  labels?: readonly L[];
  /** What a value measures (default `count`); dashboards format by it. */
  unit?: MetricUnit;
  /** Label sets kept apart before new ones fold into the overflow series (default 1000). */
  maxSeries?: number;
}

export interface CustomGaugeOptions<L extends string = never> extends CustomMetricOptions<L> {
  /** Pulled at collection time, before rendering. */
  collect?: (gauge: Gauge<L>) => void;
  /**
   * How processes aggregated by `victor-perf/cluster` combine: `sum`, `max`, `min`, or `per_process` (the
   * default: one series per process under the `process` label). Counters and histograms always add up.
   */
  aggregation?: GaugeAggregation;
}

export interface CustomHistogramOptions<L extends string = never> extends CustomMetricOptions<L> {
  /** Upper bounds, ascending, without +Inf. */
  buckets: readonly number[];
}

/** One custom metric in the JSON summary. */
export interface CustomMetricSnapshot {
  type: 'counter' | 'gauge' | 'histogram';
  unit: MetricUnit;
  help: string;
  /** Counters and gauges: `value`; histograms: `count`, `sum` and cumulative `buckets` by upper bound. */
  series: Array<{
    labels: Record<string, string>;
    value?: number;
    count?: number;
    sum?: number;
    buckets?: Record<string, number>;
  }>;
}

export type CustomSnapshot = Record<string, CustomMetricSnapshot>;

const AGGREGATIONS: readonly GaugeAggregation[] = ['sum', 'max', 'min', 'per_process'];

export class CustomMetrics {
  private readonly declared = new Map<string, AnyMetric>();
  private view: ((own: readonly AnyMetric[]) => readonly AnyMetric[]) | undefined;

  counter<const L extends string = never>(options: CustomMetricOptions<L>): Counter<L> {
    return this.declare(options, 'counter', (spec) => new Counter(spec, metricOptions(options)));
  }

  gauge<const L extends string = never>(options: CustomGaugeOptions<L>): Gauge<L> {
    const gaugeOptions: GaugeOptions<L> = metricOptions(options);
    if (options.collect) gaugeOptions.collect = options.collect;
    return this.declare(options, 'gauge', (spec) => new Gauge(spec, gaugeOptions));
  }

  histogram<const L extends string = never>(options: CustomHistogramOptions<L>): Histogram<L> {
    if (!Array.isArray(options?.buckets)) {
      throw new MetricError(`custom histogram ${options?.name}: buckets must be an array of upper bounds`);
    }
    return this.declare(options, 'histogram', (spec) => new Histogram(spec, metricOptions(options)));
  }

  /** Every declared metric, in declaration order. */
  metrics(): AnyMetric[] {
    return [...this.declared.values()];
  }

  get size(): number {
    return this.declared.size;
  }

  /** Every declared metric with its gauges' values pulled (what a collection of this process holds). */
  collected(): AnyMetric[] {
    for (const m of this.declared.values()) if (m instanceof Gauge) m.collect();
    return this.metrics();
  }

  /**
   * Renders `view(own)` in place of this process's own metrics (cross-process aggregation shows them merged
   * over every process); undefined renders this process's own again.
   */
  showMerged(view: ((own: readonly AnyMetric[]) => readonly AnyMetric[]) | undefined): void {
    this.view = view;
  }

  /** Renders every declared metric (text format) under `prefix`. */
  render(prefix: string): string {
    const own = this.collected();
    const shown = this.view ? this.view(own) : own;
    let out = '';
    for (const m of shown) out += m.render(prefix);
    return out;
  }

  /** The `custom` section of the JSON summary, read from the same text a scrape gets. */
  snapshot(): CustomSnapshot {
    const out: CustomSnapshot = Object.create(null) as CustomSnapshot;
    const families = new Map(parseExposition(this.render('')).map((f) => [f.name, f]));
    for (const [name, m] of this.declared) {
      const f = families.get(name);
      const entry: CustomMetricSnapshot = {
        type: m.spec.type,
        unit: m.spec.unit,
        help: m.spec.help,
        series: [],
      };
      if (f && m.spec.type === 'histogram') {
        entry.series = histogramSeries(f).map((h) => ({
          labels: { ...h.labels },
          count: h.count,
          sum: h.sum,
          buckets: Object.fromEntries(
            h.bounds.map((b, i) => [b === Infinity ? '+Inf' : String(b), h.cumulative[i]!]),
          ),
        }));
      } else if (f) {
        entry.series = f.samples.map((s) => ({ labels: { ...s.labels }, value: s.value }));
      }
      out[name] = entry;
    }
    return out;
  }

  private declare<M extends AnyMetric>(
    options: CustomMetricOptions<string>,
    type: MetricSpec['type'],
    create: (spec: MetricSpec<never>) => M,
  ): M {
    if (options === null || typeof options !== 'object') {
      throw new MetricError(`custom ${type}: options must be an object, got ${String(options)}`);
    }
    const { name, help } = options;
    const { aggregation } = options as CustomGaugeOptions<string>;
    if (aggregation !== undefined && (type !== 'gauge' || !AGGREGATIONS.includes(aggregation))) {
      throw new MetricError(
        `custom ${type} ${String(name)}: aggregation ` +
          (type === 'gauge'
            ? `must be one of ${AGGREGATIONS.join(', ')}, got ${String(aggregation)}`
            : 'applies to gauges only (counters and histograms always add up)'),
      );
    }
    if (typeof name !== 'string')
      throw new MetricError(`custom ${type}: name must be a string, got ${String(name)}`);
    if (typeof help !== 'string' || help.trim() === '') {
      throw new MetricError(`custom ${type} ${name}: help must be a non-empty string`);
    }
    if (findSpec(name)) {
      throw new MetricError(
        `custom ${type} ${name}: the name is a catalog metric of victor-perf; choose another`,
      );
    }
    const spec: MetricSpec<string> = {
      name,
      type,
      help,
      unit: options.unit ?? 'count',
      category: 'custom',
      labels: [...(options.labels ?? [])],
      ...(type === 'histogram' ? { buckets: [...(options as CustomHistogramOptions<string>).buckets] } : {}),
      ...(aggregation ? { aggregation } : {}),
    };
    const existing = this.declared.get(name);
    if (existing) {
      if (sameShape(existing.spec, spec)) return existing as M;
      throw new MetricError(
        `custom ${type} ${name}: already declared as a ${existing.spec.type} with labels [${existing.spec.labels.join(', ')}]` +
          (existing.spec.buckets ? ` and buckets [${existing.spec.buckets.join(', ')}]` : ''),
      );
    }
    const metric = create(spec as MetricSpec<never>);
    this.declared.set(name, metric);
    return metric;
  }
}

function metricOptions(options: CustomMetricOptions<string>): MetricOptions {
  return options.maxSeries === undefined ? {} : { maxSeries: options.maxSeries };
}

function sameShape(a: MetricSpec, b: MetricSpec): boolean {
  return (
    a.type === b.type &&
    a.unit === b.unit &&
    a.help === b.help &&
    a.labels.join('\0') === b.labels.join('\0') &&
    a.aggregation === b.aggregation &&
    (a.buckets ?? []).join(',') === (b.buckets ?? []).join(',')
  );
}
