/**
 * The dashboard for keyboard and screen-reader users, in a real browser (headless Chromium) against a real
 * demo server: every chart carries the values it draws as a table in the accessibility tree (visually hidden,
 * following the legend's choice of series), and an expanded panel keeps Tab and Shift+Tab inside it, closes on
 * Escape and gives focus back to where it was opened from.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleErrors, launchBrowser, startDemo, type Demo } from './helpers.ts';
import { panelViews, redraw } from './page-checks.ts';

let demo: Demo | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
  // A few samples more often than the 5 s default, so that the charts have lines.
  const history = demo.server.history!;
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 400));
    history.sample();
  }
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

async function open(): Promise<{ page: Page; errors: string[] }> {
  // No auto-refresh: what is drawn stays put while the test reads it.
  const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = consoleErrors(page);
  await page.goto(`${demo!.url}/?range=5m&refresh=off`);
  await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
  return { page, errors };
}

interface TableCheck {
  id: string;
  headers: string[];
  rows: string[][];
  expected: string[][];
  expectedHeaders: string[];
}

/**
 * For every time series panel: the hidden table's header and rows, and the same computed from the data the
 * chart holds (uPlot's own arrays, its shown series only), formatted by the page's own formatters.
 */
async function tablesAndCharts(page: Page): Promise<TableCheck[]> {
  // A string, so that the test runner leaves this import to the browser.
  await page.evaluate(
    "import(new URL('dashboard/assets/format.js', location.href).href).then((m) => { window.__format = m; })",
  );
  return page.evaluate(async () => {
    type Value = number | null;
    const format = (
      window as unknown as {
        __format: { formatValue(v: Value, unit: string): string; formatTime(ms: number): string };
      }
    ).__format;
    const config = (await (await fetch('dashboard/api/config')).json()) as {
      panels: Array<{ id: string; type: string; unit: string }>;
    };
    const dash = (
      window as unknown as {
        __dashboard: {
          chartData(id: string): Value[][] | null;
          views(): Array<{ id: string; range: [number, number] | null }>;
        };
      }
    ).__dashboard;
    const out = [];
    for (const panel of config.panels.filter((p) => p.type === 'timeseries')) {
      const data = dash.chartData(panel.id);
      const range = dash.views().find((v) => v.id === panel.id)?.range;
      const table = document.querySelector(`#panel-${panel.id} .sr-only table`) as HTMLTableElement | null;
      if (!data || !range || !table) {
        out.push({ id: panel.id, headers: [], rows: [], expected: [['missing']], expectedHeaders: [] });
        continue;
      }
      const legend = Array.from(document.querySelectorAll(`#panel-${panel.id} .legend-item`));
      const shown = legend
        .map((el, i) => ({ label: el.querySelector('.legend-label')!.textContent!, values: data[i + 1]! }))
        .filter((_, i) => legend[i]!.getAttribute('aria-pressed') === 'true');
      const t = data[0]!;
      const expected: string[][] = [];
      for (let i = 0; i < t.length; i++) {
        const ts = t[i]!;
        if (ts < range[0] || ts > range[1] || !shown.some((s) => s.values[i] !== null)) continue;
        expected.push([
          format.formatTime(ts * 1000),
          ...shown.map((s) => format.formatValue(s.values[i]!, panel.unit)),
        ]);
      }
      out.push({
        id: panel.id,
        headers: Array.from(table.tHead!.rows[0]!.cells, (c) => c.textContent!),
        rows: Array.from(table.tBodies[0]!.rows, (r) => Array.from(r.cells, (c) => c.textContent!)),
        expected: expected.length ? expected : [['No data']],
        expectedHeaders: ['Time', ...shown.map((s) => s.label)],
      });
    }
    return out;
  });
}

describe('dashboard accessibility', () => {
  it('gives every chart a table of the values it draws, following the legend', async () => {
    const { page, errors } = await open();
    const checks = await tablesAndCharts(page);
    expect(checks.length).toBeGreaterThan(5);
    for (const c of checks) {
      expect(c.headers, c.id).toEqual(c.expectedHeaders);
      expect(c.rows, c.id).toEqual(c.expected);
    }
    // Charts with data have rows of it (a demo with nothing to draw would make the check above vacuous).
    const memory = checks.find((c) => c.id === 'memory-usage')!;
    expect(memory.rows.length).toBeGreaterThan(0);
    expect(memory.rows.at(-1)![1]).toMatch(/^\d+(\.\d+)? (B|KiB|MiB|GiB)$/);

    // In Chromium's accessibility tree, named by its caption (what a screen reader is given); out of sight.
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }>;
    };
    const tables = nodes
      .filter((n) => !n.ignored && n.role?.value === 'table')
      .map((n) => n.name?.value ?? '');
    expect(tables.filter((name) => name.startsWith('Memory Usage, '))).toHaveLength(1);
    expect(tables.length).toBeGreaterThanOrEqual(checks.length);
    const table = page.locator('#panel-memory-usage .sr-only table');
    // drawn inside a 1 px box that clips it
    const box = (await table.locator('xpath=..').boundingBox())!;
    expect(box.width * box.height).toBeLessThanOrEqual(1);
    expect(await table.locator('xpath=..').evaluate((el) => getComputedStyle(el).overflow)).toBe('hidden');

    // A new sample and a refresh: the tables follow the charts (rows updated in place, or added).
    demo!.server.history!.sample();
    await redraw(page);
    for (const c of await tablesAndCharts(page)) {
      expect(c.headers, c.id).toEqual(c.expectedHeaders);
      expect(c.rows, c.id).toEqual(c.expected);
    }

    // Hiding a series in the legend takes its column out of the table; showing it brings it back.
    const id = 'selection-latency-p50-p95-p99';
    const p50 = page.locator(`#panel-${id} .legend-item`, { hasText: 'P50' });
    await p50.click();
    let after = (await tablesAndCharts(page)).find((c) => c.id === id)!;
    expect(after.headers).toEqual(['Time', 'P95', 'P99']);
    expect(after.rows).toEqual(after.expected);
    // and stays hidden across a refresh (the legend and the table redrawn from new data)
    await redraw(page);
    expect(await p50.getAttribute('aria-pressed')).toBe('false');
    after = (await tablesAndCharts(page)).find((c) => c.id === id)!;
    expect(after.headers).toEqual(['Time', 'P95', 'P99']);
    await p50.click();
    after = (await tablesAndCharts(page)).find((c) => c.id === id)!;
    expect(after.headers).toEqual(['Time', 'P50', 'P95', 'P99']);
    expect(after.rows).toEqual(after.expected);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('keeps the keyboard inside an expanded panel, closes it on Escape and returns focus', async () => {
    const { page, errors } = await open();
    const id = 'selection-latency-p50-p95-p99';
    const panel = page.locator(`#panel-${id}`);
    const opener = panel.locator('.panel-expand');
    await opener.focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await panel.getAttribute('class')) ?? '').toContain('expanded');
    expect(await panel.getAttribute('role')).toBe('dialog');
    expect(await panel.getAttribute('aria-modal')).toBe('true');

    // Where focus is: the panel's id when inside it, else a description of the element.
    const focused = (): Promise<string> =>
      page.evaluate((panelId) => {
        const el = document.activeElement;
        if (el && document.getElementById(`panel-${panelId}`)!.contains(el))
          return `inside:${el.className}:${el.textContent?.trim() ?? ''}`;
        return `outside:${el?.tagName ?? 'none'}#${el?.id ?? ''}`;
      }, id);
    const stops = await panel.evaluate(
      (el) =>
        Array.from(el.querySelectorAll('a[href], button, select, [tabindex]:not([tabindex="-1"])')).filter(
          (e) => (e as HTMLElement).getClientRects().length > 0,
        ).length,
    );
    expect(stops).toBeGreaterThanOrEqual(4); // the close button and three legend entries
    const forward: string[] = [await focused()];
    for (let i = 0; i < stops * 2 + 1; i++) {
      await page.keyboard.press('Tab');
      forward.push(await focused());
    }
    for (const f of forward) expect(f).toMatch(/^inside:/);
    // it cycles: after `stops` presses, focus is back where it started
    expect(forward[stops]).toBe(forward[0]);
    expect(new Set(forward).size).toBe(stops);

    const backward: string[] = [];
    for (let i = 0; i < stops * 2 + 1; i++) {
      await page.keyboard.press('Shift+Tab');
      backward.push(await focused());
    }
    for (const f of backward) expect(f).toMatch(/^inside:/);
    // the forward walk ended one stop past the start: one step back is the start, and again `stops` later
    expect(backward[0]).toBe(forward[0]);
    expect(backward[stops]).toBe(forward[0]);
    expect(new Set(backward)).toEqual(new Set(forward));

    // A click on the page behind the panel does not take focus out of it either.
    await page.locator('#range').focus();
    expect(await focused()).toMatch(/^inside:/);

    await page.keyboard.press('Escape');
    await expect.poll(async () => (await panel.getAttribute('class')) ?? '').not.toContain('expanded');
    expect(await panel.getAttribute('role')).toBeNull();
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
    expect((await panelViews(page)).every((v) => !v.expanded)).toBe(true);

    // Opened with the mouse (a click on the chart): focus moves into it, and to its button after Escape.
    await panel.locator('.plot').click();
    await expect.poll(async () => (await panel.getAttribute('class')) ?? '').toContain('expanded');
    expect(await focused()).toMatch(/^inside:panel-expand/);
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await panel.getAttribute('class')) ?? '').not.toContain('expanded');
    expect(await opener.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });
});
