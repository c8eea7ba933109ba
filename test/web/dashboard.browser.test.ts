/**
 * The built-in dashboard in a real browser (headless Debian Chromium) against a real demo server: every row
 * and panel of reference.md section 5 is there and shows data, the console stays clean, the time range and
 * the namespace filter change what is drawn, panels expand and shrink, and the page fits a phone.
 *
 * Screenshots go to test-output/. With VICTOR_DOCS_SCREENSHOT=1 the desktop one is also copied to
 * docs/screenshots/dashboard.png; VICTOR_DEMO_WARMUP_S (default 6) sets how long the demo runs first.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleErrors, launchBrowser, startDemo, type Demo } from './helpers.ts';
import { canvasImage, coloredPixels, expectPanelsShowData, panelViews, PAGE_ROWS } from './page-checks.ts';

const WARMUP_S = Number(process.env.VICTOR_DEMO_WARMUP_S ?? 6);

let demo: Demo | undefined;
let browser: Browser | undefined;

beforeAll(
  async () => {
    demo = await startDemo();
    browser = await launchBrowser();
    // Samples more often than the 5 s default so that rates exist after a few seconds (each is a real collection).
    const history = demo.server.history!;
    const end = Date.now() + WARMUP_S * 1000;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      history.sample();
    }
  },
  60_000 + WARMUP_S * 1000,
);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

async function open(width: number, query = 'range=5m'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width, height: 900 } });
  const errors = consoleErrors(page);
  await page.goto(`${demo!.url}/?${query}`);
  await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
  // Fonts and layout settle; charts are drawn synchronously by then.
  await page.waitForTimeout(300);
  return { page, errors };
}

describe('built-in dashboard (local mode)', () => {
  it('shows every row and panel with data, and no console errors', async () => {
    const { page, errors } = await open(1440);
    const rows = await page.locator('main h2').allTextContents();
    expect(rows.map((r) => r.trim())).toEqual(PAGE_ROWS);
    await expectPanelsShowData(page);
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/dashboard-desktop.png', fullPage: true });
    if (process.env.VICTOR_DOCS_SCREENSHOT === '1') {
      mkdirSync('docs/screenshots', { recursive: true });
      copyFileSync('test-output/dashboard-desktop.png', 'docs/screenshots/dashboard.png');
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('redraws for another time range and for a namespace filter', async () => {
    const { page, errors } = await open(1440);
    const before = await panelViews(page);
    const p95 = before.find((v) => v.id === 'tool-selection-latency-p95')!;
    expect(p95.range![1] - p95.range![0]).toBeCloseTo(300, 0);
    const imageBefore = await canvasImage(page, 'tool-selection-latency-p95');

    const renders = await page.evaluate(
      () => (window as unknown as { __dashboard: { renders: number } }).__dashboard.renders,
    );
    await page.selectOption('#range', '15m');
    await page.waitForFunction(
      (n) => (window as unknown as { __dashboard: { renders: number } }).__dashboard.renders > n,
      renders,
    );
    const after = (await panelViews(page)).find((v) => v.id === 'tool-selection-latency-p95')!;
    expect(after.range![1] - after.range![0]).toBeCloseTo(900, 0);
    expect(await canvasImage(page, 'tool-selection-latency-p95')).not.toBe(imageBefore);
    expect(page.url()).toContain('range=15m');

    const entries = (await panelViews(page)).find((v) => v.id === 'cache-entries-by-namespace')!;
    // The Grafana panel's own lines: one per namespace and the cache's total.
    expect(entries.labels.sort()).toEqual(['context', 'query', 'rl', 'total']);
    const entriesImage = await canvasImage(page, 'cache-entries-by-namespace');
    await page.selectOption('#f-namespace', 'query');
    const filtered = (await panelViews(page)).find((v) => v.id === 'cache-entries-by-namespace')!;
    expect(filtered.labels).toEqual(['query']);
    expect(filtered.points).toBeGreaterThan(0);
    expect(await canvasImage(page, 'cache-entries-by-namespace')).not.toBe(entriesImage);
    const gauges = await page.locator('#panel-cache-utilization figure').count();
    expect(gauges).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('expands a panel on click and shrinks it with Esc and with the close button', async () => {
    const { page, errors } = await open(1440);
    const panel = page.locator('#panel-memory-usage');
    const small = (await panel.boundingBox())!;
    await panel.locator('.plot').click();
    await expect.poll(async () => (await panel.getAttribute('class')) ?? '').toContain('expanded');
    const big = (await panel.boundingBox())!;
    expect(big.width).toBeGreaterThan(small.width * 2);
    // the chart follows the panel's size
    await expect
      .poll(async () => (await panel.locator('canvas').boundingBox())!.width)
      .toBeGreaterThan(big.width * 0.8);
    expect(await coloredPixels(page, 'memory-usage')).toBeGreaterThan(20);
    await page.screenshot({ path: 'test-output/dashboard-expanded.png' });
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await panel.getAttribute('class')) ?? '').not.toContain('expanded');

    await page.locator('#panel-cache-hit-rate .panel-expand').press('Enter');
    await expect
      .poll(async () => (await page.locator('#panel-cache-hit-rate').getAttribute('class')) ?? '')
      .toContain('expanded');
    await page.locator('#panel-cache-hit-rate .panel-expand').click();
    await expect
      .poll(async () => (await page.locator('#panel-cache-hit-rate').getAttribute('class')) ?? '')
      .not.toContain('expanded');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a phone screen', async () => {
    const { page, errors } = await open(390);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expectPanelsShowData(page);
    await page.screenshot({ path: 'test-output/dashboard-phone.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
