/**
 * The health score (0..100), declared once: a table of terms, each one input mapped to 0..1 and the key of
 * its weight. `healthQuery` turns the table into one query-form expression. The recording rule prints it
 * with the monitoring config's selector and replica labels; the collector evaluates the same expression over
 * a trailing window of its own samples. So the two differ only in what each has sampled, never in the formula.
 *
 * A term with no data in the window (no lookups, executions, selections or provider requests; no CPU reading)
 * counts as healthy: it is `or`-ed with an anchor worth 1 (the rule's anchor is the target's uptime series, so
 * the score exists while the job runs). A term of weight 0 is left out of the query.
 */
import {
  CATALOG,
  PROCESS_LABEL,
  TOTAL_PROCESS,
  unitsForm,
  type MetricSpec,
  type Units,
} from '../metrics/catalog.ts';
import {
  QueryError,
  add,
  avg,
  clampMax,
  clampMin,
  compare,
  div,
  eq,
  histogramQuantile,
  metric,
  mul,
  ne,
  or,
  paren,
  rate,
  ratio,
  re,
  select,
  sub,
  sum,
  without,
  type Expr,
  type Matcher,
  type SelectExpr,
  type SeriesSuffix,
} from './expr.ts';
import { parseDuration } from './evaluate.ts';

export const HEALTH_TERM_KEYS = [
  'cacheHitRate',
  'toolSuccess',
  'cpuHeadroom',
  'memoryHeadroom',
  'latencyHeadroom',
  'providerAvailability',
] as const;
export type HealthTermKey = (typeof HEALTH_TERM_KEYS)[number];
/** Weight of each term; they sum to 1. */
export type HealthWeights = { readonly [K in HealthTermKey]: number };

/** The description's weights; provider availability is left out (weight 0) unless a user weighs it in. */
export const DEFAULT_HEALTH_WEIGHTS: HealthWeights = {
  cacheHitRate: 0.4,
  toolSuccess: 0.3,
  cpuHeadroom: 0.1,
  memoryHeadroom: 0.1,
  latencyHeadroom: 0.1,
  providerAvailability: 0,
};

export interface HealthDefinition {
  readonly weights: HealthWeights;
  /** Memory at which the memory headroom reaches 0. */
  readonly memoryBudgetBytes: number;
  /** Selection P95 at which the latency headroom reaches 0. */
  readonly latencyBudgetMs: number;
  /** Provider failure ratio (0..1) at which the provider availability term reaches 0. */
  readonly providerFailureBudget: number;
}

export const DEFAULT_HEALTH_DEFINITION: HealthDefinition = {
  weights: DEFAULT_HEALTH_WEIGHTS,
  memoryBudgetBytes: 2 * 1024 ** 3,
  latencyBudgetMs: 5000,
  // The default critical provider failure rate: a pool failing that often has no availability left.
  providerFailureBudget: 0.3,
};

/** Where the terms read their series: Prometheus (selector, replicas) or the process itself. */
export interface HealthScope {
  readonly prefix: string;
  /** Naming mode of the series read (default `seed`). */
  readonly units?: Units;
  /** Matchers every series gets (the rule's selector; none in-process). */
  readonly matchers: readonly Matcher[];
  /** Labels aggregated away so that every replica counts once (instance, pod; none in-process). */
  readonly replicaLabels: readonly string[];
  /** Range of the rates and the quantile. */
  readonly window: string;
  /** Worth 1, with the labels the terms are aggregated to: what a term without data becomes. */
  readonly anchor: Expr;
}

export interface HealthTerm {
  readonly key: HealthTermKey;
  /** What the term measures, as the docs and the dashboard say it. */
  readonly input: string;
  /** The term's value 0..1 (1 healthy); no sample when there is no data. */
  query(scope: HealthScope, d: HealthDefinition): Expr;
}

function scoped(scope: HealthScope) {
  const series = (
    spec: MetricSpec,
    matchers: readonly Matcher[] = [],
    suffix: SeriesSuffix = '',
  ): SelectExpr => {
    const checked = metric(spec, scope.prefix, matchers, suffix, scope.units);
    return select(checked.metric, [...scope.matchers, ...checked.matchers]);
  };
  const across = (...drop: string[]) => without(...scope.replicaLabels, ...drop);
  const rateSum = (
    spec: MetricSpec,
    matchers: readonly Matcher[],
    drop: string[],
    suffix: SeriesSuffix = '',
  ): Expr => sum(rate(series(spec, matchers, suffix), scope.window), across(...drop));
  // A system gauge: processes of one replica (cluster mode) count like replicas; their `process="total"` sum
  // does not. A single process has no `process` label, which the matcher also matches.
  const avgOf = (spec: MetricSpec): Expr =>
    avg(series(spec, [ne(PROCESS_LABEL, TOTAL_PROCESS)]), across(PROCESS_LABEL));
  // CPU percent: the gauge, or in base units (which leave it out) 100 × the rate of the CPU seconds counter.
  const cpuPercent = (): Expr =>
    unitsForm(C.systemCpuPercent, scope.units) !== null
      ? avgOf(C.systemCpuPercent)
      : avg(mul(rate(series(C.systemCpuSeconds), scope.window), 100), across(PROCESS_LABEL));
  /** Declared units (milliseconds) per exposed unit of a metric in the scope's naming mode. */
  const perExposed = (spec: MetricSpec): number => unitsForm(spec, scope.units)?.divisor ?? 1;
  return { series, across, rateSum, avgOf, cpuPercent, perExposed };
}

const C = CATALOG;

/** The terms, in the order the score adds them. */
export const HEALTH_TERMS: readonly HealthTerm[] = [
  {
    key: 'cacheHitRate',
    input: 'cache hit rate: hits / (hits + misses) of all namespaces over the window',
    query: (scope) => {
      const { rateSum } = scoped(scope);
      return ratio(
        rateSum(C.cacheOperations, [eq('operation', 'hits')], ['namespace', 'operation']),
        rateSum(C.cacheOperations, [re('operation', 'hits|misses')], ['namespace', 'operation']),
      );
    },
  },
  {
    key: 'toolSuccess',
    input: 'tool success: 1 - failed / all tool executions over the window',
    query: (scope) => {
      const { rateSum } = scoped(scope);
      const failed = rateSum(C.toolExecutions, [eq('status', 'failure')], ['tool', 'status']);
      return sub(1, ratio(failed, rateSum(C.toolExecutions, [], ['tool', 'status'])));
    },
  },
  {
    key: 'cpuHeadroom',
    input: 'CPU headroom: 1 - CPU % / 100 (at least 0), averaged over replicas',
    query: (scope) => clampMin(sub(1, div(scoped(scope).cpuPercent(), 100)), 0),
  },
  {
    key: 'memoryHeadroom',
    input: 'memory headroom: 1 - memory / memory budget (at least 0), averaged over replicas',
    query: (scope, d) =>
      clampMin(sub(1, div(scoped(scope).avgOf(C.systemMemoryBytes), d.memoryBudgetBytes)), 0),
  },
  {
    key: 'latencyHeadroom',
    input: 'latency headroom: 1 - min(1, tool selection P95 over the window / latency budget)',
    query: (scope, d) => {
      const { rateSum, perExposed } = scoped(scope);
      const p95 = histogramQuantile(0.95, rateSum(C.toolSelectionDuration, [], [], '_bucket'));
      // `>= 0` drops the NaN histogram_quantile returns for a window without observations; the budget is in
      // milliseconds, the P95 in the exposed unit.
      const budget = d.latencyBudgetMs / perExposed(C.toolSelectionDuration);
      return sub(1, clampMax(div(paren(compare(p95, '>=', 0)), budget), 1));
    },
  },
  {
    key: 'providerAvailability',
    input:
      'provider availability: 1 - min(1, failed / all LLM provider requests of the pool over the window / ' +
      'provider failure budget)',
    query: (scope, d) => {
      const { rateSum } = scoped(scope);
      const failed = rateSum(C.providerErrors, [], ['provider', 'type']);
      const share = ratio(failed, rateSum(C.providerRequests, [], ['provider']));
      return sub(1, clampMax(div(paren(share), d.providerFailureBudget), 1));
    },
  },
];

/** `100 * (w1 * (term1 or anchor) + ...)` over the terms with a weight above 0. */
export function healthQuery(scope: HealthScope, d: HealthDefinition = DEFAULT_HEALTH_DEFINITION): Expr {
  const terms = HEALTH_TERMS.filter((t) => d.weights[t.key] > 0).map((t) =>
    mul(d.weights[t.key], paren(or(paren(t.query(scope, d)), scope.anchor))),
  );
  if (terms.length === 0) throw new QueryError('health score: every weight is 0');
  return mul(100, paren(terms.reduce((a, b) => add(a, b))));
}

export class HealthDefinitionError extends QueryError {
  override name = 'HealthDefinitionError';
}

/**
 * The defaults with `given` applied, checked: known weight keys, each a finite number >= 0, summing to 1;
 * budgets finite and > 0. `where` names the setting in error messages (`healthScore` in the config).
 */
export function resolveHealthDefinition(
  given: {
    readonly weights?: Partial<Record<string, unknown>> | undefined;
    readonly memoryBudgetBytes?: unknown;
    readonly latencyBudgetMs?: unknown;
    readonly providerFailureBudget?: unknown;
  } = {},
  where = 'health',
): HealthDefinition {
  const weights: Record<string, number> = { ...DEFAULT_HEALTH_WEIGHTS };
  for (const [key, value] of Object.entries(given.weights ?? {})) {
    if (!(HEALTH_TERM_KEYS as readonly string[]).includes(key)) {
      throw new HealthDefinitionError(
        `${where}.weights: unknown term ${JSON.stringify(key)}; terms are ${HEALTH_TERM_KEYS.join(', ')}`,
      );
    }
    if (typeof value !== 'number' || !(value >= 0 && value < Infinity)) {
      throw new HealthDefinitionError(
        `${where}.weights.${key}: expected a finite number >= 0, got ${JSON.stringify(value)}`,
      );
    }
    weights[key] = value;
  }
  const total = HEALTH_TERM_KEYS.reduce((s, k) => s + weights[k]!, 0);
  if (Math.abs(total - 1) > 1e-9) {
    throw new HealthDefinitionError(`${where}.weights: must sum to 1, got ${total}`);
  }
  const budget = (name: 'memoryBudgetBytes' | 'latencyBudgetMs' | 'providerFailureBudget'): number => {
    const v = given[name] ?? DEFAULT_HEALTH_DEFINITION[name];
    if (typeof v !== 'number' || !(v > 0 && v < Infinity)) {
      throw new HealthDefinitionError(
        `${where}.${name}: expected a finite number > 0, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  };
  return {
    weights: weights as HealthWeights,
    memoryBudgetBytes: budget('memoryBudgetBytes'),
    latencyBudgetMs: budget('latencyBudgetMs'),
    providerFailureBudget: budget('providerFailureBudget'),
  };
}

/** The window as milliseconds, with the setting named in the error. */
export function healthWindowMs(window: string, where = 'health.window'): number {
  try {
    return parseDuration(window);
  } catch {
    throw new HealthDefinitionError(`${where}: expected a duration like 5m, got ${JSON.stringify(window)}`);
  }
}
