/**
 * Offline evaluation of our alert rules on a `promtool test rules` file: the first test's `input_series`
 * (sampled every `interval`) evaluated every `evaluation_interval` from 0 to `at`, as the rule manager would.
 * The result has the shape of an element of Prometheus' `/api/v1/alerts` (labels, annotations, state,
 * activeAt, value).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AlertEvaluator, type AlertInstance } from '../query/alerting.ts';
import { parseDuration } from '../query/evaluate.ts';
import { storeFromInput, type InputSeries } from '../query/store.ts';
import type { MonitoringConfig } from './config.ts';
import { alertRules, recordedQueries } from './rules.ts';

export class AlertsEvalError extends Error {
  override name = 'AlertsEvalError';
}

/** One alert as Prometheus' alerts API lists it. */
export interface ApiAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

/** Go's `strconv.FormatFloat(v, 'e', -1, 64)`, which the alerts API uses for `value`. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [m, e = '0'] = v.toExponential().split('e');
  const n = Number(e);
  return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
}

export function apiAlert(a: AlertInstance, epochMs = 0): ApiAlert {
  return {
    labels: { ...a.labels },
    annotations: { ...a.annotations },
    state: a.state === 'firing' ? 'firing' : 'pending',
    activeAt: new Date(epochMs + a.activeAt).toISOString(),
    value: formatValue(a.value),
  };
}

export interface RuleTestInput {
  readonly intervalMs: number;
  readonly evaluationIntervalMs: number;
  readonly inputSeries: readonly InputSeries[];
}

/** The parts of a promtool test file `alerts eval` reads. */
export function readRuleTestFile(text: string, file = 'input'): RuleTestInput {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new AlertsEvalError(`${file}: not YAML (${(err as Error).message})`);
  }
  const d = (doc ?? {}) as { evaluation_interval?: unknown; tests?: unknown };
  const tests = Array.isArray(d.tests) ? (d.tests as Record<string, unknown>[]) : [];
  const first = tests[0];
  if (!first) throw new AlertsEvalError(`${file}: no tests (a promtool test file has a 'tests' list)`);
  const duration = (v: unknown, what: string): number => {
    if (v === undefined) return 60_000;
    try {
      return parseDuration(String(v));
    } catch {
      throw new AlertsEvalError(`${file}: ${what} is not a duration: ${JSON.stringify(v)}`);
    }
  };
  const evaluationIntervalMs = duration(d.evaluation_interval, 'evaluation_interval');
  const intervalMs =
    first.interval === undefined ? evaluationIntervalMs : duration(first.interval, 'interval');
  const series = Array.isArray(first.input_series) ? first.input_series : [];
  const inputSeries = series.map((s: { series?: unknown; values?: unknown }, i: number) => {
    if (typeof s?.series !== 'string' || (typeof s.values !== 'string' && typeof s.values !== 'number')) {
      throw new AlertsEvalError(`${file}: input_series[${i}] needs 'series' and 'values' strings`);
    }
    return { series: s.series, values: String(s.values) };
  });
  return { intervalMs, evaluationIntervalMs, inputSeries };
}

/** Active alerts (pending or firing) at `atMs`, after evaluating every interval from 0. */
export function evaluateAlertsAt(
  config: MonitoringConfig,
  input: RuleTestInput,
  atMs: number,
): AlertInstance[] {
  let store;
  try {
    store = storeFromInput(input.inputSeries, input.intervalMs);
  } catch (err) {
    throw new AlertsEvalError(`input_series: ${(err as Error).message}`);
  }
  const evaluator = new AlertEvaluator(alertRules(config), { recorded: recordedQueries(config) });
  let active: AlertInstance[] = [];
  for (let t = 0; t <= atMs; t += input.evaluationIntervalMs) active = evaluator.evaluate(store, t);
  return active;
}

/** `alerts eval`: the JSON array for a test file at `at`. */
export function alertsEval(config: MonitoringConfig, file: string, at: string): ApiAlert[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AlertsEvalError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let atMs: number;
  try {
    atMs = parseDuration(at);
  } catch {
    throw new AlertsEvalError(`--at must be a duration such as 10m or 1h30m, got ${JSON.stringify(at)}`);
  }
  const alerts = evaluateAlertsAt(config, readRuleTestFile(text, file), atMs);
  return alerts
    .map((a) => apiAlert(a))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}
