/**
 * The dashboard page left open stays bounded, in a real browser (headless Chromium) against a real server:
 * with auto-refresh off, the points the live stream pushes are still trimmed to the time range, and the panel
 * errors the page keeps are capped.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createServer, type PerformanceServer } from '../../src/server/server.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { consoleErrors, launchBrowser } from './helpers.ts';
import { redraw } from './page-checks.ts';

// At 1 s resolution a 5 minute range is drawn from the stream at full resolution: about 300 points.
const RESOLUTION_MS = 1000;
const RANGE_MS = 5 * 60_000;

let server: PerformanceServer | undefined;
let url: string;
let browser: Browser | undefined;

beforeAll(async () => {
  // Some components, so that several panels have series (the history keeps panel query results).
  const tools = new ToolExecutionMonitor();
  const pool = new ProviderPoolMonitor();
  for (const tool of ['grep', 'bash']) tools.record(tool, 5, true);
  for (const provider of ['openai', 'anthropic', 'local-llama']) pool.record(provider, 100, 'success');
  server = createServer({
    collector: new PerformanceMetricsCollector().registerToolExecution(tools).registerProviderPool(pool),
    port: 0,
    history: { resolutionMs: RESOLUTION_MS, retentionMs: 60 * 60_000 },
  });
  url = await server.start();
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

interface Stored {
  newest: number | null;
  points: number;
  longestSeries: number;
  series: number;
}

function stored(page: Page): Promise<Stored | null> {
  return page.evaluate(() =>
    (window as unknown as { __dashboard: { stored(): Stored | null } }).__dashboard.stored(),
  );
}

describe('dashboard memory', () => {
  it('trims streamed points to the range with auto-refresh off', { timeout: 120_000 }, async () => {
    const page = await browser!.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${url}/?range=5m&refresh=off`);
    await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
    await page.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-kind') === 'ok');
    // Ten minutes of samples, one a second, streamed as fast as the server takes them (twice the range).
    const history = server!.history!;
    const start = Date.now() + 2 * RESOLUTION_MS;
    const samples = (2 * RANGE_MS) / RESOLUTION_MS;
    for (let i = 0; i < samples; i++) {
      history.sample(start + i * RESOLUTION_MS);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10));
    }
    const last = start + (samples - 1) * RESOLUTION_MS;
    await expect
      .poll(async () => (await stored(page))?.newest, { timeout: 60_000, interval: 250 })
      .toBe(last);
    const s = (await stored(page))!;
    // The range and one step (a partial bucket at the start), not the 600 points that came.
    const bound = RANGE_MS / RESOLUTION_MS + 2;
    expect(s.points).toBeGreaterThan(RANGE_MS / RESOLUTION_MS - 2);
    expect(s.points).toBeLessThanOrEqual(bound);
    expect(s.longestSeries).toBe(s.points);
    expect(s.series).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the latest panel errors only', async () => {
    const page = await browser!.newPage();
    // 150 panels of a kind the page has no widget for: each fails on every render.
    await page.route('**/dashboard/api/config', async (route) => {
      const res = await route.fetch();
      const config = (await res.json()) as { panels: Array<Record<string, unknown>>; rows: string[] };
      const broken = Array.from({ length: 150 }, (_, i) => ({
        ...config.panels[0],
        id: `broken-${i}`,
        title: `Broken ${i}`,
        type: 'heatmap',
        row: config.rows[0],
      }));
      await route.fulfill({ response: res, json: { ...config, panels: [...config.panels, ...broken] } });
    });
    const logged = consoleErrors(page);
    await page.goto(`${url}/?refresh=off`);
    await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
    const read = (): Promise<string[]> =>
      page.evaluate(() => {
        const d = (window as unknown as { __dashboard: { errors: string[] } }).__dashboard;
        return [...d.errors];
      });
    const first = await read();
    expect(first).toHaveLength(100);
    expect(first.at(-1)).toBe('broken-149: no widget draws heatmap panels');
    expect(first[0]).toBe('broken-50: no widget draws heatmap panels');
    // Another render adds 150 more failures; the list keeps its size. The console says each failure once.
    await redraw(page);
    expect(await read()).toHaveLength(100);
    expect(logged.filter((m) => m.includes('no widget draws heatmap panels'))).toHaveLength(150);
    // the panel shows it failed
    expect(await page.locator('#panel-broken-3 .panel-error').getAttribute('title')).toBe(
      'no widget draws heatmap panels',
    );
    await page.close();
  });
});
