/**
 * Merging metric families across processes. Counters add up; histograms add up bucket by bucket, with their
 * quantile sketches merged exactly; gauges follow the policy their spec declares (`aggregation`), and system
 * gauges are kept per process next to their total.
 *
 * A process that exited still counts: its counters and histograms stay in every later merge (so a counter
 * never goes back, which Prometheus would read as a reset), while its gauges, which described a process that
 * is gone, do not.
 */
import {
  PROCESS_LABEL,
  TOTAL_PROCESS,
  isPerProcess,
  type GaugeAggregation,
  type MetricSpec,
} from '../metrics/catalog.ts';
import { labelSetKey } from '../metrics/metric.ts';
import { mergePacked, type PackedSketch } from './packed-sketch.ts';
import type { FamilyState, HistogramSeries, ScalarSeries } from './state.ts';

export { PROCESS_LABEL, TOTAL_PROCESS };

export interface Contribution {
  readonly process: string;
  readonly families: readonly FamilyState[];
  /** Gauges count only while the process is alive. */
  readonly live: boolean;
  /** Whether its recent quantile sketches count: alive, or exited less than a window ago. */
  readonly recent: boolean;
}

export function gaugePolicy(spec: MetricSpec): GaugeAggregation {
  return spec.aggregation ?? 'per_process';
}

function combine(policy: GaugeAggregation, a: number, b: number): number {
  return policy === 'max' ? Math.max(a, b) : policy === 'min' ? Math.min(a, b) : a + b;
}

interface Group {
  spec: MetricSpec;
  type: FamilyState['type'];
  parts: { c: Contribution; f: FamilyState }[];
}

/** Families of every contribution merged, in the order they first appear. */
export function mergeFamilies(contributions: readonly Contribution[]): FamilyState[] {
  const groups = new Map<string, Group>();
  for (const c of contributions) {
    for (const f of c.families) {
      const g = groups.get(f.spec.name);
      if (g === undefined) groups.set(f.spec.name, { spec: f.spec, type: f.type, parts: [{ c, f }] });
      // A family another process declares with another type cannot be merged: the first declaration wins.
      else if (g.type === f.type) g.parts.push({ c, f });
    }
  }
  const out: FamilyState[] = [];
  for (const g of groups.values()) {
    if (g.type === 'counter') out.push({ spec: g.spec, type: 'counter', series: sumScalars(g) });
    else if (g.type === 'histogram') out.push({ spec: g.spec, type: 'histogram', series: sumHistograms(g) });
    else out.push(mergeGauges(g));
  }
  return out.filter((f) => f.series.length > 0);
}

function sumScalars(g: Group): ScalarSeries[] {
  const acc = new Map<string, { values: readonly string[]; value: number }>();
  for (const { f } of g.parts) {
    for (const s of f.series as ScalarSeries[]) {
      const k = labelSetKey(s.values);
      const found = acc.get(k);
      if (found) found.value += s.value;
      else acc.set(k, { values: s.values, value: s.value });
    }
  }
  return [...acc.values()];
}

interface HistogramAcc {
  values: readonly string[];
  counts: number[];
  sum: number;
  count: number;
  min: number | null;
  max: number | null;
  recents: PackedSketch[];
}

function sumHistograms(g: Group): HistogramSeries[] {
  const width = (g.spec.buckets?.length ?? 0) + 1;
  const acc = new Map<string, HistogramAcc>();
  for (const { c, f } of g.parts) {
    for (const s of f.series as HistogramSeries[]) {
      // Buckets declared differently in another process cannot add up; its series are left out.
      if (s.counts.length !== width) continue;
      const k = labelSetKey(s.values);
      let a = acc.get(k);
      if (a === undefined) {
        a = {
          values: s.values,
          counts: new Array<number>(width).fill(0),
          sum: 0,
          count: 0,
          min: null,
          max: null,
          recents: [],
        };
        acc.set(k, a);
      }
      for (let i = 0; i < width; i++) a.counts[i]! += s.counts[i]!;
      a.sum += s.sum;
      a.count += s.count;
      if (s.min !== null) a.min = a.min === null ? s.min : Math.min(a.min, s.min);
      if (s.max !== null) a.max = a.max === null ? s.max : Math.max(a.max, s.max);
      if (c.recent) a.recents.push(s.recent);
    }
  }
  return [...acc.values()].map(({ recents, ...rest }) => ({ ...rest, recent: mergePacked(recents) }));
}

function mergeGauges(g: Group): FamilyState {
  const policy = gaugePolicy(g.spec);
  const live = g.parts.filter((p) => p.c.live);
  const perProcess = isPerProcess(g.spec);
  const combined = new Map<string, { values: readonly string[]; value: number }>();
  if (policy !== 'per_process') {
    for (const { f } of live) {
      for (const s of f.series as ScalarSeries[]) {
        const k = labelSetKey(s.values);
        const found = combined.get(k);
        if (found) found.value = combine(policy, found.value, s.value);
        else combined.set(k, { values: s.values, value: s.value });
      }
    }
  }
  if (!perProcess) return { spec: g.spec, type: 'gauge', series: [...combined.values()] };
  const spec: MetricSpec = { ...g.spec, labels: [...g.spec.labels, PROCESS_LABEL] };
  const series: ScalarSeries[] = [];
  for (const { c, f } of live) {
    for (const s of f.series as ScalarSeries[])
      series.push({ values: [...s.values, c.process], value: s.value });
  }
  for (const s of combined.values()) series.push({ values: [...s.values, TOTAL_PROCESS], value: s.value });
  return { spec, type: 'gauge', series };
}

/** One family by name, or undefined. */
export function family(families: readonly FamilyState[], name: string): FamilyState | undefined {
  return families.find((f) => f.spec.name === name);
}

/** Sum of a counter's or gauge's series whose labels match every given pair. */
export function sumWhere(f: FamilyState | undefined, match: Readonly<Record<string, string>> = {}): number {
  if (f === undefined || f.type === 'histogram') return 0;
  const idx = Object.entries(match).map(([n, v]) => [f.spec.labels.indexOf(n), v] as const);
  let total = 0;
  for (const s of f.series) if (idx.every(([i, v]) => i >= 0 && s.values[i] === v)) total += s.value;
  return total;
}
