/**
 * Evaluates a query-form expression at one instant over in-process samples, with Prometheus' semantics for
 * what our definitions use (those of Prometheus 2.x, the version the differential tests run against):
 *
 * - an instant selector takes each series' latest sample at most `lookbackMs` (5 min) old;
 * - a range `[w]` takes the samples with `t - w <= time <= t`; `rate`/`increase` extrapolate to the window's
 *   edges the way Prometheus' `extrapolatedRate` does, counter resets included;
 * - `histogram_quantile` interpolates linearly within the bucket that holds the rank (`bucketQuantile`);
 * - arithmetic drops the metric name, comparisons with a number filter, vector/vector operators match on
 *   all labels but the name, `or` adds the right side's samples whose labels the left side lacks.
 *
 * Pure: the samples, the time and any dashboard variables come in as arguments.
 */
import {
  QueryError,
  type AggregateOp,
  type Expr,
  type Grouping,
  type Matcher,
  type SelectExpr,
} from './expr.ts';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** One stored series: its labels (with `__name__`) and its samples in a time range, ascending. */
export interface SeriesView {
  readonly labels: Labels;
  points(fromMs: number, toMs: number): { t: readonly number[]; v: readonly number[] };
}

/** Where an evaluation reads series from (the history, a promtool test's input). */
export interface SeriesStore {
  series(metric: string): Iterable<SeriesView>;
}

export interface EvalOptions {
  /** Dashboard variables: `$__rate_interval` (default 1m), `$__range` (1h), filters (`.*` unless given). */
  readonly vars?: {
    readonly rateInterval?: string;
    readonly range?: string;
    readonly values?: Readonly<Record<string, string>>;
  };
  /** Series recorded by rules, by name: evaluated from their definition at the same instant. */
  readonly recorded?: ReadonlyMap<string, Expr>;
  /**
   * Interval the recording rules run at: a recorded series read at `t` holds the value of the last evaluation,
   * at the latest multiple of the interval (as in promtool). Unset: evaluated at `t` itself.
   */
  readonly ruleIntervalMs?: number;
  readonly lookbackMs?: number;
}

export const DEFAULT_LOOKBACK_MS = 5 * 60_000;
const NAME = '__name__';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };

/** Milliseconds of a Prometheus duration (`90s`, `1h30m`). */
export function parseDuration(d: string): number {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(d)) throw new QueryError(`invalid duration ${JSON.stringify(d)}`);
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}

type Value = { type: 'scalar'; value: number } | { type: 'vector'; samples: Sample[] };

interface Context {
  readonly store: SeriesStore;
  readonly t: number;
  readonly options: EvalOptions;
}

/** The instant vector of `expr` at `timeMs` (a scalar result is one sample without labels). */
export function evaluate(
  expr: Expr,
  store: SeriesStore,
  timeMs: number,
  options: EvalOptions = {},
): Sample[] {
  const v = evalNode(expr, { store, t: timeMs, options });
  return v.type === 'scalar' ? [{ labels: {}, value: v.value }] : v.samples;
}

/** Label set without the metric name, as a map key. */
export function signature(labels: Labels, drop: readonly string[] = []): string {
  return Object.keys(labels)
    .filter((k) => k !== NAME && !drop.includes(k))
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
}

function withoutName(labels: Labels, drop: readonly string[] = []): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== NAME && !drop.includes(k)) out[k] = v;
  return out;
}

function vectorOf(v: Value, what: string): Sample[] {
  if (v.type !== 'vector') throw new QueryError(`${what} needs an instant vector, got a scalar`);
  return v.samples;
}

function interpolate(value: string, ctx: Context): string {
  return value.replace(/\$([a-z_]+)/g, (_, name: string) => ctx.options.vars?.values?.[name] ?? '.*');
}

function window(w: string, ctx: Context): number {
  if (w === '$__rate_interval') return parseDuration(ctx.options.vars?.rateInterval ?? '1m');
  if (w === '$__range') return parseDuration(ctx.options.vars?.range ?? '1h');
  return parseDuration(w);
}

/** Anchored regular expressions of label matchers, compiled once (a panel is evaluated at every sample). */
const compiled = new Map<string, RegExp>();

function anchored(value: string): RegExp {
  let re = compiled.get(value);
  if (!re) {
    if (compiled.size >= 1000) compiled.clear();
    compiled.set(value, (re = new RegExp(`^(?:${value})$`)));
  }
  return re;
}

/** A selector's matchers, variables filled in, as one test on a label set. */
function matcherTest(matchers: readonly Matcher[], ctx: Context): (labels: Labels) => boolean {
  const tests = matchers.map((m) => {
    const value = interpolate(m.value, ctx);
    const negate = m.op === '!=' || m.op === '!~';
    const re = m.op === '=~' || m.op === '!~' ? anchored(value) : undefined;
    return { label: m.label, value, negate, re };
  });
  return (labels) => {
    for (const m of tests) {
      const actual = labels[m.label] ?? '';
      const ok = m.re ? m.re.test(actual) : actual === m.value;
      if (m.negate ? ok : !ok) return false;
    }
    return true;
  };
}

function selected(s: SelectExpr, ctx: Context): SeriesView[] {
  const out: SeriesView[] = [];
  const matches = matcherTest(s.matchers, ctx);
  const recorded = ctx.options.recorded?.get(s.metric);
  if (recorded) {
    const interval = ctx.options.ruleIntervalMs;
    const t = interval ? Math.floor(ctx.t / interval) * interval : ctx.t;
    for (const sample of vectorOf(evalNode(recorded, { ...ctx, t }), s.metric)) {
      const labels = { ...withoutName(sample.labels), [NAME]: s.metric };
      if (!matches(labels)) continue;
      out.push({
        labels,
        points: (from, to) => (from <= t && t <= to ? { t: [t], v: [sample.value] } : { t: [], v: [] }),
      });
    }
    return out;
  }
  for (const series of ctx.store.series(s.metric)) if (matches(series.labels)) out.push(series);
  return out;
}

function evalNode(e: Expr, ctx: Context): Value {
  switch (e.kind) {
    case 'number':
      return { type: 'scalar', value: e.value };
    case 'vector':
      return { type: 'vector', samples: [{ labels: {}, value: e.value }] };
    case 'paren':
      return evalNode(e.expr, ctx);
    case 'select': {
      const lookback = ctx.options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
      const samples: Sample[] = [];
      for (const s of selected(e, ctx)) {
        const { v } = s.points(ctx.t - lookback, ctx.t);
        if (v.length > 0) samples.push({ labels: s.labels, value: v[v.length - 1]! });
      }
      return { type: 'vector', samples };
    }
    case 'range': {
      const w = window(e.window, ctx);
      const samples: Sample[] = [];
      for (const s of selected(e.select, ctx)) {
        const { t, v } = s.points(ctx.t - w, ctx.t);
        const value = extrapolatedRate(t, v, ctx.t - w, ctx.t, e.fn === 'rate');
        if (value !== undefined) samples.push({ labels: withoutName(s.labels), value });
      }
      return { type: 'vector', samples };
    }
    case 'aggregate':
      return { type: 'vector', samples: aggregate(e.op, e.grouping, vectorOf(evalNode(e.expr, ctx), e.op)) };
    case 'topk': {
      const input = vectorOf(evalNode(e.expr, ctx), 'topk').filter((s) => !Number.isNaN(s.value));
      return { type: 'vector', samples: [...input].sort((a, b) => b.value - a.value).slice(0, e.k) };
    }
    case 'quantile':
      return {
        type: 'vector',
        samples: histogramQuantile(e.q, vectorOf(evalNode(e.expr, ctx), 'histogram_quantile')),
      };
    case 'clamp': {
      const f = e.fn === 'clamp_min' ? Math.max : Math.min;
      const samples = vectorOf(evalNode(e.expr, ctx), e.fn).map((s) => ({
        labels: withoutName(s.labels),
        value: Number.isNaN(s.value) ? NaN : f(s.value, e.bound),
      }));
      return { type: 'vector', samples };
    }
    case 'binary':
      return binaryOp(e.op, evalNode(e.lhs, ctx), evalNode(e.rhs, ctx));
  }
}

/** Prometheus' extrapolatedRate (rate, increase) for float samples; undefined with fewer than two samples. */
export function extrapolatedRate(
  t: readonly number[],
  v: readonly number[],
  rangeStart: number,
  rangeEnd: number,
  isRate: boolean,
): number | undefined {
  const n = t.length;
  if (n < 2) return undefined;
  let result = v[n - 1]! - v[0]!;
  let prev = v[0]!;
  for (let i = 1; i < n; i++) {
    if (v[i]! < prev) result += prev; // counter reset
    prev = v[i]!;
  }
  let durationToStart = (t[0]! - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - t[n - 1]!) / 1000;
  const sampledInterval = (t[n - 1]! - t[0]!) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (result > 0 && v[0]! >= 0) {
    // A counter cannot go below zero: extrapolate no further back than where it would reach it.
    const durationToZero = sampledInterval * (v[0]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateTo / sampledInterval;
  if (isRate) factor /= (rangeEnd - rangeStart) / 1000;
  return result * factor;
}

function groupLabels(labels: Labels, grouping: Grouping | undefined): Labels {
  if (!grouping) return {};
  if (grouping.mode === 'without') return withoutName(labels, grouping.labels);
  const out: Record<string, string> = {};
  for (const k of grouping.labels) if (labels[k] !== undefined && k !== NAME) out[k] = labels[k]!;
  return out;
}

function aggregate(op: AggregateOp, grouping: Grouping | undefined, input: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; value: number; count: number }>();
  for (const s of input) {
    const labels = groupLabels(s.labels, grouping);
    const key = signature(labels);
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { labels, value: op === 'count' || op === 'group' ? 1 : s.value, count: 1 });
      continue;
    }
    g.count++;
    switch (op) {
      case 'sum':
        g.value += s.value;
        break;
      case 'max':
        if (g.value < s.value || Number.isNaN(g.value)) g.value = s.value;
        break;
      case 'min':
        if (g.value > s.value || Number.isNaN(g.value)) g.value = s.value;
        break;
      case 'avg':
        // Prometheus' incremental mean (the same rounding as its result).
        g.value += s.value / g.count - g.value / g.count;
        break;
      case 'count':
        g.value = g.count;
        break;
      case 'group':
        break;
    }
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: g.value }));
}

/** Prometheus' bucketQuantile over the `le` buckets of each label set. */
function histogramQuantile(q: number, input: Sample[]): Sample[] {
  const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
  for (const s of input) {
    const leText = s.labels.le;
    if (leText === undefined) continue;
    const le = leText === '+Inf' ? Infinity : Number(leText);
    if (Number.isNaN(le) || leText.trim() === '') continue;
    const labels = withoutName(s.labels, ['le']);
    const key = signature(labels);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, buckets: [] }));
    g.buckets.push({ le, count: s.value });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets) }));
}

export function bucketQuantile(q: number, input: readonly { le: number; count: number }[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...input].sort((a, b) => a.le - b.le);
  if (sorted.length === 0 || sorted[sorted.length - 1]!.le !== Infinity) return NaN;
  const buckets: { le: number; count: number }[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.le === b.le) last.count += b.count;
    else buckets.push({ ...b });
  }
  let maxCount = -Infinity;
  for (const b of buckets) {
    if (b.count > maxCount) maxCount = b.count;
    else if (b.count < maxCount) b.count = maxCount; // counts must not decrease with `le`
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return NaN;
  let rank = q * observations;
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i]!.count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  const end = buckets[b]!.le;
  let count = buckets[b]!.count;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return start + (end - start) * (rank / count);
}

function arithmetic(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

function comparison(op: string, a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '<':
      return a < b;
    case '>=':
      return a >= b;
    default:
      return a <= b;
  }
}

const isComparison = (op: string): boolean => op === '>' || op === '<' || op === '>=' || op === '<=';

function binaryOp(op: string, lhs: Value, rhs: Value): Value {
  if (op === 'or') {
    const l = vectorOf(lhs, 'or');
    const seen = new Set(l.map((s) => signature(s.labels)));
    return {
      type: 'vector',
      samples: [...l, ...vectorOf(rhs, 'or').filter((s) => !seen.has(signature(s.labels)))],
    };
  }
  if (lhs.type === 'scalar' && rhs.type === 'scalar') {
    if (isComparison(op)) throw new QueryError(`comparison between two numbers needs the bool modifier`);
    return { type: 'scalar', value: arithmetic(op, lhs.value, rhs.value) };
  }
  if (lhs.type === 'scalar' || rhs.type === 'scalar') {
    const vectorOnLeft = lhs.type === 'vector';
    const vec = vectorOnLeft ? lhs.samples : (rhs as { samples: Sample[] }).samples;
    const k = (vectorOnLeft ? rhs : lhs) as { value: number };
    const out: Sample[] = [];
    for (const s of vec) {
      const [a, b] = vectorOnLeft ? [s.value, k.value] : [k.value, s.value];
      if (isComparison(op)) {
        if (comparison(op, a, b)) out.push(s);
      } else out.push({ labels: withoutName(s.labels), value: arithmetic(op, a, b) });
    }
    return { type: 'vector', samples: out };
  }
  const right = new Map<string, Sample>();
  for (const s of rhs.samples) {
    const key = signature(s.labels);
    if (right.has(key))
      throw new QueryError(`many-to-many matching: duplicate series on the right side of ${op}`);
    right.set(key, s);
  }
  const out: Sample[] = [];
  const seen = new Set<string>();
  for (const s of lhs.samples) {
    const key = signature(s.labels);
    const r = right.get(key);
    if (!r) continue;
    if (seen.has(key)) throw new QueryError(`multiple matches on the left side of ${op}`);
    seen.add(key);
    if (isComparison(op)) {
      if (comparison(op, s.value, r.value)) out.push(s);
    } else out.push({ labels: withoutName(s.labels), value: arithmetic(op, s.value, r.value) });
  }
  return { type: 'vector', samples: out };
}
