/**
 * A registry is an explicit, ordered set of metrics rendered together. Registering the same metric object
 * twice is a no-op; registering a different metric under a name already taken is an error that names both.
 */
import { DEFAULT_PREFIX, DEFAULT_UNITS, validatePrefix, validateUnits, type Units } from './catalog.ts';
import { MetricError } from './names.ts';
import { Gauge, type AnyMetric } from './primitives.ts';

export class Registry {
  private readonly metrics = new Map<string, AnyMetric>();
  readonly prefix: string;
  /** Naming mode of the exposition (`seed` or `base`, see `CollectorOptions.units`). */
  readonly units: Units;

  constructor(options: { prefix?: string; units?: Units } = {}) {
    this.prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
    this.units = validateUnits(options.units ?? DEFAULT_UNITS);
  }

  register<M extends AnyMetric>(metric: M): M {
    const existing = this.metrics.get(metric.spec.name);
    if (existing === metric) return metric;
    if (existing) {
      throw new MetricError(
        `metric ${this.prefix}${metric.spec.name} is already registered by another ${existing.spec.type}`,
      );
    }
    this.metrics.set(metric.spec.name, metric);
    return metric;
  }

  unregister(metric: AnyMetric): void {
    if (this.metrics.get(metric.spec.name) === metric) this.metrics.delete(metric.spec.name);
  }

  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  all(): IterableIterator<AnyMetric> {
    return this.metrics.values();
  }

  /** Runs gauge callbacks, then renders every family (text format 0.0.4, ends with a newline). */
  metricsText(): string {
    let out = '';
    for (const m of this.metrics.values()) {
      if (m instanceof Gauge) m.collect();
      out += m.render(this.prefix, this.units);
    }
    return out;
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
