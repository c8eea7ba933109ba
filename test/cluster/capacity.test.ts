/**
 * `victor-perf capacity`: the per-metric series it predicts equal what real components expose for the same
 * numbers of tools and providers (caps included), and the totals follow from the rows.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { capacity } from '../../src/cluster/capacity.ts';
import { perClusterSeries } from '../../src/cli/capacity.ts';
import { run, type CliIO } from '../../src/cli/main.ts';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { promtoolTestRules } from '../monitoring/helpers.ts';
import { BOOTSTRAP_PHASES } from '../../src/metrics/catalog.ts';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';

/** Sample lines per family (histogram lines counted under the family name). */
function seriesPerFamily(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let family = '';
  for (const line of text.split('\n')) {
    const m = /^# TYPE victor_(\S+) /.exec(line);
    if (m) family = m[1]!;
    else if (line !== '' && !line.startsWith('#')) out.set(family, (out.get(family) ?? 0) + 1);
  }
  return out;
}

function collectorText(tools: number, providers: number, maxSeries?: number): string {
  const t = new ToolExecutionMonitor(maxSeries ? { maxSeries } : {});
  const p = new ProviderPoolMonitor(maxSeries ? { maxSeries } : {});
  const b = new BootstrapMonitor();
  for (let i = 0; i < tools; i++) t.record(`tool_${i}`, 5, i % 2 === 0);
  for (let i = 0; i < providers; i++) p.record(`provider_${i}`, 50, 'success');
  for (const phase of BOOTSTRAP_PHASES) b.recordPhase(phase, 10);
  const c = new PerformanceMetricsCollector()
    .registerToolExecution(t)
    .registerProviderPool(p)
    .registerBootstrap(b);
  return c.exportPrometheus();
}

function exposed(tools: number, providers: number, maxSeries?: number): Map<string, number> {
  return seriesPerFamily(collectorText(tools, providers, maxSeries));
}

const COMPARED = [
  'tool_executions_total',
  'tool_execution_duration_ms',
  'provider_health',
  'provider_requests_total',
  'provider_errors_total',
  'provider_latency_ms',
  'bootstrap_phase_duration_ms',
];

describe('capacity', () => {
  it.each([
    [7, 3, undefined],
    [12, 5, 8], // past the cap: tools and providers fold into one overflow series each
  ])(
    'predicts the series real components expose (%i tools, %i providers, cap %s)',
    (tools, providers, cap) => {
      const seen = exposed(tools, providers, cap);
      const predicted = capacity({ processes: 1, tools, providers, ...(cap ? { maxSeries: cap } : {}) });
      for (const name of COMPARED) {
        expect(predicted.rows.find((r) => r.metric === name)?.perProcess, name).toBe(seen.get(name));
      }
    },
  );

  it('totals: one by one is N times a process; aggregated keeps one copy of counters and histograms', () => {
    const one = capacity({ processes: 1 });
    const many = capacity({ processes: 16, scrapeIntervalSeconds: 30 });
    expect(many.perProcess).toBe(one.perProcess);
    expect(many.separate.series).toBe(16 * many.perProcess);
    expect(many.separate.samplesPerSecond).toBeCloseTo((16 * many.perProcess) / 30, 9);
    expect(many.aggregated.series).toBe(many.rows.reduce((a, r) => a + r.aggregated, 0));
    const counters = (c: typeof one): number =>
      c.rows.filter((r) => r.type !== 'gauge' && r.perProcess > 0).reduce((a, r) => a + r.aggregated, 0);
    expect(counters(many)).toBe(counters(one));
    const memory = many.rows.find((r) => r.metric === 'system_memory_bytes')!;
    expect(memory.aggregated).toBe(17); // 16 processes and their total
    expect(many.aggregated.series).toBeLessThan(many.separate.series);
  });

  it('rejects bad numbers with the value in the message', () => {
    expect(() => capacity({ processes: 0 })).toThrow(/processes must be a positive integer, got 0/);
    expect(() => capacity({ processes: 2, tools: 1.5 })).toThrow(/tools must be a positive integer, got 1.5/);
  });

  it('runs as a command, in text and JSON', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const io = {
      out: (l: string) => lines.push(l),
      err: (l: string) => errors.push(l),
      env: {},
    } as unknown as CliIO;
    expect(await run(['capacity', '--processes', '4', '--tools', '20'], io)).toBe(0);
    const c = capacity({ processes: 4, tools: 20 });
    expect(lines.join('\n')).toContain(`${c.separate.series} series`);
    expect(lines.join('\n')).toContain(`${c.aggregated.series} series`);
    const perCluster = perClusterSeries(c).reduce((a, r) => a + r.series, 0);
    expect(lines.at(-1)).toMatch(new RegExp(`^per cluster, .*: ${perCluster} series`));
    lines.length = 0;
    expect(await run(['capacity', '--processes', '4', '--json'], io)).toBe(0);
    expect(JSON.parse(lines.join('\n')).perProcess).toBe(capacity({ processes: 4 }).perProcess);
    expect(await run(['capacity'], io)).toBe(2);
    expect(errors.at(-1)).toMatch(/missing --processes/);
    expect(await run(['capacity', '--processes', 'many'], io)).toBe(2);
    expect(errors.at(-1)).toMatch(/--processes must be a positive number, got "many"/);
  });
});

describe('per-cluster recorded series', () => {
  it('predicts what the rules record in promtool over a real exposition (two instances, one cluster)', async () => {
    const [tools, providers] = [7, 3];
    const text = collectorText(tools, providers);
    // Every sample of the exposition, as two instances of the job, constant for 20 minutes.
    const input = text
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .flatMap((line) => {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)!;
        const labels = m[2] ? `${m[2]},` : '';
        return ['a:1', 'b:1'].map((instance) => ({
          series: `${m[1]}{${labels}job="victor-perf",instance="${instance}"}`,
          values: `${Number(m[3])}x20`,
        }));
      });
    const names = new Set(input.map((s) => s.series.slice(0, s.series.indexOf('{'))));
    const predicted = perClusterSeries(capacity({ processes: 2, tools, providers }));
    // Rules whose input the exposition has (no cache, no errors, no tokens recorded here).
    const checked = predicted.filter((r) => {
      const base = r.record.split(':')[1]!;
      return [base, `${base}_total`, `${base}_bucket`].some((n) => names.has(n));
    });
    expect(checked.length).toBeGreaterThanOrEqual(6);
    const r = await promtoolTestRules(DEFAULT_MONITORING_CONFIG, [
      {
        interval: '1m',
        input_series: input,
        promql_expr_test: checked.map((c) => ({
          expr: `count(${c.record})`,
          eval_time: '10m',
          exp_samples: [{ labels: '{}', value: c.series }],
        })),
      },
    ]);
    expect(r.code, r.out).toBe(0);
  }, 60_000);
});

describe('the README capacity table', () => {
  it('is what `victor-perf capacity --processes 1,4,16,64 --markdown` prints today', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('| processes | series per process |');
    expect(start).toBeGreaterThan(0);
    const table = readme.slice(start).split('\n\n')[0]!;
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: () => {}, env: {} } as unknown as CliIO;
    const args = ['capacity', '--processes', '1,4,16,64', '--markdown'];
    expect(await run(args, io)).toBe(0);
    expect(table, 'README table (regenerate: victor-perf capacity --processes 1,4,16,64 --markdown)').toBe(
      lines.join('\n'),
    );
    // The rows are the figures of the text and JSON outputs.
    const c = capacity({ processes: 16 });
    expect(lines[4]).toContain(`| ${c.separate.series} `);
    expect(lines[4]).toContain(`| ${c.aggregated.series} `);
  });

  it('a list of process counts needs --markdown', async () => {
    const errors: string[] = [];
    const io = { out: () => {}, err: (l: string) => errors.push(l), env: {} } as unknown as CliIO;
    expect(await run(['capacity', '--processes', '1,4'], io)).toBe(2);
    expect(errors.at(-1)).toMatch(/a list needs --markdown/);
    expect(await run(['capacity', '--processes', '1,x', '--markdown'], io)).toBe(2);
    expect(errors.at(-1)).toMatch(/--processes must be a positive number, got "x"/);
  });
});
