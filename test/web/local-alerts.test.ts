/**
 * Alerts with nothing installed: the `tool-errors` scenario of the demo workload, in-process, served by
 * createServer in local mode with a monitoring config of 1 s rule interval, 10 s rate window and 1 s `for`
 * (nothing else changed). The critical tool error alert must be listed firing by GET /api/performance/alerts,
 * reach the stack's alerts-log webhook receiver, and resolve (listed no more, a resolved message sent) once the
 * scenario ends. Meanwhile the dashboard page (headless Chromium) lists it in its Alerts row, firing, and no
 * more once resolved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type PerformanceServer } from '../../src/server/server.ts';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { startAlertsLog, type AlertsLog } from '../../src/stack/alerts-log.ts';
import type { ApiAlert } from '../../src/monitoring/alerts-eval.ts';
import { consoleErrors, launchBrowser } from './helpers.ts';
import { firingShown, firingText } from './page-checks.ts';
import type { Browser } from 'playwright-core';

const config = resolveMonitoringConfig({
  rateWindow: '10s',
  scrape: { evaluationInterval: '1s' },
  thresholds: { toolErrorRate: { critical: { for: '1s' }, warning: { for: '1s' } } },
});

let collector: PerformanceMetricsCollector;
let workload: Workload;
let server: PerformanceServer;
let log: AlertsLog;
let url: string;
let browser: Browser | undefined;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function alerts(): Promise<ApiAlert[]> {
  const res = await fetch(`${url}/api/performance/alerts`);
  const body = (await res.json()) as { status: string; data: { alerts: ApiAlert[] } };
  expect(body.status).toBe('success');
  return body.data.alerts;
}

beforeAll(async () => {
  log = await startAlertsLog();
  collector = new PerformanceMetricsCollector();
  // The simulated workload: its tool error rate crosses the threshold smoothly when the scenario ends, where
  // the agent's bursts of tool calls could make the alert flap once at the crossing.
  workload = startWorkload({
    collector,
    seed: 7,
    scenario: 'tool-errors',
    scenarioSeconds: 25,
    speed: 4,
    llm: 'simulated',
  });
  server = createServer({ collector, port: 0, monitoring: config, alertWebhooks: [log.url] });
  url = await server.start();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  workload?.stop();
  await server?.close();
  await log?.close();
});

describe('local alerts', () => {
  it(
    'fire during the scenario, are sent to the webhook, and resolve after it',
    { timeout: 120_000 },
    async () => {
      const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
      const errors = consoleErrors(page);
      await page.goto(`${url}/?range=5m&refresh=5s`);
      const row = page.locator('#panel-firing-alerts');
      await expect
        .poll(async () => row.innerText(), { timeout: 60_000, interval: 500 })
        .toMatch(/CriticalToolErrorRate\s+firing\s+critical/);
      // The count beside the health score says how many fire, coloured by the worst severity.
      const shown = await firingShown(page);
      expect(shown.rows).toBeGreaterThan(0);
      expect(shown.text).toBe(firingText(shown.rows));
      expect(shown.severity).toBe('critical');
      const firing = await waitFor('CriticalToolErrorRate firing', async () => {
        const a = (await alerts()).find((x) => x.labels.alertname === 'CriticalToolErrorRate');
        return a?.state === 'firing' ? a : undefined;
      });
      expect(firing.labels).toMatchObject({
        job: 'victor-perf',
        severity: 'critical',
        component: 'tool_execution',
      });
      expect(firing.annotations.description).toMatch(
        /share of failed tool executions of victor-perf .* above the threshold of 15%/,
      );
      expect(Number(firing.value)).toBeGreaterThan(0.15);

      const sent = await waitFor('the firing message', async () =>
        log.received.find((a) => a.alertname === 'CriticalToolErrorRate' && a.status === 'firing'),
      );
      expect(sent.receiver).toBe('victor-perf-local');
      expect(sent.severity).toBe('critical');

      await waitFor('the resolved message', async () =>
        log.received.find((a) => a.alertname === 'CriticalToolErrorRate' && a.status === 'resolved'),
      );
      expect((await alerts()).map((a) => a.labels.alertname)).not.toContain('CriticalToolErrorRate');
      await expect
        .poll(async () => row.innerText(), { timeout: 30_000, interval: 500 })
        .not.toContain('CriticalToolErrorRate');
      const after = await firingShown(page);
      expect(after.text).toBe(firingText(after.rows));
      expect(errors).toEqual([]);
      await page.close();
      // One firing message (no resend within the repeat interval), then the resolved one.
      const messages = log.received
        .filter((a) => a.alertname === 'CriticalToolErrorRate')
        .map((a) => a.status);
      expect(messages).toEqual(['firing', 'resolved']);
    },
  );

  it('are not served in Prometheus mode', async () => {
    const other = createServer({ collector, port: 0, prometheusUrl: 'http://127.0.0.1:9' });
    const base = await other.start();
    try {
      expect((await fetch(`${base}/api/performance/alerts`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});
