import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MONITORING_CONFIG,
  MonitoringConfigError,
  loadMonitoringConfig,
  resolveMonitoringConfig,
} from '../../src/monitoring/config.ts';
import { withTempDir } from './helpers.ts';

describe('monitoring config', () => {
  it('defaults are the description values', () => {
    const t = DEFAULT_MONITORING_CONFIG.thresholds;
    expect(t.cacheHitRate.warning).toEqual({ threshold: 0.4, for: '5m' });
    expect(t.cacheHitRate.critical).toEqual({ threshold: 0.2, for: '10m' });
    expect(t.providerFailureRate.critical).toEqual({ threshold: 0.3, for: '2m' });
    expect(t.memoryBytes.critical.threshold).toBe(2 * 1024 ** 3);
    expect(DEFAULT_MONITORING_CONFIG.scrape).toMatchObject({ port: 8000, path: '/metrics' });
    expect(DEFAULT_MONITORING_CONFIG.prefix).toBe('victor_');
  });

  it('deep-merges YAML overrides and replaces receivers wholesale', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'monitoring.yaml');
      await writeFile(
        file,
        [
          'thresholds:',
          '  cacheHitRate:',
          '    warning: { threshold: 0.3, for: 10s }',
          'alertmanager:',
          '  groupWait: 1s',
          '  receivers:',
          '    paging: { kind: webhook, url: "http://127.0.0.1:5001/hook" }',
        ].join('\n'),
      );
      const c = loadMonitoringConfig(file);
      expect(c.thresholds.cacheHitRate.warning).toEqual({ threshold: 0.3, for: '10s' });
      expect(c.thresholds.cacheHitRate.critical).toEqual({ threshold: 0.2, for: '10m' });
      expect(c.alertmanager.receivers.paging).toEqual({ kind: 'webhook', url: 'http://127.0.0.1:5001/hook' });
      expect(c.alertmanager.receivers.chat.kind).toBe('slack');
      expect(c.alertmanager.groupWait).toBe('1s');
    });
  });

  it('reads JSON too', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'monitoring.json');
      await writeFile(file, JSON.stringify({ prefix: 'acme_', scrape: { port: 9100 } }));
      const c = loadMonitoringConfig(file);
      expect(c.prefix).toBe('acme_');
      expect(c.scrape.port).toBe(9100);
      expect(c.scrape.path).toBe('/metrics');
    });
  });

  it('names the bad key and value', () => {
    const bad = (o: unknown) => () => resolveMonitoringConfig(o);
    expect(bad({ thresholds: { cacheHitRatio: {} } })).toThrow(/thresholds\.cacheHitRatio: unknown key/);
    expect(bad({ thresholds: { cpuPercent: { warning: { threshold: 'high' } } } })).toThrow(
      /thresholds\.cpuPercent\.warning\.threshold: expected a number, got "high"/,
    );
    expect(bad({ thresholds: { threads: { for: '5 minutes' } } })).toThrow(
      /thresholds\.threads\.for: invalid duration "5 minutes"/,
    );
    expect(bad({ prefix: '1bad' })).toThrow(/prefix: .*"1bad"/);
    expect(bad({ healthScore: { weights: { cacheHitRate: 0.5 } } })).toThrow(/weights: must sum to 1/);
    expect(bad({ scrape: { port: 70000 } })).toThrow(/scrape\.port/);
    expect(bad({ alertmanager: { receivers: { chat: { kind: 'email' } } } })).toThrow(
      /receivers\.chat\.kind: expected pagerduty, slack or webhook, got "email"/,
    );
    expect(bad({ replicaLabels: 'instance' })).toThrow(/replicaLabels: expected a list/);
    expect(bad({ thresholds: 3 })).toThrow(MonitoringConfigError);
    expect(bad({ kubernetes: { prometheus: { retention: '2 weeks' } } })).toThrow(
      /kubernetes\.prometheus\.retention: invalid duration/,
    );
  });

  it('refuses a selector whose job differs from the scrape job (the alerts would never fire)', () => {
    expect(() => resolveMonitoringConfig({ scrape: { jobName: 'agents' } })).toThrow(
      /selector: selects job="victor-perf" but scrape.jobName is "agents"/,
    );
    const both = resolveMonitoringConfig({ scrape: { jobName: 'agents' }, selector: 'job="agents"' });
    expect(both.selector).toBe('job="agents"');
    // A selector on other labels (or a regex on job) is the user's choice.
    expect(resolveMonitoringConfig({ selector: 'team="ml"' }).selector).toBe('team="ml"');
  });

  it('label maps (selectors) are replaced whole, not merged with the defaults', () => {
    const c = resolveMonitoringConfig({ kubernetes: { operator: { ruleLabels: { release: 'kps' } } } });
    expect(c.kubernetes.operator.ruleLabels).toEqual({ release: 'kps' });
  });

  it('reports unreadable and invalid files with the file name', async () => {
    expect(() => loadMonitoringConfig('/nonexistent/monitoring.yaml')).toThrow(
      /cannot read monitoring config/,
    );
    await withTempDir(async (dir) => {
      const file = join(dir, 'broken.yaml');
      await writeFile(file, 'thresholds: [unclosed');
      expect(() => loadMonitoringConfig(file)).toThrow(/broken\.yaml: not valid YAML/);
    });
  });
});
