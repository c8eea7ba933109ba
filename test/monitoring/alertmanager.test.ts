import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAlertmanagerConfig } from '../../src/monitoring/alertmanager.ts';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { run, withTempDir } from './helpers.ts';
import { freePort } from '../../src/stack/proc.ts';

const config = DEFAULT_MONITORING_CONFIG;

describe('Alertmanager config', () => {
  it('passes amtool check-config and has no literal credentials', async () => {
    const text = renderAlertmanagerConfig(config);
    expect(text).toMatch(/routing_key_file/);
    expect(text).toMatch(/api_url_file/);
    expect(text).not.toMatch(/routing_key:|api_url:|hooks\.slack\.com/);
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'alertmanager.yml'), text);
      const r = await run('amtool', ['check-config', join(dir, 'alertmanager.yml')]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    });
  });

  it('routes critical to paging, warning to chat, info and unknown to low priority (amtool routes test)', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'alertmanager.yml');
      await writeFile(file, renderAlertmanagerConfig(config));
      const route = (receiver: string, ...labels: string[]) =>
        run('amtool', [
          'config',
          'routes',
          'test',
          `--config.file=${file}`,
          `--verify.receivers=${receiver}`,
          ...labels,
        ]);
      for (const [receiver, labels] of [
        ['paging', ['severity=critical', 'component=cache']],
        ['chat', ['severity=warning', 'component=system']],
        ['low-priority', ['severity=info']],
        ['low-priority', ['alertname=Other']],
      ] as const) {
        const r = await route(receiver, ...labels);
        expect(r.code, `${labels.join(' ')} -> ${receiver}: ${r.stdout}${r.stderr}`).toBe(0);
      }
      expect((await route('chat', 'severity=critical')).code).not.toBe(0);
    });
  });

  it('overrides send every receiver to one webhook (local stacks)', () => {
    const text = renderAlertmanagerConfig(config, {
      webhookUrl: 'http://127.0.0.1:9999/hook',
      groupWait: '1s',
    });
    expect(text.match(/url: http:\/\/127\.0\.0\.1:9999\/hook/g)).toHaveLength(3);
    expect(text).toContain('group_wait: 1s');
  });
});

describe('inhibition on a real Alertmanager', () => {
  let dir = '';
  let proc: ChildProcess | undefined;
  let base = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'victor-alertmanager-'));
    const file = join(dir, 'alertmanager.yml');
    await writeFile(
      file,
      renderAlertmanagerConfig(config, { webhookUrl: 'http://127.0.0.1:1/hook', groupWait: '1s' }),
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${file}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        if ((await fetch(`${base}/-/ready`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('alertmanager did not become ready');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc?.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a critical alert inhibits the warning of the same family and target, not others', async () => {
    const common = { job: 'victor-perf', component: 'cache', family: 'CacheMissRate' };
    const alerts = [
      { labels: { ...common, alertname: 'CriticalCacheMissRate', severity: 'critical' } },
      { labels: { ...common, alertname: 'HighCacheMissRate', severity: 'warning' } },
      {
        labels: {
          job: 'victor-perf',
          component: 'cache',
          family: 'CacheUtilization',
          alertname: 'HighCacheUtilization',
          severity: 'warning',
          namespace: 'query',
        },
      },
    ].map((a) => ({ ...a, annotations: { summary: 'test' }, startsAt: new Date().toISOString() }));
    const post = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts),
    });
    expect(post.ok).toBe(true);

    type Status = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
    const state = (list: Status[], name: string) => list.find((a) => a.labels.alertname === name)?.status;
    let list: Status[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as Status[];
      if (list.length === 3 && state(list, 'HighCacheMissRate')?.state === 'suppressed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(state(list, 'HighCacheMissRate')?.state).toBe('suppressed');
    expect(state(list, 'HighCacheMissRate')?.inhibitedBy.length).toBe(1);
    expect(state(list, 'CriticalCacheMissRate')?.state).toBe('active');
    expect(state(list, 'HighCacheUtilization')?.state).toBe('active');
  });
});
