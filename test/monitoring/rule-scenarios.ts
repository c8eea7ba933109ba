/**
 * promtool unit tests for every alert and recording rule, generated from the same config the rules come from.
 *
 * Each alert has a scenario: inputs on which it must fire (two instances, chosen so that averaging per-instance
 * ratios or quantiles would give a different answer than summing rates first), inputs just below the threshold,
 * and inputs with no activity. From a scenario we emit: fires at start + `for` with exact labels and
 * annotations, silent one minute earlier, silent below the threshold, silent with no data.
 *
 * Scenarios are written in the description's units (milliseconds, CPU percent); in base units the inputs are
 * the base-unit series (seconds, the CPU seconds counter) carrying the same measurements.
 */
import { CATALOG, metricName, unitsForm, type MetricSpec } from '../../src/metrics/catalog.ts';
import { buildAlerts, type AlertSpec } from '../../src/monitoring/alerts.ts';
import type { MonitoringConfig } from '../../src/monitoring/config.ts';
import { healthScoreName, recordName } from '../../src/monitoring/promql.ts';
import { runbookUrl } from '../../src/monitoring/alerts.ts';
import { clusterRuleTests } from './cluster-rule-scenarios.ts';
import { durationSeconds, renderTemplate } from './helpers.ts';

export interface InputSeries {
  series: string;
  values: string;
}
type Labels = Record<string, string>;

interface Scenario {
  /** Minute at which the condition starts to hold: 0 for gauges, 1 for rates (two samples needed). */
  start: number;
  fire: InputSeries[];
  below: InputSeries[];
  noData: InputSeries[];
  /** Alerts expected on `fire`: their expression labels and `$value`. */
  expected: { labels: Labels; value: number }[];
}

const SAMPLES = 60; // one hour of one-minute samples
const A = { instance: 'a:8000' };
const B = { instance: 'b:8000' };
const GiB = 1024 ** 3;

export function ruleTests(config: MonitoringConfig, ruleFile: string): { yaml: object; covered: string[] } {
  const job = Object.fromEntries([...config.selector.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const name = (spec: MetricSpec): string => metricName(spec, config.prefix, config.units);
  /** Seed units per exposed unit (1000 for a millisecond metric in base units). */
  const divisor = (spec: MetricSpec): number => unitsForm(spec, config.units)?.divisor ?? 1;
  const base = config.units === 'base';
  const sel = (n: string, labels: Labels): string =>
    `${n}{${Object.entries({ ...job, ...labels })
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ')}}`;
  const gauge = (spec: MetricSpec, labels: Labels, v: number): InputSeries => ({
    series: sel(name(spec), labels),
    values: `${v / divisor(spec)}x${SAMPLES}`,
  });
  const counter = (spec: MetricSpec, labels: Labels, perMinute: number): InputSeries => ({
    series: sel(name(spec), labels),
    values: `0+${perMinute}x${SAMPLES}`,
  });
  /** `perMinute` observations of `value` per minute, as cumulative buckets. */
  const histogram = (spec: MetricSpec, labels: Labels, value: number, perMinute: number): InputSeries[] =>
    [...(spec.buckets ?? []), Infinity].map((le) => ({
      series: sel(`${name(spec)}_bucket`, {
        ...labels,
        le: le === Infinity ? '+Inf' : String(le / divisor(spec)),
      }),
      values: `0+${value <= le ? perMinute : 0}x${SAMPLES}`,
    }));
  /**
   * Process CPU at `percent`: the description's gauge, or in base units the CPU seconds counter growing at
   * that share of a core (its rate is steady once the rate window is full).
   */
  const cpu = (labels: Labels, percent: number): InputSeries =>
    base
      ? counter(C.systemCpuSeconds, labels, (percent / 100) * 60)
      : gauge(C.systemCpuPercent, labels, percent);
  const cpuStart = base ? durationSeconds(config.rateWindow) / 60 : 0;
  const up = [gauge(CATALOG.systemUptime, A, 3600), gauge(CATALOG.systemUptime, B, 3600)];
  const C = CATALOG;

  // cache: [a hits, a misses, b hits, b misses] per minute, in different namespaces, plus evictions that must
  // not count as lookups.
  const cacheOps = ([ah, am, bh, bm]: number[]): InputSeries[] => [
    counter(C.cacheOperations, { ...A, namespace: 'query', operation: 'hits' }, ah ?? 0),
    counter(C.cacheOperations, { ...A, namespace: 'query', operation: 'misses' }, am ?? 0),
    counter(C.cacheOperations, { ...A, namespace: 'query', operation: 'evictions' }, 500),
    counter(C.cacheOperations, { ...B, namespace: 'context', operation: 'hits' }, bh ?? 0),
    counter(C.cacheOperations, { ...B, namespace: 'context', operation: 'misses' }, bm ?? 0),
    ...up,
  ];
  const selections = ([ah, am, bh, bm]: number[]): InputSeries[] => [
    counter(C.toolSelections, { ...A, namespace: 'query', result: 'hit' }, ah ?? 0),
    counter(C.toolSelections, { ...A, namespace: 'query', result: 'miss' }, am ?? 0),
    counter(C.toolSelections, { ...B, namespace: 'rl', result: 'hit' }, bh ?? 0),
    counter(C.toolSelections, { ...B, namespace: 'rl', result: 'miss' }, bm ?? 0),
    ...up,
  ];
  const executions = ([as, af, bs, bf]: number[]): InputSeries[] => [
    counter(C.toolExecutions, { ...A, tool: 'search', status: 'success' }, as ?? 0),
    counter(C.toolExecutions, { ...A, tool: 'search', status: 'failure' }, af ?? 0),
    counter(C.toolExecutions, { ...B, tool: 'calc', status: 'success' }, bs ?? 0),
    counter(C.toolExecutions, { ...B, tool: 'calc', status: 'failure' }, bf ?? 0),
    ...up,
  ];
  // provider openai: a sends `ar` requests with `ae` errors (two types), b `br` requests without errors;
  // anthropic has requests and no error series at all (its ratio is 0, not absent).
  const provider = (ar: number, ae: number, br: number): InputSeries[] => [
    counter(C.providerRequests, { ...A, provider: 'openai' }, ar),
    counter(C.providerErrors, { ...A, provider: 'openai', type: 'timeout' }, Math.ceil(ae / 2)),
    counter(C.providerErrors, { ...A, provider: 'openai', type: 'rate_limit' }, Math.floor(ae / 2)),
    counter(C.providerRequests, { ...B, provider: 'openai' }, br),
    counter(C.providerRequests, { ...A, provider: 'anthropic' }, 50),
    ...up,
  ];
  // provider openai: a sends `ar` requests, `al` of them rate-limited and 30 timing out; b `br` without errors.
  const rateLimits = (ar: number, al: number, br: number): InputSeries[] => [
    counter(C.providerRequests, { ...A, provider: 'openai' }, ar),
    counter(C.providerErrors, { ...A, provider: 'openai', type: 'rate_limit' }, al),
    counter(C.providerErrors, { ...A, provider: 'openai', type: 'timeout' }, ar === 0 ? 0 : 30),
    counter(C.providerRequests, { ...B, provider: 'openai' }, br),
    ...up,
  ];
  // quantiles: instance a observes `value` 100 times a minute, b observes a fast value 20 times a minute.
  const latency = (spec: MetricSpec, labels: Labels, value: number, fast: number): InputSeries[] => [
    ...histogram(spec, { ...A, ...labels }, value, 100),
    ...histogram(spec, { ...B, ...labels }, fast, 20),
    ...up,
  ];
  const zeroLatency = (spec: MetricSpec, labels: Labels = {}): InputSeries[] => [
    ...histogram(spec, { ...A, ...labels }, 1, 0),
    ...up,
  ];
  const perInstance = (spec: MetricSpec, a: number, b: number, labels: Labels = {}): InputSeries[] => [
    gauge(spec, { ...A, ...labels }, a),
    gauge(spec, { ...B, ...labels }, b),
    ...up,
  ];
  // health: [hits/misses per instance], [success/failure per instance]; CPU avg 50 %, memory avg 1 GiB,
  // selection P95 = 1000 ms (all observations above the last bucket).
  const health = (cache: number[], exec: number[]): InputSeries[] => [
    ...cacheOps(cache),
    ...executions(exec).slice(0, 4),
    cpu(A, 40),
    cpu(B, 60),
    gauge(C.systemMemoryBytes, A, 0.5 * GiB),
    gauge(C.systemMemoryBytes, B, 1.5 * GiB),
    ...histogram(C.toolSelectionDuration, A, 2000, 10),
    ...histogram(C.toolSelectionDuration, B, 5000, 30),
  ];
  const quiet = [...cacheOps([0, 0, 0, 0]), ...executions([0, 0, 0, 0]).slice(0, 4)];

  const missRate = (fire: number[], below: number[], value: number): Scenario => ({
    start: 1,
    fire: cacheOps(fire),
    below: cacheOps(below),
    noData: cacheOps([0, 0, 0, 0]),
    expected: [{ labels: {}, value }],
  });
  const errorRate = (fire: number[], below: number[], value: number): Scenario => ({
    start: 1,
    fire: executions(fire),
    below: executions(below),
    noData: executions([0, 0, 0, 0]),
    expected: [{ labels: {}, value }],
  });
  const utilization = (fire: number, below: number): Scenario => ({
    start: 0,
    // "overall" is excluded: it is high everywhere yet must not alert on its own.
    fire: [
      ...perInstance(C.cacheUtilization, fire, 0.5, { namespace: 'query' }),
      ...perInstance(C.cacheUtilization, 0.99, 0.99, { namespace: 'overall' }),
    ],
    below: [
      ...perInstance(C.cacheUtilization, below, 0.5, { namespace: 'query' }),
      ...perInstance(C.cacheUtilization, 0.99, 0.99, { namespace: 'overall' }),
    ],
    noData: up,
    expected: [{ labels: { namespace: 'query' }, value: fire }],
  });
  const cpuAbove = (fire: number, below: number): Scenario => ({
    start: cpuStart,
    fire: [cpu(A, fire), cpu(B, 1), ...up],
    below: [cpu(A, below), cpu(B, 1), ...up],
    noData: up,
    expected: [{ labels: { ...A }, value: fire }],
  });
  const gaugeAbove = (spec: MetricSpec, fire: number, below: number): Scenario => ({
    start: 0,
    fire: perInstance(spec, fire, 1),
    below: perInstance(spec, below, 1),
    noData: up,
    expected: [{ labels: { ...A }, value: fire }],
  });
  const quantileScenario = (
    spec: MetricSpec,
    fire: number,
    below: number,
    fast: number,
    value: number,
    labels: Labels = {},
    expectedLabels: Labels = {},
  ): Scenario => ({
    start: 1,
    fire: latency(spec, labels, fire, fast),
    below: latency(spec, labels, below, fast),
    noData: zeroLatency(spec, labels),
    expected: [{ labels: expectedLabels, value }],
  });

  const selectionUnit = divisor(C.toolSelectionDuration);
  const scenarios: Record<string, Scenario> = {
    // 35/100 (instance ratios 0.28 and 1.0) fires; 43/100 does not although the instance mean is 0.31.
    HighCacheMissRate: missRate([25, 65, 10, 0], [2, 18, 41, 39], 0.35),
    CriticalCacheMissRate: missRate([5, 85, 10, 0], [2, 18, 19, 61], 0.15),
    HighCacheUtilization: utilization(0.85, 0.79),
    CriticalCacheUtilization: utilization(0.96, 0.94),
    HighCacheEvictionRate: {
      // Per replica, over namespaces: a evicts 330 + 300 a minute = 10.5/s; rates of counters starting at 0
      // reach their steady value once the 5m window is full, so the condition holds from minute 5.
      start: 5,
      fire: [
        counter(C.cacheOperations, { ...A, namespace: 'query', operation: 'evictions' }, 330),
        counter(C.cacheOperations, { ...A, namespace: 'context', operation: 'evictions' }, 300),
        counter(C.cacheOperations, { ...B, namespace: 'query', operation: 'evictions' }, 300),
        counter(C.cacheOperations, { ...B, namespace: 'query', operation: 'hits' }, 5000),
        ...up,
      ],
      below: [
        counter(C.cacheOperations, { ...A, namespace: 'query', operation: 'evictions' }, 594),
        counter(C.cacheOperations, { ...B, namespace: 'query', operation: 'hits' }, 5000),
        ...up,
      ],
      noData: cacheOps([0, 0, 0, 0]).filter((s) => !s.series.includes('evictions')),
      expected: [{ labels: { ...A }, value: 10.5 }],
    },
    // P95 over both instances' buckets: rank 114 of 120 lies in a's bucket (1, 2.5]: 1 + 1.5 * 94/100.
    HighToolSelectionLatency: quantileScenario(C.toolSelectionDuration, 2, 0.8, 0.3, 2.41 / selectionUnit),
    CriticalToolSelectionLatency: quantileScenario(C.toolSelectionDuration, 7, 4, 0.3, 9.7 / selectionUnit),
    HighToolSelectionMissRate: {
      start: 1,
      fire: selections([20, 70, 9, 1]),
      below: selections([1, 9, 31, 59]),
      noData: selections([0, 0, 0, 0]),
      expected: [{ labels: {}, value: 0.71 }],
    },
    HighMemoryUsage: gaugeAbove(C.systemMemoryBytes, 1.5 * GiB, GiB - 1024 ** 2),
    CriticalMemoryUsage: gaugeAbove(C.systemMemoryBytes, 2.5 * GiB, 2 * GiB - 1024 ** 2),
    HighCPUUsage: cpuAbove(85.5, 79.9),
    CriticalCPUUsage: cpuAbove(96.2, 94.9),
    HighThreadCount: gaugeAbove(C.systemThreads, 101, 100),
    // Info: a process 2 minutes old; at exactly the threshold (600 s) it no longer counts as just started.
    ProcessStarted: {
      start: 0,
      // Not perInstance: its `up` series are uptimes themselves.
      fire: [gauge(C.systemUptime, A, 120), gauge(C.systemUptime, B, 3600)],
      below: [gauge(C.systemUptime, A, 600), gauge(C.systemUptime, B, 3600)],
      noData: [],
      expected: [{ labels: { ...A }, value: 120 }],
    },
    // Info: start-up in ms, alerted on in seconds.
    SlowStartup: {
      ...gaugeAbove(C.bootstrapStartup, 45000, 30000),
      expected: [{ labels: { ...A }, value: 45 }],
    },
    HighToolExecutionLatency: quantileScenario(C.toolExecutionDuration, 2000, 900, 30, 2.41),
    CriticalToolExecutionLatency: quantileScenario(C.toolExecutionDuration, 7000, 4000, 30, 9.7),
    HighToolErrorRate: errorRate([179, 11, 10, 0], [9, 1, 182, 8], 0.055),
    CriticalToolErrorRate: errorRate([158, 32, 10, 0], [5, 5, 166, 24], 0.16),
    UnhealthyProviders: {
      start: 0,
      // A half-open circuit (0.5, being probed after an outage) on one replica is enough to fire.
      fire: [
        ...perInstance(C.providerHealth, 0.5, 1, { provider: 'openai' }),
        ...perInstance(C.providerHealth, 1, 1, { provider: 'anthropic' }),
      ],
      below: [
        ...perInstance(C.providerHealth, 1, 1, { provider: 'openai' }),
        ...perInstance(C.providerHealth, 1, 1, { provider: 'anthropic' }),
      ],
      noData: up,
      expected: [{ labels: { provider: 'openai' }, value: 0.5 }],
    },
    // 22/200 fires (instance ratios 0.12 and 0); 19/200 does not although a alone fails half its requests.
    HighProviderFailureRate: {
      start: 1,
      fire: provider(180, 22, 20),
      below: provider(20, 10, 180)
        .filter((s) => !s.series.includes('b:8000'))
        .concat(
          counter(C.providerRequests, { ...B, provider: 'openai' }, 180),
          counter(C.providerErrors, { ...B, provider: 'openai', type: 'other' }, 9),
        ),
      noData: provider(0, 0, 0),
      expected: [{ labels: { provider: 'openai' }, value: 0.11 }],
    },
    CriticalProviderFailureRate: {
      start: 1,
      fire: provider(180, 62, 20),
      below: provider(20, 19, 180)
        .filter((s) => !s.series.includes('b:8000'))
        .concat(
          counter(C.providerRequests, { ...B, provider: 'openai' }, 180),
          counter(C.providerErrors, { ...B, provider: 'openai', type: 'other' }, 39),
        ),
      noData: provider(0, 0, 0),
      expected: [{ labels: { provider: 'openai' }, value: 0.31 }],
    },
    HighProviderLatency: quantileScenario(
      C.providerLatency,
      15000,
      8000,
      400,
      19.4,
      { provider: 'openai' },
      { provider: 'openai' },
    ),
    // Time to first chunk, buckets ... 3000, 5000, 7500, 10000: rank 114 of 120 lies in a's bucket, 94 % of
    // the way: 7500 + 0.94 * 2500 = 9850 ms fires; 3000 + 0.94 * 2000 = 4880 ms does not.
    HighTimeToFirstToken: quantileScenario(
      C.providerTimeToFirstChunk,
      8000,
      4000,
      400,
      9.85,
      { provider: 'openai' },
      { provider: 'openai' },
    ),
    // 12 rate-limited of 200 requests (instance ratios 0.067 and 0) fires; 9 of 200 does not although a alone
    // is refused 45 % of the time. Timeouts are errors but not rate limits: they never count.
    ProviderRateLimited: {
      start: 1,
      fire: rateLimits(180, 12, 20),
      below: rateLimits(20, 9, 180),
      noData: rateLimits(0, 0, 0),
      expected: [{ labels: { provider: 'openai' }, value: 0.06 }],
    },
    // score = 40 h + 30 (1 - e) + 5 (CPU) + 5 (memory) + 8 (latency): h 0.5, e 0.2 -> 62; h 0.7, e 0.1 -> 73.
    PerformanceDegraded: {
      start: 1,
      fire: health([10, 30, 40, 20], [20, 20, 60, 0]),
      below: health([30, 10, 40, 20], [30, 10, 60, 0]),
      noData: quiet,
      expected: [{ labels: {}, value: 62 }],
    },
    // h 0.1, e 0.5 -> 37; h 0.4, e 0.3 -> 55.
    PerformanceCritical: {
      start: 1,
      fire: health([2, 38, 8, 52], [10, 30, 40, 20]),
      below: health([10, 30, 30, 30], [20, 20, 50, 10]),
      noData: [],
      expected: [{ labels: {}, value: 37 }],
    },
  };

  const alerts = buildAlerts(config);
  const tests: object[] = [];
  const at = (minutes: number): string => `${Math.round(minutes * 60)}s`;
  for (const a of alerts) {
    const s = scenarios[a.alert];
    if (!s) continue;
    const forMin = durationSeconds(a.for) / 60;
    const fireAt = s.start + forMin;
    tests.push({
      name: `${a.alert}: fires after ${a.for}, not one minute before`,
      interval: '1m',
      input_series: s.fire,
      alert_rule_test: [
        { eval_time: at(fireAt - 1), alertname: a.alert, exp_alerts: [] },
        { eval_time: at(fireAt), alertname: a.alert, exp_alerts: s.expected.map((e) => expectedAlert(a, e)) },
      ],
    });
    tests.push({
      name: `${a.alert}: silent just below the threshold`,
      interval: '1m',
      input_series: s.below,
      alert_rule_test: [{ eval_time: at(fireAt + 5), alertname: a.alert, exp_alerts: [] }],
    });
    tests.push({
      name: `${a.alert}: silent with no data`,
      interval: '1m',
      input_series: s.noData,
      alert_rule_test: [{ eval_time: at(fireAt + 5), alertname: a.alert, exp_alerts: [] }],
    });
  }

  // Cluster mode (victor-perf/cluster): one target serves a system gauge per process plus their
  // `process="total"` sum. Per-process alerts see each process, never the total, next to a single-process
  // target (b) that has no `process` label at all.
  const processes = (spec: MetricSpec, one: number, two: number, total: number): InputSeries[] => [
    gauge(spec, { ...A, process: 'worker-1' }, one),
    gauge(spec, { ...A, process: 'worker-2' }, two),
    gauge(spec, { ...A, process: 'total' }, total),
  ];
  // In base units CPU is a counter, which the primary sums over processes (no per-process series).
  const perProcessAlerts: Record<string, MetricSpec> = {
    HighMemoryUsage: C.systemMemoryBytes,
    CriticalMemoryUsage: C.systemMemoryBytes,
    ...(base ? {} : { HighCPUUsage: C.systemCpuPercent, CriticalCPUUsage: C.systemCpuPercent }),
    HighThreadCount: C.systemThreads,
  };
  for (const a of alerts) {
    const spec = perProcessAlerts[a.alert];
    if (!spec) continue;
    const fireAt = durationSeconds(a.for) / 60;
    const fire = scenarios[a.alert]!.expected[0]!.value;
    const low = 0.6 * a.threshold;
    const single = gauge(spec, B, low);
    tests.push({
      name: `${a.alert}: cluster mode, fires for the process above the threshold and not for the total`,
      interval: '1m',
      input_series: [...processes(spec, fire, low, fire + low), single, ...up],
      alert_rule_test: [
        {
          eval_time: at(fireAt),
          alertname: a.alert,
          exp_alerts: [expectedAlert(a, { labels: { ...A, process: 'worker-1' }, value: fire })],
        },
      ],
    });
    tests.push({
      name: `${a.alert}: cluster mode, silent when only the total of the processes is above`,
      interval: '1m',
      input_series: [...processes(spec, low, low, 2 * low), single, ...up],
      alert_rule_test: [{ eval_time: at(fireAt + 5), alertname: a.alert, exp_alerts: [] }],
    });
  }
  {
    // Both workers just started: one alert each, none for their total (the oldest uptime, also recent).
    const a = alerts.find((x) => x.alert === 'ProcessStarted')!;
    tests.push({
      name: 'ProcessStarted: cluster mode, one alert per started process and none for the total',
      interval: '1m',
      input_series: [...processes(C.systemUptime, 120, 60, 120), gauge(C.systemUptime, B, 3600)],
      alert_rule_test: [
        {
          eval_time: at(durationSeconds(a.for) / 60),
          alertname: a.alert,
          exp_alerts: [
            expectedAlert(a, { labels: { ...A, process: 'worker-1' }, value: 120 }),
            expectedAlert(a, { labels: { ...A, process: 'worker-2' }, value: 60 }),
          ],
        },
      ],
    });
  }

  function expectedAlert(a: AlertSpec, e: { labels: Labels; value: number }): object {
    const exprLabels = { ...job, ...e.labels };
    return {
      exp_labels: { ...exprLabels, severity: a.severity, component: a.component, family: a.family },
      exp_annotations: {
        summary: renderTemplate(a.summary, exprLabels, e.value),
        description: renderTemplate(a.description, exprLabels, e.value),
        runbook_url: runbookUrl(config, a.alert),
      },
    };
  }

  // Recording rules: values on known inputs, aggregated over both instances.
  const jobLabels = (labels: Labels = {}): string =>
    `{${Object.entries({ ...job, ...labels })
      .map(([k, v]) => `${k}="${v}"`)
      .join(', ')}}`;
  const score = healthScoreName(config);
  // promtool 2.42 compares sample values exactly; the weighted sum carries float noise (62.000000000000014).
  const rounded = `round(${score}, 0.001)`;
  /** `value` in the description's units; in base units the recorded P95 is in seconds. */
  const p95 = (
    rec: string,
    spec: MetricSpec,
    input: InputSeries[],
    value: number,
    labels: Labels = {},
  ): object => ({
    name: `${rec} on two instances`,
    interval: '1m',
    input_series: input,
    promql_expr_test: [
      divisor(spec) === 1
        ? { expr: rec, eval_time: '10m', exp_samples: [{ labels: rec + jobLabels(labels), value }] }
        : {
            // Interpolated within scaled buckets, the quantile carries float noise: compare in milliseconds.
            expr: `round(${rec} * ${divisor(spec)}, 0.000001)`,
            eval_time: '10m',
            exp_samples: [{ labels: jobLabels(labels), value }],
          },
    ],
  });
  const recordTests = [
    p95(
      recordName(config, 'job', C.toolSelectionDuration, 'p95'),
      C.toolSelectionDuration,
      latency(C.toolSelectionDuration, {}, 2, 0.3),
      2.41,
    ),
    p95(
      recordName(config, 'job', C.toolExecutionDuration, 'p95'),
      C.toolExecutionDuration,
      latency(C.toolExecutionDuration, {}, 2000, 30),
      2410,
    ),
    p95(
      recordName(config, 'job_provider', C.providerLatency, 'p95'),
      C.providerLatency,
      latency(C.providerLatency, { provider: 'openai' }, 15000, 400),
      19400,
      { provider: 'openai' },
    ),
    {
      name: `${score} on known inputs`,
      interval: '1m',
      input_series: health([10, 30, 40, 20], [20, 20, 60, 0]),
      promql_expr_test: [
        // Minute 0: no rate yet, cache/tool/latency terms count as healthy: 40 + 30 + 5 + 5 + 10 (in base
        // units CPU is a rate too, so its term counts as healthy as well: 10 instead of 5).
        { expr: rounded, eval_time: '0m', exp_samples: [{ labels: jobLabels(), value: base ? 95 : 90 }] },
        { expr: rounded, eval_time: '10m', exp_samples: [{ labels: jobLabels(), value: 62 }] },
      ],
    },
    {
      // The same CPU (avg 50 %) and memory (avg 1 GiB) from two processes of one cluster-mode target, whose
      // `process="total"` series must not count as a third process; the score is the same.
      name: `${score} in cluster mode, per process and not on the total`,
      interval: '1m',
      input_series: [
        ...health([10, 30, 40, 20], [20, 20, 60, 0]).filter((s) => !/_system_/.test(s.series)),
        // Base units: the CPU seconds counter is summed over the processes (one core in all), so the CPU
        // term is 0 there, and healthy at minute 0 before its rate exists.
        ...(base ? [cpu(A, 100)] : processes(C.systemCpuPercent, 40, 60, 100)),
        ...processes(C.systemMemoryBytes, 0.5 * GiB, 1.5 * GiB, 2 * GiB),
        ...processes(C.systemUptime, 3600, 3000, 3600),
      ],
      promql_expr_test: [
        { expr: rounded, eval_time: '0m', exp_samples: [{ labels: jobLabels(), value: base ? 95 : 90 }] },
        { expr: rounded, eval_time: '10m', exp_samples: [{ labels: jobLabels(), value: base ? 57 : 62 }] },
      ],
    },
    {
      name: `${score} has a value before any lookup or execution`,
      interval: '1m',
      input_series: [
        ...quiet,
        ...health([0, 0, 0, 0], [0, 0, 0, 0]).filter((s) => /cpu|memory/.test(s.series)),
      ],
      promql_expr_test: [
        { expr: rounded, eval_time: '10m', exp_samples: [{ labels: jobLabels(), value: 90 }] },
      ],
    },
    {
      name: `${score} is absent without the job`,
      interval: '1m',
      input_series: [],
      promql_expr_test: [{ expr: score, eval_time: '10m', exp_samples: [] }],
    },
  ];
  const cluster = clusterRuleTests(config);
  const covered = [
    ...alerts.filter((a) => scenarios[a.alert]).map((a) => a.alert),
    ...recordTests.map((t) => (t as { name: string }).name.split(' ')[0] as string),
    ...cluster.covered,
  ];
  return {
    yaml: {
      rule_files: [ruleFile],
      evaluation_interval: '1m',
      tests: [...tests, ...recordTests, ...cluster.tests],
    },
    covered,
  };
}
