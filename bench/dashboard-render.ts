/**
 * `npx tsx bench/dashboard-render.ts`: Chromium's CPU time (its TaskDuration counter: script, style, layout)
 * for one redraw of every panel of the built-in dashboard, for a 5 minute and a 1 hour range over an hour of
 * history (a demo workload sampled every 5 s), median of 15 redraws with nothing new to draw; and how big the
 * charts' hidden value tables are (cells in the page). The page's clock is set to the end of that hour.
 *
 * Binds 127.0.0.1 on an ephemeral port and stops by itself.
 */
import { PerformanceMetricsCollector } from '../src/collector/collector.ts';
import { startWorkload } from '../src/demo/workload.ts';
import { createServer } from '../src/server/server.ts';
import { launchBrowser } from '../test/web/helpers.ts';
import { redraw } from '../test/web/page-checks.ts';

const RENDERS = 15;
const collector = new PerformanceMetricsCollector();
const workload = startWorkload({ collector, seed: 7 });
const server = createServer({ collector, port: 0, ready: () => workload.ready });
const history = server.history!;
// An hour of samples 5 s apart, from now on (the history has taken its first one already; times only move
// forward); the page's clock is set to the last of them. The workload keeps recording while they are taken.
const start = Date.now() + 5_000;
const end = start + 3_600_000;
for (let t = start; t <= end; t += 5_000) history.sample(t);
const url = await server.start();
const browser = await launchBrowser();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  for (const range of ['5m', '1h']) {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.clock.setFixedTime(end + 1_000);
    await page.goto(`${url}/?range=${range}&refresh=off`);
    await page.waitForFunction(() => (window as { __dashboard?: { ready: boolean } }).__dashboard?.ready);
    // The page's clock is fake (performance.now too): CPU time comes from Chromium's own task counters.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const busy = async (): Promise<number> => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'TaskDuration')!.value * 1000;
    };
    const times: number[] = [];
    for (let i = 0; i < RENDERS; i++) {
      const taskMs = await busy();
      await redraw(page);
      times.push((await busy()) - taskMs);
    }
    const cells = await page.evaluate(() => document.querySelectorAll('.sr-only td, .sr-only th').length);
    console.log(
      `range ${range.padEnd(3)}  render of every panel: median ${median(times).toFixed(1)} ms ` +
        `(min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})  ` +
        `hidden table cells: ${cells}`,
    );
    await page.close();
  }
} finally {
  await browser.close();
  workload.stop();
  await server.close();
}
