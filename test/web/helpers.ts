/**
 * Test helpers for the dashboard: a real demo server in-process (createServer + startWorkload on 127.0.0.1,
 * port 0), headless Chromium through playwright-core, and a real Prometheus scraping the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createServer, type PerformanceServer } from '../../src/server/server.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';
import { renderRuleFile } from '../../src/monitoring/rules.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { freePort } from '../../src/stack/proc.ts';

export { freePort };

export interface Demo {
  url: string;
  server: PerformanceServer;
  workload: Workload;
  close(): Promise<void>;
}

export async function startDemo(options: { prometheusUrl?: string } = {}): Promise<Demo> {
  const collector = new PerformanceMetricsCollector();
  const workload = startWorkload({ collector, seed: 7 });
  const server = createServer({
    collector,
    port: 0,
    ready: () => workload.ready,
    ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}),
  });
  let url: string;
  try {
    url = await server.start();
    await workload.started;
  } catch (err) {
    await workload.stop();
    await server.close();
    throw err;
  }
  return {
    url,
    server,
    workload,
    async close() {
      await workload.stop();
      await server.close();
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'],
  });
}

/** Console errors and page errors of a page, collected from now on. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export interface Prometheus {
  url: string;
  close(): Promise<void>;
}

/** A real Prometheus scraping `target` (host:port) every second, with the generated rule file loaded. */
export async function startPrometheus(target: string, port?: number): Promise<Prometheus> {
  port ??= await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'victor-web-prom-'));
  const config = resolveMonitoringConfig();
  writeFileSync(join(dir, 'rules.yml'), renderRuleFile(config));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files: [rules.yml]',
      'scrape_configs:',
      `  - job_name: ${config.scrape.jobName}`,
      `    metrics_path: ${config.scrape.path}`,
      `    static_configs: [{ targets: ['${target}'] }]`,
      '',
    ].join('\n'),
  );
  const proc: ChildProcess = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => (await fetch(`${url}/-/ready`)).ok,
      20_000,
      () => `Prometheus not ready: ${stderr}`,
    );
  } catch (err) {
    await close();
    throw err;
  }
  return { url, close };
}

/** Polls `check` until it returns true (errors count as false). */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  message: () => string = () => 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${message()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
