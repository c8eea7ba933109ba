/** Checks on the dashboard page shared by the local-mode and Prometheus-mode browser tests. */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { PanelSummary } from '../../src/web/public/page.d.ts';

/** The page's rows in order: the description's, the LLM usage row before Tool Execution, then ours. */
export const PAGE_ROWS = [
  'Overview',
  'Cache Performance',
  'Tool Selection',
  'Provider Pool',
  'LLM usage',
  'Tool Execution',
  'Bootstrap',
  'Alerts',
];

/** reference.md section 5, plus the bootstrap row and the health score. */
export const SECTION5_PANELS: Record<string, string> = {
  'Tool Selection Latency P95': 'timeseries',
  'Cache Hit Rate': 'gauge',
  'Memory Usage': 'timeseries',
  'System Uptime': 'stat',
  'Cache Entries by Namespace': 'timeseries',
  'Cache Hit/Miss Ratio': 'piechart',
  'Cache Evictions': 'timeseries',
  'Cache Utilization': 'gauge',
  'Selection Latency P50/P95/P99': 'timeseries',
  'Selection Hit Rate by Type': 'bargauge',
  'Selection Misses Rate': 'timeseries',
  'Provider Health': 'table',
  'Provider Latency P95 by provider': 'timeseries',
  'Active Providers': 'stat',
  'Execution Duration P95/P99': 'timeseries',
  'Execution Errors': 'timeseries',
  'Top Tools by Execution': 'table',
  'Health Score': 'stat',
  'Bootstrap Phases': 'bargauge',
};

export function panelViews(page: Page): Promise<PanelSummary[]> {
  return page.evaluate(() =>
    (window as unknown as { __dashboard: { views(): PanelSummary[] } }).__dashboard.views(),
  );
}

/** Pixels of a panel's chart canvas in saturated colours (series; axes and grid are grey). */
export function coloredPixels(page: Page, id: string): Promise<number> {
  return page.evaluate((panelId) => {
    const c = document.querySelector<HTMLCanvasElement>(`#panel-${panelId} canvas`);
    if (!c) return -1;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (
        d[i + 3]! > 200 &&
        Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 60
      )
        n++;
    }
    return n;
  }, id);
}

export function canvasImage(page: Page, id: string): Promise<string> {
  return page.evaluate(
    (panelId) => document.querySelector<HTMLCanvasElement>(`#panel-${panelId} canvas`)!.toDataURL(),
    id,
  );
}

/** Every panel of section 5 is present with its title and type, and shows data (charts painted, no placeholders). */
export async function expectPanelsShowData(page: Page, expectedTypes = SECTION5_PANELS): Promise<void> {
  const views = await panelViews(page);
  const byTitle = new Map(views.map((v) => [v.title, v]));
  for (const [title, type] of Object.entries(expectedTypes)) {
    const v = byTitle.get(title);
    expect(v, `panel ${title}`).toBeDefined();
    expect(v!.type, title).toBe(type);
    const heading = await page.locator(`#panel-${v!.id} h3`).textContent();
    expect(heading).toBe(title);
    expect(v!.points, `${title} has data`).toBeGreaterThan(0);
    // What is drawn, without the chart's hidden value table (a time before a rate's second sample has no value).
    const body = await page.locator(`#panel-${v!.id} .panel-body`).evaluate((el) => {
      const drawn = el.cloneNode(true) as HTMLElement;
      drawn.querySelectorAll('.sr-only').forEach((hidden) => hidden.remove());
      return (drawn.textContent ?? '').trim();
    });
    expect(body, title).not.toContain('No data');
    if (type === 'timeseries') {
      expect(await coloredPixels(page, v!.id), `${title} painted`).toBeGreaterThan(3);
    }
    if (type === 'gauge' || type === 'stat') {
      const labels = await page
        .locator(`#panel-${v!.id} [role=img]`)
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      expect(labels.length, title).toBeGreaterThan(0);
      for (const l of labels) expect(l, title).toMatch(new RegExp(`^${title.replace(/[/()]/g, '.')}.*: \\S`));
    }
    if (type === 'table')
      expect(await page.locator(`#panel-${v!.id} tbody tr`).count(), title).toBeGreaterThan(0);
  }
}

/**
 * The firing alerts count beside the health score and the alerts the Alerts row lists as firing, read at
 * the same moment (both are drawn from the same list in one render).
 */
export function firingShown(page: Page): Promise<{ text: string; severity: string; rows: number }> {
  return page.evaluate(() => {
    const count = document.querySelector('#panel-health-score .firing-count');
    const rows = Array.from(document.querySelectorAll('#panel-firing-alerts tbody tr')).filter(
      (tr) => tr.children[1]?.textContent === 'firing',
    ).length;
    return { text: count?.textContent ?? '', severity: count?.getAttribute('data-severity') ?? '', rows };
  });
}

/** What the count says for `n` firing alerts. */
export const firingText = (n: number): string =>
  n === 0 ? 'No alerts firing' : `${n} alert${n === 1 ? '' : 's'} firing`;

/** Clicks "Refresh now" and waits until the page has drawn again. */
export async function redraw(page: Page): Promise<void> {
  const renders = await page.evaluate(
    () => (window as unknown as { __dashboard: { renders: number } }).__dashboard.renders,
  );
  await page.locator('#refresh-now').click();
  await page.waitForFunction(
    (n) => (window as unknown as { __dashboard: { renders: number } }).__dashboard.renders > n,
    renders,
  );
}
