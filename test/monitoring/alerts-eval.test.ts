/**
 * `victor-perf alerts eval`: the alert rules evaluated offline on a promtool test file, printed like
 * Prometheus' alerts API. (The differential test proves the evaluation equal to promtool's.)
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { formatValue } from '../../src/monitoring/alerts-eval.ts';
import { toYaml } from '../../src/monitoring/yaml.ts';
import { runCaptured } from '../cli/helpers.ts';
import { withTempDir } from './helpers.ts';

const cli = runCaptured;

// CPU of a at 85.5 % (HighCPUUsage: > 80 for 10m), b at 99 % from minute 3 (CriticalCPUUsage: > 95 for 5m).
const testFile = {
  rule_files: ['rules.yml'],
  evaluation_interval: '1m',
  tests: [
    {
      interval: '1m',
      input_series: [
        { series: 'victor_system_cpu_percent{job="victor-perf", instance="a:8000"}', values: '85.5x30' },
        { series: 'victor_system_cpu_percent{job="victor-perf", instance="b:8000"}', values: '10x2 99x30' },
      ],
    },
    { interval: '1m', input_series: [] },
  ],
};

interface Listed {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: string;
  activeAt: string;
  value: string;
}

async function evalAt(at: string, extra: string[] = [], file: object = testFile): Promise<Listed[]> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'tests.yml'), toYaml(file));
    const r = await cli(['alerts', 'eval', '--input', join(dir, 'tests.yml'), '--at', at, ...extra]);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as Listed[];
  });
}

const summary = (alerts: Listed[]): string[] =>
  alerts.map((a) => `${a.labels.alertname} ${a.labels.instance} ${a.state}`).sort();

describe('victor-perf alerts eval', () => {
  it('lists pending, then firing alerts with their labels, annotations and value', async () => {
    expect(summary(await evalAt('4m'))).toEqual([
      'CriticalCPUUsage b:8000 pending',
      'HighCPUUsage a:8000 pending',
      'HighCPUUsage b:8000 pending',
    ]);
    const at8 = await evalAt('8m');
    expect(summary(at8)).toEqual([
      'CriticalCPUUsage b:8000 firing',
      'HighCPUUsage a:8000 pending',
      'HighCPUUsage b:8000 pending',
    ]);
    expect(summary(await evalAt('10m'))).toEqual([
      'CriticalCPUUsage b:8000 firing',
      'HighCPUUsage a:8000 firing',
      'HighCPUUsage b:8000 pending',
    ]);
    const critical = at8.find((a) => a.labels.alertname === 'CriticalCPUUsage')!;
    expect(critical).toEqual({
      labels: {
        alertname: 'CriticalCPUUsage',
        job: 'victor-perf',
        instance: 'b:8000',
        severity: 'critical',
        component: 'system',
        family: 'CPUUsage',
      },
      annotations: {
        summary: 'High CPU usage on b:8000',
        description: 'The CPU usage of b:8000 is 99.0%, above the threshold of 95% for 5m.',
        runbook_url: `${DEFAULT_MONITORING_CONFIG.runbookBaseUrl}#criticalcpuusage`,
      },
      state: 'firing',
      activeAt: '1970-01-01T00:03:00.000Z',
      value: '9.9e+01',
    });
    expect(await evalAt('0s', [], { tests: [{ input_series: [] }] })).toEqual([]);
  });

  it('follows --config: a higher threshold and a shorter for', async () => {
    const alerts = await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'config.yml'),
        toYaml({ thresholds: { cpuPercent: { warning: { threshold: 90, for: '1m' } } } }),
      );
      return evalAt('5m', ['--config', join(dir, 'config.yml')]);
    });
    expect(summary(alerts)).toEqual(['CriticalCPUUsage b:8000 pending', 'HighCPUUsage b:8000 firing']);
  });

  it('reports bad input with exit code 1 and bad usage with exit code 2', async () => {
    expect((await cli(['alerts', 'eval', '--at', '1m'])).code).toBe(2);
    expect((await cli(['alerts', 'eval', '--input', 'x.yml'])).err).toContain('--at');
    expect((await cli(['alerts', 'frobnicate'])).code).toBe(2);
    const missing = await cli(['alerts', 'eval', '--input', '/nonexistent/t.yml', '--at', '1m']);
    expect([missing.code, missing.err]).toEqual([
      1,
      expect.stringContaining('cannot read /nonexistent/t.yml') as string,
    ]);
    await withTempDir(async (dir) => {
      const file = join(dir, 't.yml');
      await writeFile(file, toYaml({ tests: [{ input_series: [{ series: 'x{', values: '1' }] }] }));
      const bad = await cli(['alerts', 'eval', '--input', file, '--at', '1m']);
      expect([bad.code, bad.err]).toEqual([1, expect.stringContaining('invalid series') as string]);
      const at = await cli(['alerts', 'eval', '--input', file, '--at', 'soon']);
      expect(at.err).toContain('--at must be a duration');
    });
    expect((await cli(['alerts', '--help'])).out).toContain('Usage: victor-perf alerts eval');
  });

  it('formats values as the alerts API does (Go strconv e, shortest)', () => {
    expect([formatValue(0.35), formatValue(62), formatValue(1e-7), formatValue(NaN)]).toEqual([
      '3.5e-01',
      '6.2e+01',
      '1e-07',
      'NaN',
    ]);
  });
});

describe('--alert-webhook', () => {
  it('takes repeated http(s) URLs for serve and demo, and refuses others', async () => {
    const { parseServeArgs, parseDemoArgs, UsageError } = await import('../../src/cli/args.ts');
    const args = parseServeArgs(
      ['--alert-webhook', 'http://127.0.0.1:9/', '--alert-webhook', 'https://h/x'],
      {},
    );
    expect(args !== 'help' && args.alertWebhooks).toEqual(['http://127.0.0.1:9/', 'https://h/x']);
    const demo = parseDemoArgs([], {});
    expect(demo !== 'help' && demo.alertWebhooks).toEqual([]);
    expect(() => parseServeArgs(['--alert-webhook', 'ftp://h/'], {})).toThrow(UsageError);
    expect(() =>
      parseServeArgs(['--alert-webhook', 'http://h/', '--prometheus-url', 'http://p:9090'], {}),
    ).toThrow(/Alertmanager does/);
  });
});
