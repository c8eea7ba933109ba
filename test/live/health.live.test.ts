/**
 * Health score parity with a real Prometheus: a demo started with the monitoring config (custom weights,
 * provider availability weighed in, a 30 s rate window) is scraped every second; the recording rule generated
 * from the same config must stay within 1 point of the demo's own `health_score` while the workload runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMonitoringConfig, type MonitoringConfigOverrides } from '../../src/monitoring/config.ts';
import { healthScoreName } from '../../src/monitoring/promql.ts';
import { startStack, type Stack } from '../../src/stack/stack.ts';
import { WITH_PROVIDERS } from '../collector/health-weights.ts';
import { getJson, promQuery, waitFor } from './helpers.ts';

const config = resolveMonitoringConfig({
  rateWindow: '30s',
  healthScore: { weights: WITH_PROVIDERS },
} as MonitoringConfigOverrides);

let stack: Stack | undefined;

beforeAll(async () => {
  stack = await startStack({
    demos: [{ scenario: 'provider-outage', seed: 11 }],
    monitoring: config,
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

interface Reading {
  own: number;
  recorded: number;
}

/** The demo's score and, at the same instant, the value Prometheus last recorded. */
async function read(): Promise<Reading | undefined> {
  const target = stack!.targets[0]!;
  const summary = await getJson<{ health_score: number | null }>(`http://${target}/api/performance/summary`);
  const at = Date.now() / 1000;
  const series = await promQuery(stack!.prometheusUrl, healthScoreName(config), at);
  if (summary.health_score === null || series.length !== 1) return undefined;
  return { own: summary.health_score, recorded: Number(series[0]!.value[1]) };
}

describe('health score: the recording rule and the process agree', () => {
  it('within 1 point while the provider-outage workload runs, with custom weights', async () => {
    // Wait until both have a full window of the outage behind them (30 s window, plus start-up).
    const start = Date.now();
    await waitFor(
      async () => Date.now() - start > 35_000 && (await read()),
      120_000,
      () => `no recorded ${healthScoreName(config)} yet`,
    );
    const readings: Reading[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await waitFor(read, 10_000, () => 'no reading');
      readings.push(r);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    const seen = JSON.stringify(readings);
    if (process.env.LIVE_DEBUG) console.log(`own vs recorded: ${seen}`);
    for (const r of readings) expect(Math.abs(r.own - r.recorded), seen).toBeLessThanOrEqual(1);
    // The provider term is weighed in and the pool fails over 30 %: well below green in both.
    expect(Math.max(...readings.map((r) => r.recorded)), seen).toBeLessThan(65);
  }, 200_000);

  it("the demo runs with the config's weights (its collector was given them through --config)", async () => {
    const target = stack!.targets[0]!;
    // The outage shows in the process's own score only because the provider term is weighed in.
    const summary = await getJson<{
      health_score: number;
      provider_pool: { errors: { error_rate: number } };
    }>(`http://${target}/api/performance/summary`);
    expect(summary.provider_pool.errors.error_rate).toBeGreaterThan(0.3);
    expect(summary.health_score).toBeLessThan(65);
  });
});
