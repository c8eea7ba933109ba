/**
 * Custom metrics end to end: declared on a real collector, exported (promtool check metrics), summarised in the
 * JSON, then listed in the monitoring config and generated into a Grafana panel and alert rules that parse with
 * the PromQL parser, pass `promtool check rules`, and fire in `promtool test rules` on series shaped like the
 * exposition the collector produced.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from 'victor-perf';
import { parseExposition } from '../../src/metrics/parse.ts';
import { buildAlerts } from '../../src/monitoring/alerts.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  MonitoringConfigError,
  resolveMonitoringConfig,
} from '../../src/monitoring/config.ts';
import { buildDashboard, interpolateQuery } from '../../src/monitoring/dashboard.ts';
import { buildRuleFile, renderRuleFile } from '../../src/monitoring/rules.ts';
import { parse as parseYaml } from 'yaml';
import { analysePromQL, promtoolTestRules, renderTemplate, run, withTempDir } from './helpers.ts';

const CUSTOM = [
  {
    metric: 'agent_plan_duration_ms',
    type: 'histogram',
    labels: ['planner'],
    quantile: 0.95,
    panel: { kind: 'timeseries', title: 'Plan duration P95', unit: 'ms' },
    alerts: [{ name: 'SlowPlanning', threshold: 500, comparison: '>', for: '5m', severity: 'warning' }],
  },
  {
    metric: 'agent_plan_failures_total',
    type: 'counter',
    labels: ['planner'],
    panel: { title: 'Plan failures', unit: 'ops' },
    alerts: [
      {
        name: 'PlanFailures',
        threshold: 0.1,
        comparison: '>',
        for: '2m',
        severity: 'critical',
        runbookUrl: 'https://runbooks.example.com/plan-failures',
      },
    ],
  },
];
const config = resolveMonitoringConfig({ custom: CUSTOM });

const analyse = analysePromQL;

function recorded() {
  const collector = new PerformanceMetricsCollector();
  const planMs = collector.histogram({
    name: 'agent_plan_duration_ms',
    help: 'Time to make a plan.',
    unit: 'milliseconds',
    labels: ['planner'],
    buckets: [10, 100, 1000, 5000],
  });
  const failures = collector.counter({
    name: 'agent_plan_failures_total',
    help: 'Plans that failed.',
    labels: ['planner'],
  });
  planMs.labels({ planner: 'search' }).observe(42);
  planMs.labels({ planner: 'search' }).observe(700);
  failures.labels({ planner: 'search' }).inc(3);
  return collector;
}

describe('custom metrics in the monitoring config', () => {
  it('custom metric -> exposition -> JSON -> generated panel and rules checked by promtool and the parser', async () => {
    const collector = recorded();

    // Exposition: promtool accepts it.
    const text = collector.exportPrometheus();
    expect(text).toContain('victor_agent_plan_duration_ms_bucket{planner="search",le="1000"} 2\n');
    expect(text).toContain('victor_agent_plan_failures_total{planner="search"} 3\n');
    const metrics = await withTempDir(async (dir) => {
      await writeFile(join(dir, 'metrics.txt'), text);
      return run('sh', ['-c', 'promtool check metrics < metrics.txt'], dir);
    });
    const complaints = (metrics.stdout + metrics.stderr)
      .split('\n')
      .filter((l) => l.trim() !== '' && !/abbreviated units$/.test(l));
    expect(complaints).toEqual([]);

    // JSON summary.
    const { custom } = collector.getAllMetrics();
    expect(custom.agent_plan_duration_ms?.series).toEqual([
      {
        labels: { planner: 'search' },
        count: 2,
        sum: 742,
        buckets: { '10': 0, '100': 1, '1000': 2, '5000': 2, '+Inf': 2 },
      },
    ]);
    expect(custom.agent_plan_failures_total?.series).toEqual([{ labels: { planner: 'search' }, value: 3 }]);

    // Dashboard: a Custom row with one panel per entry, whose queries parse and select the exported series.
    const exported = new Set(parseExposition(text).flatMap((f) => f.samples.map((s) => s.name)));
    const panels = buildDashboard(config).panels;
    const rowAt = panels.findIndex((p) => p.type === 'row' && p.title === 'Custom');
    expect(rowAt).toBe(panels.length - 3);
    const customPanels = panels.slice(rowAt + 1);
    expect(customPanels.map((p) => [p.title, p.type, p.fieldConfig?.defaults.unit])).toEqual([
      ['Plan duration P95', 'timeseries', 'ms'],
      ['Plan failures', 'timeseries', 'ops'],
    ]);
    for (const p of customPanels) {
      for (const t of p.targets ?? []) {
        const { errors, metrics: used } = analyse(interpolateQuery(t.expr));
        expect(errors, t.expr).toEqual([]);
        expect(used.length).toBeGreaterThan(0);
        for (const m of used) expect(exported.has(m), `${p.title} selects ${m}`).toBe(true);
      }
    }
    expect(customPanels[0]?.targets?.[0]?.expr).toContain('histogram_quantile(0.95');

    // Rules: the custom group parses, and promtool checks the whole file.
    const group = buildRuleFile(config).groups.find((g) => g.name === 'victor_performance_custom');
    expect(group?.rules.map((r) => ('alert' in r ? r.alert : r.record))).toEqual([
      'SlowPlanning',
      'PlanFailures',
    ]);
    for (const r of group?.rules ?? []) {
      const { errors, metrics: used } = analyse(r.expr);
      expect(errors, r.expr).toEqual([]);
      for (const m of used) expect(exported.has(m), `${r.expr} selects ${m}`).toBe(true);
    }
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'rules.yml'), renderRuleFile(config));
      const r = await run('promtool', ['check', 'rules', 'rules.yml'], dir);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/SUCCESS: \d+ rules found/);
    });
  });

  it('the custom alerts fire in promtool test rules on series shaped like the exposition', async () => {
    const text = recorded().exportPrometheus();
    const job = { job: 'victor-perf' };
    const fmt = (name: string, labels: Record<string, string>): string =>
      `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(', ')}}`;
    // Two replicas; each makes 60 plans a minute taking 700 ms (the 1000 ms bucket and above grow) and fails
    // 30 of them. P95 of both together: 100 + 900 * 0.95 = 955 ms; failures 2 x 0.5/s = 1/s.
    const input = parseExposition(text)
      .flatMap((f) => f.samples)
      .filter((s) => s.name.endsWith('_bucket') || s.name.endsWith('_failures_total'))
      .flatMap((s) =>
        ['a:8000', 'b:8000'].map((instance) => {
          const perMinute = s.name.endsWith('_total') ? 30 : Number(s.labels.le) >= 1000 ? 60 : 0;
          return { series: fmt(s.name, { ...job, instance, ...s.labels }), values: `0+${perMinute}x30` };
        }),
      );
    expect(input).toHaveLength(2 * (5 + 1));

    const alerts = buildAlerts(config).filter((a) => a.group === 'victor_performance_custom');
    const exprLabels = { ...job, planner: 'search' };
    const expected = (name: string, value: number, runbook?: string) => {
      const a = alerts.find((x) => x.alert === name)!;
      return {
        exp_labels: { ...exprLabels, severity: a.severity, component: 'custom', family: name },
        exp_annotations: {
          summary: renderTemplate(a.summary, exprLabels, value),
          description: renderTemplate(a.description, exprLabels, value),
          ...(runbook ? { runbook_url: runbook } : {}),
        },
      };
    };
    const tests = [
      {
        interval: '1m',
        input_series: input,
        alert_rule_test: [
          // rate() needs two samples: the condition holds from minute 1, fires after `for`.
          { eval_time: '5m', alertname: 'SlowPlanning', exp_alerts: [] },
          { eval_time: '7m', alertname: 'SlowPlanning', exp_alerts: [expected('SlowPlanning', 955)] },
          { eval_time: '2m', alertname: 'PlanFailures', exp_alerts: [] },
          {
            // A full rate window (5m) of samples: no extrapolation at the window's start.
            eval_time: '8m',
            alertname: 'PlanFailures',
            exp_alerts: [expected('PlanFailures', 1, 'https://runbooks.example.com/plan-failures')],
          },
        ],
      },
    ];
    expect(expected('SlowPlanning', 955).exp_annotations.description).toBe(
      'The P95 of agent_plan_duration_ms (planner=search) on victor-perf is 955.00, above the threshold of 500 for 5m.',
    );
    const r = await promtoolTestRules(config, tests);
    expect(r.code, r.out).toBe(0);
  }, 60_000);

  it('the default config has no custom row or group', () => {
    expect(DEFAULT_MONITORING_CONFIG.custom).toEqual([]);
    expect(buildDashboard(DEFAULT_MONITORING_CONFIG).panels.some((p) => p.title === 'Custom')).toBe(false);
    expect(
      buildRuleFile(DEFAULT_MONITORING_CONFIG).groups.some((g) => g.name === 'victor_performance_custom'),
    ).toBe(false);
  });

  it('a gauge is drawn at its highest replica and alerts on its lowest for a lower bound', () => {
    const gauge = resolveMonitoringConfig({
      custom: [
        {
          metric: 'agent_workers_idle',
          type: 'gauge',
          panel: { kind: 'stat', title: 'Idle workers' },
          alerts: [{ name: 'NoIdleWorkers', threshold: 1, comparison: '<', for: '10m', severity: 'info' }],
        },
      ],
    });
    const panel = buildDashboard(gauge).panels.at(-1)!;
    expect([panel.type, panel.fieldConfig?.defaults.unit]).toEqual(['stat', 'short']);
    expect(panel.targets?.[0]?.expr).toMatch(/^max by \(\) ?\(victor_agent_workers_idle\{job="victor-perf"/);
    const [alert] = buildAlerts(gauge).filter((a) => a.component === 'custom');
    expect(alert?.expr).toBe(
      'min without (instance, pod) (victor_agent_workers_idle{job="victor-perf"}) < 1',
    );
    for (const expr of [panel.targets![0]!.expr, alert!.expr]) {
      expect(analyse(interpolateQuery(expr)).errors).toEqual([]);
    }
  });

  it("README's config snippet resolves and generates its panels and alert", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Custom metrics\n'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));
    expect(yaml).not.toBeNull();
    const fromReadme = resolveMonitoringConfig(parseYaml(yaml![1]!));
    const titles = buildDashboard(fromReadme)
      .panels.slice(-3)
      .map((p) => p.title);
    expect(titles).toEqual(['Custom', 'Plan duration P95', 'Plans per second']);
    expect(
      buildAlerts(fromReadme)
        .filter((a) => a.component === 'custom')
        .map((a) => a.alert),
    ).toEqual(['SlowPlanning']);
  });

  it('refuses bad entries with the key and the reason', () => {
    const bad = (entry: object, message: RegExp): void => {
      const custom = [{ ...CUSTOM[1], ...entry }];
      expect(() => resolveMonitoringConfig({ custom })).toThrow(MonitoringConfigError);
      expect(() => resolveMonitoringConfig({ custom })).toThrow(message);
    };
    bad({ metric: 'tool_duration_ms' }, /custom\[0\]\.metric: tool_duration_ms is a catalog metric/);
    bad({ metric: '1bad' }, /custom\[0\]\.metric: invalid metric name/);
    bad({ type: 'summary' }, /custom\[0\]\.type: expected counter, gauge or histogram/);
    bad({ labels: ['le'] }, /custom\[0\]\.labels/);
    bad({ quantile: 0.9 }, /custom\[0\]\.quantile: only histograms/);
    bad({ panel: { title: '' } }, /custom\[0\]\.panel\.title/);
    bad({ panel: { title: 'x', kind: 'pie' } }, /custom\[0\]\.panel\.kind: expected one of/);
    bad({ colour: 'red' }, /custom\[0\]\.colour: unknown key/);
    const alert = { name: 'X', threshold: 1, comparison: '>', for: '5m', severity: 'warning' };
    bad({ alerts: [{ ...alert, for: '5 minutes' }] }, /custom\[0\]\.alerts\[0\]\.for: invalid duration/);
    bad({ alerts: [{ ...alert, comparison: '>=' }] }, /alerts\[0\]\.comparison: expected ">" or "<"/);
    bad({ alerts: [{ ...alert, severity: 'page' }] }, /alerts\[0\]\.severity/);
    bad({ alerts: [{ ...alert, threshold: '1' }] }, /alerts\[0\]\.threshold: expected a finite number/);
    bad(
      { alerts: [{ ...alert, name: 'HighCPUUsage' }] },
      /alerts\[0\]\.name: HighCPUUsage is a built-in alert/,
    );
    bad({ alerts: [alert, alert] }, /alerts\[1\]\.name: X is used twice/);
    expect(() => resolveMonitoringConfig({ custom: [CUSTOM[0], CUSTOM[0]] })).toThrow(/listed twice/);
    expect(() => resolveMonitoringConfig({ custom: {} })).toThrow(/custom: expected a list/);
  });
});
