/**
 * What the page (headless Chromium, against real servers) makes of the history's panel series: tools whose
 * names hold `,` `"` `\` `=` `}` (or look like markup) each get their own row in Top Tools by Execution, named
 * exactly; with the series cap set low (`--history-max-series`), the page says how many series were not kept.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs, UsageError } from '../../src/cli/args.ts';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createServer, type PerformanceServer } from '../../src/server/server.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { consoleErrors, launchBrowser } from './helpers.ts';

const NAMES = ['search,web', 'search', 'web', 'q"x', 'back\\slash', 'a=b', 'c}d', '<b>bold</b>'];

let browser: Browser | undefined;
const servers: PerformanceServer[] = [];

/** A server whose history has sampled the tools twice (so that their increases exist). */
async function serve(maxSeries?: number): Promise<string> {
  const tools = new ToolExecutionMonitor();
  const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
  const server = createServer({
    collector,
    port: 0,
    history: { resolutionMs: 1000, ...(maxSeries ? { maxSeries } : {}) },
  });
  servers.push(server);
  const url = await server.start();
  server.history!.stop();
  const start = Date.now();
  for (let round = 0; round < 3; round++) {
    NAMES.forEach((name, i) => {
      for (let k = 0; k <= i; k++) tools.record(name, 5, true);
    });
    server.history!.sample(start + round * 1000);
  }
  return url;
}

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = consoleErrors(page);
  await page.goto(`${url}/?range=5m&refresh=off`);
  await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
  return { page, errors };
}

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
});

describe('the page over the panel series', () => {
  it('lists each oddly named tool on its own row, named exactly', async () => {
    const { page, errors } = await open(await serve());
    const rows = page.locator('#panel-top-tools-by-execution tbody tr');
    await expect.poll(() => rows.count()).toBe(NAMES.length);
    const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')?.textContent ?? ''));
    // Tool i ran i+1 times per round: the table is ordered by count, largest first.
    expect(names).toEqual([...NAMES].reverse());
    expect(await page.locator('#updated').getAttribute('data-dropped')).toBe('0');

    // The tool filter narrows a per-tool panel to that tool; an overall line says it does not follow it.
    await page.selectOption('#f-tool', 'q"x');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.locator('td').first().textContent()).toBe('q"x');
    const errorsPanel = page.locator('#panel-execution-errors');
    expect(await errorsPanel.getAttribute('data-unfiltered')).toBe('tool');
    expect(await errorsPanel.locator('h3').getAttribute('title')).toMatch(/^Not filtered by tool/);
    expect(await page.locator('#panel-top-tools-by-execution').getAttribute('data-unfiltered')).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says how many series the history could not keep under a low cap', async () => {
    const { page, errors } = await open(await serve(3));
    const updated = page.locator('#updated');
    expect(Number(await updated.getAttribute('data-dropped'))).toBeGreaterThan(0);
    expect(await updated.textContent()).toMatch(/\d+ series not kept \(history cap 3\)/);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('--history-max-series', () => {
  it('sets the cap, and refuses what is not a positive integer', () => {
    expect(parseServeArgs(['--history-max-series', '5000'], {})).toMatchObject({ historyMaxSeries: 5000 });
    expect(parseServeArgs([], {})).toMatchObject({ historyMaxSeries: undefined });
    for (const bad of ['0', '-1', 'many', '1.5'])
      expect(() => parseServeArgs(['--history-max-series', bad], {})).toThrow(UsageError);
  });
});
