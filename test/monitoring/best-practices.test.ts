/**
 * The description's best practices: process starts marked on the dashboard (from a start-time series the
 * process really exposes), start-up events as info alerts that a real Alertmanager config routes to the
 * low-priority receiver, and a warning from `generate` while the runbook link is the default one.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, metricName } from '../../src/metrics/catalog.ts';
import { Registry } from '../../src/metrics/registry.ts';
import { RECEIVER_NAMES, renderAlertmanagerConfig } from '../../src/monitoring/alertmanager.ts';
import { buildAlerts } from '../../src/monitoring/alerts.ts';
import {
  DEFAULT_MONITORING_CONFIG as config,
  PLACEHOLDER_RUNBOOK_BASE_URL,
  resolveMonitoringConfig,
} from '../../src/monitoring/config.ts';
import { buildDashboard } from '../../src/monitoring/dashboard.ts';
import { configWarnings, runGenerate } from '../../src/monitoring/generate.ts';
import { SystemMonitor } from '../../src/sources/system.ts';
import { run, withTempDir } from './helpers.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('process start time', () => {
  it('is exposed by the system source: the moment this process started, constant across reads', () => {
    const m = new SystemMonitor({ eventLoop: false });
    try {
      m.collect();
      const expected = Date.now() / 1000 - process.uptime();
      expect(Math.abs(m.startTime.value - expected)).toBeLessThan(1);
      const first = m.startTime.value;
      m.collect();
      expect(m.startTime.value).toBe(first);
      const registry = new Registry();
      for (const metric of m.metrics()) registry.register(metric);
      const line = registry
        .metricsText()
        .split('\n')
        .find((l) => l.startsWith(`${metricName(CATALOG.systemStartTime)} `));
      expect(Number(line?.split(' ')[1])).toBeCloseTo(first, 0);
    } finally {
      m.close();
    }
  });

  it('marks process starts on the dashboard, at the start time, for the selected job and filters', () => {
    const annotations = buildDashboard(config).annotations.list as Obj[];
    const starts = annotations.find((a) => a.name === 'Process starts');
    expect(starts).toBeDefined();
    expect(starts!.enable).toBe(true);
    expect(starts!.useValueForTime).toBe(true); // the value (start time in ms) is where the mark goes
    const name = metricName(CATALOG.systemStartTime, config.prefix);
    expect(starts!.expr).toBe(
      `${name}{${config.selector}, cluster=~"$cluster", instance=~"$instance"} * 1000`,
    );
    expect(starts!.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });
});

describe('start-up events: info alerts to the low-priority receiver', () => {
  const info = buildAlerts(config).filter((a) => a.severity === 'info');

  it('exist for a (re)start and a slow start-up', () => {
    expect(info.map((a) => a.alert).sort()).toEqual(['ProcessStarted', 'SlowStartup']);
    for (const a of info) expect(a.expr).toContain(config.selector);
  });

  it('a real Alertmanager config routes them (and only them of all alerts) to low priority', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'alertmanager.yml'), renderAlertmanagerConfig(config));
      for (const a of buildAlerts(config)) {
        const r = await run('amtool', [
          'config',
          'routes',
          'test',
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `alertname=${a.alert}`,
          `severity=${a.severity}`,
          `family=${a.family}`,
          `job=${config.scrape.jobName}`,
        ]);
        expect(r.code, r.stderr).toBe(0);
        const receiver = r.stdout.trim();
        if (a.severity === 'info') expect(receiver, a.alert).toBe(RECEIVER_NAMES.lowPriority);
        else expect(receiver, a.alert).not.toBe(RECEIVER_NAMES.lowPriority);
      }
    });
  });
});

describe('runbook base URL', () => {
  it('generate warns while the default link is used, and not once it is set', async () => {
    expect(config.runbookBaseUrl).toBe(PLACEHOLDER_RUNBOOK_BASE_URL);
    await withTempDir(async (dir) => {
      const r = runGenerate({ out: dir });
      expect(r.exitCode).toBe(0);
      expect(r.warnings?.join('\n')).toMatch(/runbookBaseUrl is the default .*Set runbookBaseUrl/s);
      const cfg = join(dir, 'monitoring.yaml');
      await writeFile(cfg, 'runbookBaseUrl: https://wiki.example.com/victor/runbook\n');
      const set = runGenerate({ config: cfg, out: join(dir, 'out') });
      expect(set.exitCode).toBe(0);
      expect(set.warnings).toEqual([]);
    });
    expect(
      configWarnings(resolveMonitoringConfig({ runbookBaseUrl: 'https://x.example/runbook.md' })),
    ).toEqual([]);
  });

  it('must be an http(s) URL', () => {
    expect(() => resolveMonitoringConfig({ runbookBaseUrl: 'docs/runbook.md' })).toThrow(
      /runbookBaseUrl: expected an http\(s\) URL/,
    );
  });
});
