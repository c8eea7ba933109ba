import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAlerts } from '../../src/monitoring/alerts.ts';
import { DEFAULT_MONITORING_CONFIG, resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { buildRuleFile, recordedSeries, renderRuleFile } from '../../src/monitoring/rules.ts';
import { toYaml } from '../../src/monitoring/yaml.ts';
import { run, withTempDir } from './helpers.ts';
import { ruleTests } from './rule-scenarios.ts';

const config = DEFAULT_MONITORING_CONFIG;
const baseConfig = resolveMonitoringConfig({ units: 'base' });

async function promtoolTest(cfg = config): Promise<{ code: number; out: string }> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'rules.yml'), renderRuleFile(cfg));
    await writeFile(join(dir, 'tests.yml'), toYaml(ruleTests(cfg, 'rules.yml').yaml));
    const r = await run('promtool', ['test', 'rules', 'tests.yml'], dir);
    return { code: r.code, out: r.stdout + r.stderr };
  });
}

describe.each([
  ['seed', config],
  ['base', baseConfig],
] as const)('alert and recording rules in %s units', (_units, config) => {
  it('pass promtool check rules', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'rules.yml'), renderRuleFile(config));
      const r = await run('promtool', ['check', 'rules', join(dir, 'rules.yml')]);
      expect(r.stdout + r.stderr).toContain('SUCCESS');
      expect(r.code).toBe(0);
    });
  });

  // promtool runs ~170 test groups: far longer than the default test timeout on a busy CI machine.
  it(
    'pass the generated promtool unit tests (fire, before for, below, no data, two instances)',
    { timeout: 180_000 },
    async () => {
      const r = await promtoolTest(config);
      expect(r.out).toContain('SUCCESS');
      expect(r.code, r.out).toBe(0);
    },
  );

  it('have a unit test for every alert and every recording rule', () => {
    const { covered } = ruleTests(config, 'rules.yml');
    const alerts = buildAlerts(config).map((a) => a.alert);
    expect(alerts).toHaveLength(27);
    for (const name of [...alerts, ...recordedSeries(config)]) expect(covered, name).toContain(name);
  });

  it('label and annotate every alert: severity, component, summary, description, runbook_url', () => {
    for (const group of buildRuleFile(config).groups) {
      for (const rule of group.rules) {
        if (!('alert' in rule)) continue;
        expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
        expect(rule.labels.component).toBeTruthy();
        expect(rule.annotations.summary).toBeTruthy();
        expect(rule.annotations.description).toContain('$value');
        expect(rule.annotations.runbook_url).toBe(`${config.runbookBaseUrl}#${rule.alert.toLowerCase()}`);
      }
    }
  });
});

describe('alert and recording rules', () => {
  it('format values by unit: percent for ratios, not for CPU; ms and seconds for latency', () => {
    const byName = new Map(buildAlerts(config).map((a) => [a.alert, a]));
    expect(byName.get('HighCacheMissRate')?.description).toContain('humanizePercentage');
    expect(byName.get('HighCPUUsage')?.description).not.toContain('humanizePercentage');
    expect(byName.get('HighCPUUsage')?.description).toContain('%');
    expect(byName.get('HighToolSelectionLatency')?.description).toContain(' ms');
    expect(byName.get('HighToolExecutionLatency')?.description).toContain('humanizeDuration');
    expect(byName.get('HighMemoryUsage')?.description).toContain('humanize1024');
  });

  it("in base units: seconds names, thresholds converted from the config's milliseconds, CPU from its counter", () => {
    const byName = new Map(buildAlerts(baseConfig).map((a) => [a.alert, a]));
    expect(byName.get('HighToolSelectionLatency')?.expr).toMatch(
      /victor_tool_duration_seconds_bucket.* > 0\.001$/,
    );
    expect(byName.get('HighToolSelectionLatency')?.description).toContain('threshold of 1 ms');
    expect(byName.get('CriticalToolExecutionLatency')?.expr).toMatch(/_seconds_bucket.*\)\) > 5$/);
    expect(byName.get('SlowStartup')?.expr).toBe('victor_bootstrap_startup_seconds{job="victor-perf"} > 30');
    expect(byName.get('HighCPUUsage')?.expr).toBe(
      'rate(victor_system_cpu_seconds_total{job="victor-perf"}[5m]) * 100 > 80',
    );
    const text = renderRuleFile(baseConfig);
    expect(text).not.toMatch(/_ms\b|_ms_|_mb\b|cpu_percent/);
    expect(text).toContain('job:victor_tool_duration_seconds:p95');
  });

  it('keep selection and execution latency on their own histograms and never use min(1, x)', () => {
    const byName = new Map(buildAlerts(config).map((a) => [a.alert, a]));
    expect(byName.get('HighToolSelectionLatency')?.expr).toContain('victor_tool_duration_ms_bucket');
    expect(byName.get('HighToolExecutionLatency')?.expr).toContain(
      'victor_tool_execution_duration_ms_bucket',
    );
    const text = renderRuleFile(config);
    expect(text).not.toMatch(/\bmin\(\s*1\s*,/);
    expect(text).toContain('clamp_max(');
  });

  it(
    'follow the config: prefix, thresholds and short for durations still pass their unit tests',
    { timeout: 180_000 },
    async () => {
      const custom = resolveMonitoringConfig({
        prefix: 'acme_',
        thresholds: {
          cacheHitRate: { warning: { for: '2m' } },
          cpuPercent: { critical: { for: '1m' } },
        },
      });
      const text = renderRuleFile(custom);
      expect(text).toContain('acme_cache_operations_total');
      expect(text).not.toContain('victor_cache_operations_total');
      expect(buildAlerts(custom).find((a) => a.alert === 'HighCacheMissRate')?.for).toBe('2m');
      const r = await promtoolTest(custom);
      expect(r.code, r.out).toBe(0);
    },
  );
});

describe('runbook', () => {
  it('has a section for every alert, matching the runbook_url anchors', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(new URL('../../docs/runbook.md', import.meta.url), 'utf8');
    const headings = new Set(
      [...text.matchAll(/^#{2,4} (\S+)\s*$/gm)].map((m) => (m[1] as string).toLowerCase()),
    );
    for (const a of buildAlerts(config)) expect(headings.has(a.alert.toLowerCase()), a.alert).toBe(true);
  });
});
