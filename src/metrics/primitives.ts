/**
 * Counter, gauge and histogram. Each is built from a catalog spec (or any spec of the same shape) and kept by
 * whoever records into it: there is no implicit global registry.
 *
 * Recording through a bound child (`metric.labels({...})`, or the metric itself when it has no labels) is one
 * numeric update plus a type and range check: a non-number throws a TypeError and NaN, an infinity or a
 * negative a RangeError, naming the metric and the value. Sums saturate at Number.MAX_VALUE instead of
 * turning into Infinity, so no finite input makes a series unusable.
 */
import type { MetricSpec, Units } from './catalog.ts';
import { Metric, braces, type MetricOptions } from './metric.ts';
import { MetricError, addSaturating, badValue as valueError, formatValue, validateBuckets } from './names.ts';
import { QuantileTracker, type WindowOptions } from './sketch.ts';

function badValue(metric: string, what: string, v: unknown): TypeError | RangeError {
  return valueError(`metric ${metric}`, what, v);
}

export class CounterChild {
  value = 0;
  constructor(
    readonly name: string,
    readonly labelText: string,
  ) {}
  inc(n = 1): void {
    // One comparison rejects NaN, negatives and Infinity alike; typeof refuses what would coerce.
    if (typeof n !== 'number' || !(n >= 0 && n < Infinity))
      throw badValue(this.name, 'counter increment must be a finite number >= 0', n);
    this.value = addSaturating(this.value, n);
  }
}

export class Counter<L extends string = never> extends Metric<L, CounterChild> {
  private readonly unlabelled: CounterChild | undefined;

  constructor(spec: MetricSpec<L>, options?: MetricOptions) {
    super(spec, options);
    if (spec.type !== 'counter')
      throw new MetricError(`metric ${spec.name}: spec type ${spec.type} is not counter`);
    this.unlabelled = spec.labels.length === 0 ? this.labels({} as never) : undefined;
  }

  protected createChild(labelText: string): CounterChild {
    return new CounterChild(this.spec.name, labelText);
  }

  /** For a metric without labels. */
  inc(n = 1): void {
    this.requireUnlabelled().inc(n);
  }

  get value(): number {
    return this.requireUnlabelled().value;
  }

  private requireUnlabelled(): CounterChild {
    if (!this.unlabelled)
      throw new MetricError(`metric ${this.spec.name} has labels: call labels({...}) first`);
    return this.unlabelled;
  }

  /** Every child, for serialising (cross-process aggregation). */
  *entries(): IterableIterator<CounterChild> {
    yield* this.children.values();
  }

  render(prefix: string, units: Units = 'seed'): string {
    const form = this.form(units);
    if (this.seriesCount === 0 || form === null) return '';
    const name = prefix + form.name;
    const d = form.divisor;
    let out = this.familyHeader(prefix, form);
    for (const c of this.allSeries())
      out += `${name}${braces(c.labelText)} ${formatValue(d === 1 ? c.value : c.value / d)}\n`;
    return out;
  }
}

/** A gauge child holds NaN while its value is unknown; unknown series are left out of the exposition. */
export class GaugeChild {
  value = NaN;
  constructor(
    readonly name: string,
    readonly labelText: string,
  ) {}
  set(v: number): void {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw badValue(this.name, 'gauge value must be a finite number', v);
    this.value = v;
  }
  /** Sets the value, or marks it unknown for null. */
  setOrUnknown(v: number | null): void {
    if (v === null) this.value = NaN;
    else this.set(v);
  }
  inc(n = 1): void {
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw badValue(this.name, 'gauge increment must be a finite number', n);
    this.value = addSaturating(Number.isNaN(this.value) ? 0 : this.value, n);
  }
  dec(n = 1): void {
    if (typeof n !== 'number') throw badValue(this.name, 'gauge decrement must be a finite number', n);
    this.inc(-n);
  }
  /** Marks the value unknown. */
  unset(): void {
    this.value = NaN;
  }
}

export interface GaugeOptions<L extends string> extends MetricOptions {
  /** Pulled at collection time, before rendering (values read through a callback, not pushed). */
  collect?: (gauge: Gauge<L>) => void;
}

export class Gauge<L extends string = never> extends Metric<L, GaugeChild> {
  private readonly unlabelled: GaugeChild | undefined;
  // Typed without L so that a Gauge<'a'> is still an AnyMetric (a property of type function is contravariant).
  private readonly collectFn: ((gauge: Gauge<string>) => void) | undefined;

  constructor(spec: MetricSpec<L>, options: GaugeOptions<L> = {}) {
    super(spec, options);
    if (spec.type !== 'gauge')
      throw new MetricError(`metric ${spec.name}: spec type ${spec.type} is not gauge`);
    this.unlabelled = spec.labels.length === 0 ? this.labels({} as never) : undefined;
    this.collectFn = options.collect as ((gauge: Gauge<string>) => void) | undefined;
  }

  protected createChild(labelText: string): GaugeChild {
    return new GaugeChild(this.spec.name, labelText);
  }

  set(v: number): void {
    this.requireUnlabelled().set(v);
  }
  setOrUnknown(v: number | null): void {
    this.requireUnlabelled().setOrUnknown(v);
  }
  inc(n = 1): void {
    this.requireUnlabelled().inc(n);
  }
  dec(n = 1): void {
    this.requireUnlabelled().dec(n);
  }
  get value(): number {
    return this.requireUnlabelled().value;
  }

  private requireUnlabelled(): GaugeChild {
    if (!this.unlabelled)
      throw new MetricError(`metric ${this.spec.name} has labels: call labels({...}) first`);
    return this.unlabelled;
  }

  /** Runs the collection callback, if any. */
  collect(): void {
    this.collectFn?.(this as Gauge<string>);
  }

  /** Every child, for serialising (cross-process aggregation). */
  *entries(): IterableIterator<GaugeChild> {
    yield* this.children.values();
  }

  render(prefix: string, units: Units = 'seed'): string {
    const form = this.form(units);
    if (form === null) return '';
    const name = prefix + form.name;
    const d = form.divisor;
    let body = '';
    for (const c of this.allSeries()) {
      if (!Number.isNaN(c.value))
        body += `${name}${braces(c.labelText)} ${formatValue(d === 1 ? c.value : c.value / d)}\n`;
    }
    return body === '' ? '' : this.familyHeader(prefix, form) + body;
  }
}

export class HistogramChild {
  /** Non-cumulative counts per bucket; the last is the +Inf bucket. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;
  readonly quantiles: QuantileTracker;
  /** Rendered line starts, per prefix and naming mode (built on first exposition). */
  lines: string[] | undefined;
  linesKey: string | undefined;

  constructor(
    readonly name: string,
    readonly labelText: string,
    readonly bounds: Float64Array,
    window: WindowOptions,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    this.quantiles = new QuantileTracker(window);
  }

  observe(v: number): void {
    if (typeof v !== 'number' || !(v >= 0 && v < Infinity))
      throw badValue(this.name, 'observation must be a finite number >= 0', v);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum = addSaturating(this.sum, v);
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    this.quantiles.add(v);
  }

  /** Quantile q (0..1) over the recent window, or null with no observations in it. */
  percentile(q: number): number | null {
    return this.quantiles.recent(q);
  }

  /** Quantile q over every observation since start. */
  percentileSinceStart(q: number): number | null {
    return this.quantiles.total(q);
  }

  /** Approximate bytes held by this series (counters, sketches). */
  get bytes(): number {
    return this.counts.byteLength + this.quantiles.bytes + 64;
  }
}

export interface HistogramOptions extends MetricOptions, WindowOptions {}

export class Histogram<L extends string = never> extends Metric<L, HistogramChild> {
  private readonly bounds: Float64Array;
  private readonly window: WindowOptions;
  private readonly unlabelled: HistogramChild | undefined;
  private readonly leTexts: string[];

  constructor(spec: MetricSpec<L>, options: HistogramOptions = {}) {
    super(spec, options);
    if (spec.type !== 'histogram') {
      throw new MetricError(`metric ${spec.name}: spec type ${spec.type} is not histogram`);
    }
    const buckets = spec.buckets ?? [];
    validateBuckets(spec.name, buckets);
    this.bounds = Float64Array.from(buckets);
    this.leTexts = [...buckets.map(formatValue), '+Inf'];
    const window: WindowOptions = {};
    if (options.windowMs !== undefined) window.windowMs = options.windowMs;
    if (options.slices !== undefined) window.slices = options.slices;
    if (options.clock !== undefined) window.clock = options.clock;
    this.window = window;
    this.unlabelled = spec.labels.length === 0 ? this.labels({} as never) : undefined;
  }

  protected createChild(labelText: string): HistogramChild {
    return new HistogramChild(this.spec.name, labelText, this.bounds, this.window);
  }

  observe(v: number): void {
    if (!this.unlabelled)
      throw new MetricError(`metric ${this.spec.name} has labels: call labels({...}) first`);
    this.unlabelled.observe(v);
  }

  /** The unlabelled child, for a histogram without labels. */
  get series(): HistogramChild {
    if (!this.unlabelled)
      throw new MetricError(`metric ${this.spec.name} has labels: call labels({...}) first`);
    return this.unlabelled;
  }

  /** Every child with its label values, for snapshots. */
  *entries(): IterableIterator<HistogramChild> {
    yield* this.allSeries();
  }

  render(prefix: string, units: Units = 'seed'): string {
    const form = this.form(units);
    if (this.seriesCount === 0 || form === null) return '';
    const key = prefix + '\0' + form.name;
    const d = form.divisor;
    let out = this.familyHeader(prefix, form);
    for (const c of this.allSeries()) {
      if (c.linesKey !== key) {
        c.lines = this.childLines(prefix + form.name, d, c.labelText);
        c.linesKey = key;
      }
      const lines = c.lines!;
      let cumulative = 0;
      for (let i = 0; i < c.counts.length; i++) {
        cumulative += c.counts[i]!;
        out += lines[i] + formatValue(cumulative) + '\n';
      }
      // Bucket counts do not depend on the unit; bounds and the sum are scaled.
      out += lines[c.counts.length] + formatValue(d === 1 ? c.sum : c.sum / d) + '\n';
      out += lines[c.counts.length + 1] + formatValue(c.count) + '\n';
    }
    return out;
  }

  private childLines(name: string, divisor: number, labelText: string): string[] {
    const sep = labelText === '' ? '' : labelText + ',';
    const les =
      divisor === 1 ? this.leTexts : [...this.bounds].map((b) => formatValue(b / divisor)).concat('+Inf');
    return [
      ...les.map((le) => `${name}_bucket{${sep}le="${le}"} `),
      `${name}_sum${braces(labelText)} `,
      `${name}_count${braces(labelText)} `,
    ];
  }
}

export type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;
