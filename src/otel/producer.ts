/**
 * An OpenTelemetry `MetricProducer` over a collector: an `@opentelemetry/sdk-metrics` 2.x reader given it in
 * `metricProducers` exports our series through whatever exporter it drives (OTLP, console, in-memory).
 *
 * The producer reads the collector's exposition, the text a Prometheus scrape gets, so OTel and `/metrics`
 * cannot disagree: counters become monotonic cumulative sums, gauges gauges, and histograms stay histograms
 * with their own bucket bounds. Nothing from the OpenTelemetry packages is loaded at run time (enum values
 * are written out), so this entry point costs nothing to an app that has no OTel SDK.
 */
import type {
  CollectionResult,
  MetricCollectOptions,
  MetricData,
  MetricProducer,
} from '@opentelemetry/sdk-metrics';
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { CATALOG_ENTRIES, unitsForm, type MetricUnit, type UnitsForm } from '../metrics/catalog.ts';
import { histogramSeries, parseExposition, type Family } from '../metrics/parse.ts';
import { VERSION } from '../version.ts';
import { genAiFamily } from './genai.ts';

// The SDK's enums, by value (DataPointType, AggregationTemporality, ValueType): stable across 2.x.
const HISTOGRAM = 0;
const GAUGE = 2;
const SUM = 3;
const CUMULATIVE = 1;
const DOUBLE = 1;

/** UCUM units, as OpenTelemetry writes them. */
const UNITS: Record<MetricUnit, string> = {
  milliseconds: 'ms',
  seconds: 's',
  bytes: 'By',
  megabytes: 'MBy',
  ratio: '1',
  percent: '%',
  count: '{count}',
  score: '1',
};

export interface OtelProducerOptions {
  /** Instrumentation scope name (default `victor-perf`). */
  scopeName?: string;
  /**
   * Also export the provider and tool series under the OpenTelemetry GenAI semantic conventions
   * (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage`, ...), beside our own names
   * (default true). `false` exports our names only.
   */
  genAi?: boolean;
}

interface Descriptor {
  name: string;
  description: string;
  unit: string;
  valueType: number;
}

type HrTime = [seconds: number, nanoseconds: number];

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function attributes(labels: Record<string, string>): Record<string, string> {
  return { ...labels };
}

export class VictorPerfMetricProducer implements MetricProducer {
  private readonly collector: PerformanceMetricsCollector;
  private readonly scopeName: string;
  private readonly genAi: boolean;
  /** Our series are cumulative since they were created; the producer's creation stands for that start. */
  private readonly startTime = hrTime(Date.now());

  constructor(collector: PerformanceMetricsCollector, options: OtelProducerOptions = {}) {
    if (!collector || typeof collector.exportPrometheus !== 'function') {
      throw new TypeError(
        `VictorPerfMetricProducer needs a PerformanceMetricsCollector, got ${String(collector)}`,
      );
    }
    this.collector = collector;
    if (options.genAi !== undefined && typeof options.genAi !== 'boolean') {
      throw new TypeError(`genAi must be a boolean, got ${JSON.stringify(options.genAi)}`);
    }
    this.scopeName = options.scopeName ?? 'victor-perf';
    this.genAi = options.genAi ?? true;
  }

  async collect(_options?: MetricCollectOptions): Promise<CollectionResult> {
    const errors: unknown[] = [];
    const metrics: MetricData[] = [];
    try {
      const endTime = hrTime(Date.now());
      for (const family of parseExposition(this.collector.exportPrometheus())) {
        const bare = this.bareName(family.name);
        // The catalog entry behind an exposed name, in the collector's naming mode (seed or base units).
        const catalog = this.catalogEntry(bare);
        const descriptor = {
          name: family.name,
          description: family.help,
          unit: catalog ? UNITS[catalog.form.unit] : this.unit(bare),
          valueType: DOUBLE,
        };
        const data = this.toMetricData(family, endTime, descriptor, 1);
        if (data) metrics.push(data);
        const genAi = this.genAi ? genAiFamily(family, catalog?.name ?? bare) : undefined;
        if (genAi) {
          const { mapping } = genAi;
          const descriptor = {
            name: mapping.name,
            description: mapping.description,
            unit: mapping.unit,
            valueType: DOUBLE,
          };
          // The mapping divides seed values (milliseconds); base-unit series are already divided.
          const divisor = mapping.divisor / (catalog?.form.divisor ?? 1);
          const converted = this.toMetricData(genAi.family, endTime, descriptor, divisor);
          if (converted) metrics.push(converted);
        }
      }
    } catch (err) {
      errors.push(err);
    }
    return {
      // A reader keeps its own MeterProvider's resource and takes only the scope metrics of its producers.
      resourceMetrics: {
        resource: undefined as unknown as CollectionResult['resourceMetrics']['resource'],
        scopeMetrics: [{ scope: { name: this.scopeName, version: VERSION }, metrics }],
      },
      errors,
    };
  }

  /** `divisor` divides values, sums and bucket bounds (1 for our own series). */
  private toMetricData(
    family: Family,
    endTime: HrTime,
    descriptor: Descriptor,
    divisor: number,
  ): MetricData | undefined {
    const point = <T>(labels: Record<string, string>, value: T) => ({
      startTime: this.startTime,
      endTime,
      attributes: attributes(labels),
      value,
    });
    switch (family.type) {
      case 'counter':
      case 'gauge':
        return {
          descriptor,
          aggregationTemporality: CUMULATIVE,
          ...(family.type === 'counter'
            ? { dataPointType: SUM, isMonotonic: true }
            : { dataPointType: GAUGE }),
          dataPoints: family.samples.map((s) => point(s.labels, s.value / divisor)),
        } as MetricData;
      case 'histogram':
        return {
          descriptor,
          aggregationTemporality: CUMULATIVE,
          dataPointType: HISTOGRAM,
          dataPoints: histogramSeries(family).map((h) => {
            // Cumulative bucket counts to per-bucket counts; the last (+Inf) bucket has no boundary.
            const counts = h.cumulative.map((c, i) => c - (i === 0 ? 0 : h.cumulative[i - 1]!));
            const boundaries = h.bounds.filter((b) => b !== Infinity).map((b) => b / divisor);
            return point(h.labels, {
              buckets: { boundaries, counts },
              sum: h.sum / divisor,
              count: h.count,
            });
          }),
        } as MetricData;
      default:
        return undefined;
    }
  }

  private bareName(name: string): string {
    return name.startsWith(this.collector.prefix) ? name.slice(this.collector.prefix.length) : name;
  }

  private catalogEntry(bare: string): { name: string; form: UnitsForm } | undefined {
    const units = this.collector.units ?? 'seed';
    for (const spec of CATALOG_ENTRIES) {
      const form = unitsForm(spec, units);
      if (form?.name === bare) return { name: spec.name, form };
    }
    return undefined;
  }

  /** Unit of an application metric (custom), or '' when unknown. */
  private unit(bare: string): string {
    const spec = this.collector.custom.metrics().find((m) => m.spec.name === bare)?.spec;
    return spec ? UNITS[spec.unit] : '';
  }
}

/** A producer of the collector's series for an `@opentelemetry/sdk-metrics` 2.x reader's `metricProducers`. */
export function createMetricProducer(
  collector: PerformanceMetricsCollector,
  options: OtelProducerOptions = {},
): VictorPerfMetricProducer {
  return new VictorPerfMetricProducer(collector, options);
}
