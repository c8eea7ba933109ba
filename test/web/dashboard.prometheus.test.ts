/**
 * Prometheus mode in a real browser: a demo server started with prometheusUrl pointing at a real Prometheus
 * (/usr/bin/prometheus, 1 s scrapes of that same demo, the generated rule file loaded) draws the same panels
 * from query_range/query through the server's proxy, and lists Prometheus's active alerts.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleErrors,
  freePort,
  launchBrowser,
  startDemo,
  startPrometheus,
  waitFor,
  type Demo,
  type Prometheus,
} from './helpers.ts';
import { expectPanelsShowData, firingShown, firingText, panelViews, PAGE_ROWS } from './page-checks.ts';

let demo: Demo | undefined;
let prometheus: Prometheus | undefined;
let browser: Browser | undefined;

async function promQuery(
  query: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const r = await fetch(`${prometheus!.url}/api/v1/query?${new URLSearchParams({ query })}`);
  const body = (await r.json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return body.data.result;
}

beforeAll(async () => {
  const port = await freePort();
  demo = await startDemo({ prometheusUrl: `http://127.0.0.1:${port}` });
  prometheus = await startPrometheus(new URL(demo.url).host, port);
  // First scrape comes a few seconds after start; rates need two scrapes, histogram quantiles a few more.
  await waitFor(
    async () =>
      (await promQuery('sum(rate(victor_tool_executions_total[1m])) > 0')).length > 0 &&
      (
        await promQuery(
          'histogram_quantile(0.95, sum by (le) (rate(victor_tool_duration_ms_bucket[1m]))) >= 0',
        )
      ).length > 0 &&
      (await promQuery('victor_performance_health_score')).length > 0 &&
      (await promQuery('sum(rate(victor_cache_operations_total{operation="evictions"}[1m])) >= 0')).length >
        0 &&
      // enough points for every chart to draw a line, not a dot
      (await promQuery('count_over_time(victor_system_uptime_seconds[1m]) >= 8')).length > 0,
    45_000,
    () => 'Prometheus has no rates of the demo yet',
  );
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  await prometheus?.close();
});

describe('built-in dashboard (Prometheus mode)', () => {
  it('draws the same panels from Prometheus, plus its alerts', async () => {
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const errors = consoleErrors(page);
    await page.goto(`${demo!.url}/?range=5m`);
    await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
    await page.waitForTimeout(300);
    expect(await page.locator('#mode').textContent()).toBe('Prometheus');
    const rows = (await page.locator('main h2').allTextContents()).map((r) => r.trim());
    expect(rows).toEqual(PAGE_ROWS);
    await expectPanelsShowData(page);
    // the alerts panel lists what Prometheus reports (it may be empty for a healthy demo)
    const alerts = page.locator('#panel-firing-alerts');
    await expect.poll(async () => (await alerts.innerText()).length).toBeGreaterThan(0);
    expect(await alerts.locator('h3').textContent()).toBe('Firing Alerts');
    // the count beside the health score agrees with it
    const shown = await firingShown(page);
    expect(shown.text).toBe(firingText(shown.rows));

    // the namespace filter goes into the queries
    await page.selectOption('#f-namespace', 'query');
    await expect
      .poll(async () => (await panelViews(page)).find((v) => v.id === 'cache-entries-by-namespace')!.labels)
      .toEqual(['query']);
    await page.screenshot({ path: 'test-output/dashboard-prometheus.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
