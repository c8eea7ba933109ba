/**
 * The query form: a small typed expression tree covering what our panels, alerts and recording rules use, and
 * no more. It is not a PromQL parser or engine. From one tree come the PromQL text (promql.ts) and an
 * evaluation over in-process samples (evaluate.ts), so a Grafana panel, a Prometheus rule and the built-in
 * dashboard read the same definition.
 *
 * Nodes follow PromQL's own structure one to one (a `paren` node is printed as parentheses and is a no-op
 * when evaluated), so the printed text parses back into the tree the evaluator walks.
 */
import { PROCESS_LABEL, isPerProcess, metricName, type MetricSpec, type Units } from '../metrics/catalog.ts';

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export type AggregateOp = 'sum' | 'min' | 'max' | 'avg' | 'count' | 'group';
export type ArithmeticOp = '+' | '-' | '*' | '/';
export type ComparisonOp = '>' | '<' | '>=' | '<=';
export type BinaryOp = ArithmeticOp | ComparisonOp | 'or';

export interface Grouping {
  readonly mode: 'by' | 'without';
  readonly labels: readonly string[];
}

/** A vector selector: one metric name (prefix and suffix included) and its label matchers. */
export interface SelectExpr {
  readonly kind: 'select';
  readonly metric: string;
  readonly matchers: readonly Matcher[];
}

export type Expr =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'vector'; readonly value: number }
  | SelectExpr
  | {
      readonly kind: 'range';
      readonly fn: 'rate' | 'increase';
      readonly select: SelectExpr;
      /** A duration (`5m`) or a dashboard variable (`$__rate_interval`, `$__range`). */
      readonly window: string;
    }
  | {
      readonly kind: 'aggregate';
      readonly op: AggregateOp;
      readonly grouping: Grouping | undefined;
      readonly expr: Expr;
    }
  | { readonly kind: 'topk'; readonly k: number; readonly expr: Expr }
  | { readonly kind: 'quantile'; readonly q: number; readonly expr: Expr }
  | {
      readonly kind: 'clamp';
      readonly fn: 'clamp_min' | 'clamp_max';
      readonly expr: Expr;
      readonly bound: number;
    }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly lhs: Expr; readonly rhs: Expr }
  | { readonly kind: 'paren'; readonly expr: Expr };

export class QueryError extends Error {
  override name = 'QueryError';
}

/** Suffixes a histogram exposes besides its name. */
export type SeriesSuffix = '' | '_bucket' | '_sum' | '_count';

/** Labels every scraped series may carry besides its own (target and replica labels). */
export const TARGET_LABELS = ['job', 'instance', 'pod', 'cluster', 'namespace_k8s'] as const;

const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const MATCHER_RE = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

export function matcher(label: string, op: MatchOp, value: string): Matcher {
  if (!LABEL_RE.test(label)) throw new QueryError(`invalid label name ${JSON.stringify(label)}`);
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(value);
    } catch {
      throw new QueryError(`invalid regular expression ${JSON.stringify(value)} for label ${label}`);
    }
  }
  return { label, op, value };
}

/** Parses `a="x", b=~"y|z"` (a config selector) into matchers; an empty string gives none. */
export function parseMatchers(text: string): Matcher[] {
  const out: Matcher[] = [];
  if (text.trim() === '') return out;
  MATCHER_RE.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    MATCHER_RE.lastIndex = pos;
    const m = MATCHER_RE.exec(text);
    if (!m) throw new QueryError(`invalid label matchers ${JSON.stringify(text)} at offset ${pos}`);
    out.push(
      matcher(
        m[1]!,
        m[2] as MatchOp,
        m[3]!.replace(/\\(.)/g, (_s, c: string) => (c === 'n' ? '\n' : c)),
      ),
    );
    pos = MATCHER_RE.lastIndex;
  }
  return out;
}

/** A selector over any series name (recorded series, Prometheus' own `ALERTS`). Prefer `metric()`. */
export function select(metric: string, matchers: readonly Matcher[] = []): SelectExpr {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric))
    throw new QueryError(`invalid metric name ${JSON.stringify(metric)}`);
  return { kind: 'select', metric, matchers };
}

/**
 * A catalog metric with matchers, named in a naming mode (`seed` unless given): only the metric's own labels,
 * `le` on buckets and target labels may be matched, so a query on a label the metric does not carry, or on a
 * metric the mode does not emit, cannot be written.
 */
export function metric(
  spec: MetricSpec,
  prefix: string,
  matchers: readonly Matcher[] = [],
  suffix: SeriesSuffix = '',
  units: Units = 'seed',
): SelectExpr {
  if (suffix !== '' && spec.type !== 'histogram') {
    throw new QueryError(`${spec.name} is a ${spec.type}: it has no ${suffix} series`);
  }
  const allowed = new Set<string>([...spec.labels, ...TARGET_LABELS]);
  if (suffix === '_bucket') allowed.add('le');
  if (isPerProcess(spec)) allowed.add(PROCESS_LABEL); // when several processes are aggregated
  for (const m of matchers) {
    if (!allowed.has(m.label)) throw new QueryError(`${spec.name} has no label ${JSON.stringify(m.label)}`);
  }
  try {
    return select(metricName(spec, prefix, units) + suffix, matchers);
  } catch (err) {
    // A metric the naming mode leaves out cannot be queried in it.
    if (err instanceof QueryError) throw err;
    throw new QueryError((err as Error).message);
  }
}

export const num = (value: number): Expr => ({ kind: 'number', value });
export const vector = (value: number): Expr => ({ kind: 'vector', value });
export const paren = (expr: Expr): Expr => ({ kind: 'paren', expr });

function rangeOf(fn: 'rate' | 'increase', s: SelectExpr, window: string): Expr {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$|^\$[a-z_]+$/.test(window))
    throw new QueryError(`invalid range window ${JSON.stringify(window)}`);
  return { kind: 'range', fn, select: s, window };
}
export const rate = (s: SelectExpr, window: string): Expr => rangeOf('rate', s, window);
export const increase = (s: SelectExpr, window: string): Expr => rangeOf('increase', s, window);

export const by = (...labels: string[]): Grouping => ({ mode: 'by', labels });
export const without = (...labels: string[]): Grouping => ({ mode: 'without', labels });

export function aggregate(op: AggregateOp, expr: Expr, grouping?: Grouping): Expr {
  return { kind: 'aggregate', op, grouping, expr };
}
export const sum = (expr: Expr, grouping?: Grouping): Expr => aggregate('sum', expr, grouping);
export const max = (expr: Expr, grouping?: Grouping): Expr => aggregate('max', expr, grouping);
export const min = (expr: Expr, grouping?: Grouping): Expr => aggregate('min', expr, grouping);
export const avg = (expr: Expr, grouping?: Grouping): Expr => aggregate('avg', expr, grouping);
export const count = (expr: Expr, grouping?: Grouping): Expr => aggregate('count', expr, grouping);
export const group = (expr: Expr, grouping?: Grouping): Expr => aggregate('group', expr, grouping);

export function topk(k: number, expr: Expr): Expr {
  if (!(Number.isInteger(k) && k > 0)) throw new QueryError(`topk needs a positive integer, got ${k}`);
  return { kind: 'topk', k, expr };
}

/** `histogram_quantile(q, buckets)`: `buckets` must keep the `le` label (sum by (..., le) of bucket rates). */
export function histogramQuantile(q: number, buckets: Expr): Expr {
  if (!(q >= 0 && q <= 1)) throw new QueryError(`quantile must be within 0..1, got ${q}`);
  return { kind: 'quantile', q, expr: buckets };
}

export const clampMin = (expr: Expr, bound: number): Expr => ({
  kind: 'clamp',
  fn: 'clamp_min',
  expr,
  bound,
});
export const clampMax = (expr: Expr, bound: number): Expr => ({
  kind: 'clamp',
  fn: 'clamp_max',
  expr,
  bound,
});

const operand = (x: Expr | number): Expr => (typeof x === 'number' ? num(x) : x);
export function binary(op: BinaryOp, lhs: Expr | number, rhs: Expr | number): Expr {
  return { kind: 'binary', op, lhs: operand(lhs), rhs: operand(rhs) };
}
export const add = (a: Expr | number, b: Expr | number): Expr => binary('+', a, b);
export const sub = (a: Expr | number, b: Expr | number): Expr => binary('-', a, b);
export const mul = (a: Expr | number, b: Expr | number): Expr => binary('*', a, b);
export const div = (a: Expr | number, b: Expr | number): Expr => binary('/', a, b);
export const or = (a: Expr, b: Expr): Expr => binary('or', a, b);

/** Comparison with a threshold: keeps the samples for which it holds (an alert's condition). */
export function compare(expr: Expr, op: ComparisonOp, threshold: number): Expr {
  if (!Number.isFinite(threshold))
    throw new QueryError(`threshold must be a finite number, got ${threshold}`);
  return binary(op, expr, threshold);
}

/**
 * `num / den` over summed rates, null-safe: the denominator is filtered to `> 0` so that a window with no
 * traffic yields no sample instead of 0/0, and a numerator series that does not exist yet (no failure so far)
 * counts as 0 rather than hiding the ratio.
 */
export function ratio(numerator: Expr, denominator: Expr): Expr {
  return div(paren(or(numerator, mul(0, denominator))), paren(compare(denominator, '>', 0)));
}

/** Calls `visit` for every selector of an expression, with the range window it is read over (if any). */
export function forEachSelector(
  e: Expr,
  visit: (select: SelectExpr, window: string | undefined) => void,
): void {
  switch (e.kind) {
    case 'select':
      visit(e, undefined);
      return;
    case 'range':
      visit(e.select, e.window);
      return;
    case 'aggregate':
    case 'topk':
    case 'quantile':
    case 'clamp':
    case 'paren':
      forEachSelector(e.expr, visit);
      return;
    case 'binary':
      forEachSelector(e.lhs, visit);
      forEachSelector(e.rhs, visit);
      return;
    default:
      return;
  }
}

/** Every metric name an expression reads. */
export function selectedMetrics(e: Expr): string[] {
  const out = new Set<string>();
  forEachSelector(e, (s) => out.add(s.metric));
  return [...out];
}

/** `label="value"` */
export const eq = (label: string, value: string): Matcher => matcher(label, '=', value);
/** `label!="value"` */
export const ne = (label: string, value: string): Matcher => matcher(label, '!=', value);
/** `label=~"regex"` (anchored, as in PromQL) */
export const re = (label: string, value: string): Matcher => matcher(label, '=~', value);
