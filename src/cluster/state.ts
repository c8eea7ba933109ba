/**
 * What one process sends to the primary: its metric families as plain data (label values, counts, sums,
 * sketch buckets), which survives both `process.send` (JSON) and `MessagePort` (structured clone), and the
 * metric objects rebuilt from merged families so that the ordinary exposition renders them.
 */
import type { MetricSpec } from '../metrics/catalog.ts';
import { Counter, Gauge, Histogram, type AnyMetric } from '../metrics/primitives.ts';
import { packState, type PackedSketch } from './packed-sketch.ts';

export interface ScalarSeries {
  readonly values: readonly string[];
  readonly value: number;
}

export interface HistogramSeries {
  readonly values: readonly string[];
  /** Non-cumulative bucket counts; the last is +Inf. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
  /** null with no observations. */
  readonly min: number | null;
  readonly max: number | null;
  /** The recent window's quantile sketch. */
  readonly recent: PackedSketch;
}

export type FamilyState =
  | { readonly spec: MetricSpec; readonly type: 'counter' | 'gauge'; readonly series: ScalarSeries[] }
  | { readonly spec: MetricSpec; readonly type: 'histogram'; readonly series: HistogramSeries[] };

/** A spec as plain data (catalog specs are frozen literals already; custom ones may carry more). */
function plainSpec(spec: MetricSpec): MetricSpec {
  const s: MetricSpec = {
    name: spec.name,
    type: spec.type,
    help: spec.help,
    unit: spec.unit,
    category: spec.category,
    labels: [...spec.labels],
    ...(spec.buckets ? { buckets: [...spec.buckets] } : {}),
    ...(spec.aggregation ? { aggregation: spec.aggregation } : {}),
  };
  return s;
}

const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Label values in declaration order, read back from a child's rendered label text. */
export function labelValues(labelText: string, names: readonly string[]): string[] {
  const found = new Map<string, string>();
  for (const m of labelText.matchAll(LABEL_RE)) {
    found.set(
      m[1]!,
      m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
    );
  }
  return names.map((n) => found.get(n) ?? '');
}

/** A child's label values, parsed once: children live as long as their label set. */
const childValues = new WeakMap<object, string[]>();
function valuesOf(child: { readonly labelText: string }, names: readonly string[]): string[] {
  let v = childValues.get(child);
  if (v === undefined || v.length !== names.length) {
    v = labelValues(child.labelText, names);
    childValues.set(child, v);
  }
  return v;
}

export function serializeMetric(metric: AnyMetric): FamilyState {
  const spec = plainSpec(metric.spec);
  const names = spec.labels;
  if (metric instanceof Histogram) {
    const series: HistogramSeries[] = [];
    for (const c of metric.entries()) {
      series.push({
        values: valuesOf(c, names),
        counts: Array.from(c.counts),
        sum: c.sum,
        count: c.count,
        min: c.count === 0 ? null : c.min,
        max: c.count === 0 ? null : c.max,
        recent: packState(c.quantiles.recentState()),
      });
    }
    return { spec, type: 'histogram', series };
  }
  const series: ScalarSeries[] = [];
  for (const c of metric.entries()) {
    // An unknown gauge (NaN) is left out, as the exposition leaves it out.
    if (!Number.isNaN(c.value)) series.push({ values: valuesOf(c, names), value: c.value });
  }
  return { spec, type: metric instanceof Counter ? 'counter' : 'gauge', series };
}

export function serializeMetrics(metrics: readonly AnyMetric[]): FamilyState[] {
  return metrics.map(serializeMetric);
}

function record(names: readonly string[], values: readonly string[]): Record<string, string> {
  const r: Record<string, string> = {};
  names.forEach((n, i) => (r[n] = values[i]!));
  return r;
}

/** Metric objects holding a family's values, for the ordinary exposition (no series limit: already bounded). */
export function buildMetric(family: FamilyState): AnyMetric {
  const { spec } = family;
  const maxSeries = Math.max(1, family.series.length + 1);
  if (family.type === 'histogram') {
    const h = new Histogram(spec, { maxSeries });
    for (const s of family.series) {
      const child = h.labels(record(spec.labels, s.values) as never);
      child.counts.set(s.counts.slice(0, child.counts.length));
      child.sum = s.sum;
      child.count = s.count;
      if (s.min !== null) child.min = s.min;
      if (s.max !== null) child.max = s.max;
    }
    return h;
  }
  if (family.type === 'counter') {
    const c = new Counter(spec, { maxSeries });
    for (const s of family.series) c.labels(record(spec.labels, s.values) as never).value = s.value;
    return c;
  }
  const g = new Gauge(spec, { maxSeries });
  for (const s of family.series) g.labels(record(spec.labels, s.values) as never).value = s.value;
  return g;
}
