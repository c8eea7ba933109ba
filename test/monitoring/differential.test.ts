/**
 * The local evaluator against Prometheus (promtool 2.x) on the same inputs.
 *
 * Alerts: every promtool scenario of rule-scenarios.ts (fire, before `for`, below, no data; two instances) is
 * evaluated locally every minute; the firing alerts it finds, with their labels and rendered annotations,
 * become the expectations of a new promtool file, checked at every minute of every scenario.
 *
 * Queries: every panel query (but the one over Prometheus' own ALERTS series), every recording rule and every
 * alert condition is evaluated locally and by promtool (`promql_expr_test` with no expected samples, whose
 * failure report lists what Prometheus got) on a mixed input: two instances in two clusters, every label value,
 * counters with a reset, gauges with gaps, histograms; at several times and with two sets of dashboard
 * variables. The label sets must be equal and the values agree to 1e-9 relative. Both naming modes.
 */
import { describe, expect, it } from 'vitest';
import { CATALOG_ENTRIES, metricName, unitsForm, type MetricSpec } from '../../src/metrics/catalog.ts';
import { buildAlerts } from '../../src/monitoring/alerts.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  resolveMonitoringConfig,
  type MonitoringConfig,
} from '../../src/monitoring/config.ts';
import { dashboardPanels, interpolateQuery } from '../../src/monitoring/dashboard.ts';
import { alertRules, recordedQueries, recordingDefinitions } from '../../src/monitoring/rules.ts';
import { AlertEvaluator } from '../../src/query/alerting.ts';
import { evaluate, type EvalOptions, type Sample } from '../../src/query/evaluate.ts';
import { selectedMetrics, type Expr } from '../../src/query/expr.ts';
import { toPromQL } from '../../src/query/promql.ts';
import { storeFromInput, type InputSeries } from '../../src/query/store.ts';
import { durationSeconds, promtoolTestRules } from './helpers.ts';
import { ruleTests } from './rule-scenarios.ts';

/** Both naming modes: the description's names, and base units (seconds, the CPU seconds counter). */
const CONFIGS = [
  ['seed', DEFAULT_MONITORING_CONFIG],
  ['base', resolveMonitoringConfig({ units: 'base' })],
] as const;
const MINUTE = 60_000;

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
}
interface TestGroup {
  name: string;
  interval: string;
  input_series: InputSeries[];
  alert_rule_test?: AlertRuleTest[];
  promql_expr_test?: unknown[];
}

const withoutAlertname = (labels: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'alertname'));

describe.each(CONFIGS)('local alerts equal promtool in %s units', (_units, config) => {
  it(
    'every scenario: the locally firing set (labels, annotations) passes promtool at every minute',
    { timeout: 240_000 },
    async () => {
      const groups = (ruleTests(config, 'rules.yml').yaml as { tests: TestGroup[] }).tests.filter(
        (g) => g.alert_rule_test,
      );
      const alertNames = new Set(buildAlerts(config).map((a) => a.alert));
      expect(new Set(groups.flatMap((g) => g.alert_rule_test!.map((t) => t.alertname)))).toEqual(alertNames);
      const rewritten: object[] = [];
      const fired = new Set<string>();
      for (const g of groups) {
        const store = storeFromInput(g.input_series, durationSeconds(g.interval) * 1000);
        const evaluator = new AlertEvaluator(alertRules(config), { recorded: recordedQueries(config) });
        const original = new Map(g.alert_rule_test!.map((t) => [durationSeconds(t.eval_time) * 1000, t]));
        const alertname = g.alert_rule_test![0]!.alertname;
        const last = Math.max(...original.keys()) + 2 * MINUTE; // and keeps firing after
        const checks: AlertRuleTest[] = [];
        for (let t = 0; t <= last; t += MINUTE) {
          const firing = evaluator
            .evaluate(store, t)
            .filter((a) => a.state === 'firing' && a.rule === alertname);
          const exp = firing.map((a) => ({
            exp_labels: withoutAlertname(a.labels),
            exp_annotations: { ...a.annotations },
          }));
          checks.push({ eval_time: `${t / 1000}s`, alertname, exp_alerts: exp });
          if (exp.length > 0) fired.add(alertname);
          // The hand-written expectations agree too (labels; promtool checks the annotations below).
          const want = original.get(t);
          if (want) {
            expect(
              exp.map((e) => e.exp_labels),
              `${g.name} at ${t / MINUTE}m`,
            ).toEqual(want.exp_alerts.map((e) => e.exp_labels));
          }
        }
        rewritten.push({
          name: `${g.name} (local)`,
          interval: g.interval,
          input_series: g.input_series,
          alert_rule_test: checks,
        });
      }
      expect(fired).toEqual(alertNames); // every alert fires in its scenario
      const r = await promtoolTestRules(config, rewritten);
      expect(r.code, r.out.slice(0, 4000)).toBe(0);
      expect(r.out).toContain('SUCCESS');
    },
  );
});

// --- queries ---

const INSTANCES = [
  { instance: 'a:8000', cluster: 'c1' },
  { instance: 'b:8000', cluster: 'c2' },
];
const OPEN_VALUES: Record<string, string[]> = {
  tool: ['search', 'calc', 'search,web'],
  provider: ['openai', 'anthropic'],
  type: ['timeout', 'other'],
};

/** A small deterministic generator (the same input on every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

function labelSets(spec: MetricSpec): Record<string, string>[] {
  let sets: Record<string, string>[] = [{}];
  for (const label of spec.labels) {
    const values = (spec.labelValues as Record<string, readonly string[]> | undefined)?.[label] ??
      OPEN_VALUES[label] ?? ['x', 'y'];
    sets = sets.flatMap((s) => values.slice(0, 3).map((v) => ({ ...s, [label]: v })));
  }
  return sets;
}

function inputFor(config: MonitoringConfig, specs: readonly MetricSpec[]): InputSeries[] {
  const random = lcg(7);
  const job = Object.fromEntries([...config.selector.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const out: InputSeries[] = [];
  const sel = (name: string, labels: Record<string, string>): string =>
    `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ')}}`;
  for (const spec of specs) {
    const name = metricName(spec, config.prefix, config.units);
    for (const target of INSTANCES) {
      for (const own of labelSets(spec)) {
        const labels = { ...job, ...target, ...own };
        if (spec.type === 'counter') {
          const slope = Math.floor(random() * 50);
          // Some counters restart halfway (a process restart); some start late.
          const shape = random();
          if (shape < 0.2)
            out.push({ series: sel(name, labels), values: `${slope * 3}+${slope}x30 0+${slope}x29` });
          else if (shape < 0.4) out.push({ series: sel(name, labels), values: `_x10 0+${slope}x50` });
          else out.push({ series: sel(name, labels), values: `${Math.floor(random() * 100)}+${slope}x60` });
        } else if (spec.type === 'gauge') {
          const v = Math.round(random() * 1000) / 10;
          const gap = random() < 0.2 ? ' _x8' : '';
          out.push({ series: sel(name, labels), values: `${v}+0.5x20${gap} ${v}-0.25x30` });
        } else {
          let cumulative = 0;
          const perBucket = [...(spec.buckets ?? []), Infinity].map(() => {
            cumulative += random() < 0.5 ? 0 : Math.floor(random() * 20);
            return cumulative;
          });
          [...(spec.buckets ?? []).map(String), '+Inf'].forEach((le, i) => {
            out.push({ series: sel(`${name}_bucket`, { ...labels, le }), values: `0+${perBucket[i]}x60` });
          });
        }
      }
    }
  }
  return out;
}

/** Go's model.Duration String for whole seconds (`1h3m`, `0s`). */
function promDuration(ms: number): string {
  let s = ms / 1000;
  if (s === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      out += `${Math.floor(s / size)}${unit}`;
      s %= size;
    }
  }
  return out;
}

/** The `got:` samples of each failed promql_expr_test, by `expr@time`. */
function parseGot(out: string): Map<string, Sample[]> {
  const result = new Map<string, Sample[]>();
  const re = /expr: ("(?:[^"\\]|\\.)*"), time: (\S+?),\n\s+exp: .*\n\s+got: (.*)\n/g;
  for (const m of out.matchAll(re)) {
    const samples: Sample[] = [];
    for (const s of m[3]!.matchAll(/\{((?:[^"}]|"(?:[^"\\]|\\.)*")*)\} (\S+?)(?:, |$)/g)) {
      const labels: Record<string, string> = {};
      for (const l of s[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[l[1]!] = JSON.parse(`"${l[2]!}"`) as string;
      samples.push({
        labels,
        value: Number(s[2]!.replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')),
      });
    }
    result.set(`${JSON.parse(m[1]!) as string}@${m[2]}`, samples);
  }
  return result;
}

const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort());

function agree(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
}

describe.each(CONFIGS)('local queries equal promtool in %s units', (_units, config) => {
  const queries: { where: string; query: Expr }[] = [
    ...dashboardPanels(config).flatMap((p) =>
      p.queries
        .filter((q) => !selectedMetrics(q.query).includes('ALERTS'))
        .map((q) => ({ where: `panel ${p.title} ${q.refId}`, query: q.query })),
    ),
    ...recordingDefinitions(config).map((d) => ({ where: `record ${d.record}`, query: d.query })),
    ...buildAlerts(config).map((a) => ({ where: `alert ${a.alert}`, query: a.query })),
  ];
  const names = new Set(queries.flatMap((q) => selectedMetrics(q.query)));
  const specs = CATALOG_ENTRIES.filter(
    (s) =>
      unitsForm(s, config.units) !== null &&
      [...names].some((n) => {
        const name = metricName(s, config.prefix, config.units);
        return n === name || n === `${name}_bucket`;
      }),
  );
  const input = inputFor(config, specs);
  // On the sampling grid and between samples (where rate() extrapolates to the window's edges).
  const times = [0, 1, 1.5, 2, 7, 7.25, 30, 30.5, 45, 60, 61.75, 63].map((m) => m * MINUTE);
  const varSets: EvalOptions['vars'][] = [
    { rateInterval: '1m', range: '1h' },
    { rateInterval: '5m', range: '10m', values: { instance: 'a:8000', tool: 'search|calc', cluster: 'c.*' } },
  ];

  it(
    'every panel, recording rule and alert condition: same label sets, values within 1e-9',
    { timeout: 240_000 },
    async () => {
      expect(queries.length).toBeGreaterThan(45);
      const cases = varSets.flatMap((vars) =>
        queries.flatMap((q) =>
          times.map((t) => ({ ...q, vars, t, expr: interpolateQuery(toPromQL(q.query), vars ?? {}) })),
        ),
      );
      const tests = [
        {
          name: 'panel and rule queries',
          interval: '1m',
          input_series: input,
          promql_expr_test: cases.map((c) => ({
            expr: c.expr,
            eval_time: promDuration(c.t),
            exp_samples: [],
          })),
        },
      ];
      const r = await promtoolTestRules(config, tests);
      const got = parseGot(r.out);
      expect(got.size, r.out.trim().slice(0, 3000)).toBeGreaterThan(cases.length / 3);
      const store = storeFromInput(input, MINUTE);
      const recorded = recordedQueries(config);
      let compared = 0;
      for (const c of cases) {
        const prom = got.get(`${c.expr}@${promDuration(c.t)}`) ?? [];
        const local = evaluate(c.query, store, c.t, { vars: c.vars, recorded, ruleIntervalMs: MINUTE });
        const where = `${c.where} at ${c.t / MINUTE}m (${JSON.stringify(c.vars)}): ${c.expr}`;
        const byLabels = new Map(prom.map((s) => [key(s.labels), s.value]));
        expect(local.map((s) => key(s.labels)).sort(), where).toEqual([...byLabels.keys()].sort());
        for (const s of local) {
          const p = byLabels.get(key(s.labels))!;
          expect(agree(s.value, p), `${where} ${key(s.labels)}: local ${s.value}, Prometheus ${p}`).toBe(
            true,
          );
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(cases.length);
    },
  );
});
