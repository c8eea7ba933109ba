/**
 * The provider availability term: the description's weights leave the provider pool out, so during the
 * `provider-outage` demo scenario (one provider down, the others failing over, pool failure rate > 30 %) the
 * score stays green; a user who weighs the term in sees it drop well below the green threshold (70).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { HealthScore } from '../../src/collector/health.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { WITH_PROVIDERS } from './health-weights.ts';

const GREEN = DEFAULT_MONITORING_CONFIG.thresholds.healthScore.warning.threshold;

let workload: Workload | undefined;
afterEach(() => workload?.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `scenario` (events 4x faster than real time) and reads, every 250 ms, the collector's score (provider
 * term weighed in) and the default-weight score over the same series, until `done` holds or 40 s pass.
 */
async function watch(
  scenario: 'provider-outage' | 'normal',
  done: (weighted: number, byDefault: number, elapsedMs: number) => boolean,
): Promise<{ weighted: number; byDefault: number; providerErrorRate: number | null }> {
  const collector = new PerformanceMetricsCollector({ health: { weights: WITH_PROVIDERS, window: '30s' } });
  const byDefault = new HealthScore(collector.prefix, { window: '30s' });
  workload = startWorkload({ collector, scenario, seed: 3, speed: 4 });
  await workload.started;
  const start = Date.now();
  let last = { weighted: NaN, byDefault: NaN, providerErrorRate: null as number | null };
  while (Date.now() - start < 40_000) {
    await sleep(250);
    const snapshot = collector.getAllMetrics();
    last = {
      weighted: snapshot.health_score!,
      byDefault: byDefault.score(collector.metrics())!,
      providerErrorRate: snapshot.provider_pool?.errors.error_rate ?? null,
    };
    if (done(last.weighted, last.byDefault, Date.now() - start)) return last;
  }
  throw new Error(`not within 40 s: last ${JSON.stringify(last)}`);
}

describe('health score: provider availability term', () => {
  it('provider-outage: green with the default weights, well below green with the term weighed in', async () => {
    const seen = await watch(
      'provider-outage',
      (weighted, _d, elapsed) => elapsed > 8000 && weighted < GREEN - 10,
    );
    expect(seen.providerErrorRate).toBeGreaterThan(0.3);
    expect(seen.weighted).toBeLessThan(GREEN - 10);
    // The same series with the description's weights: the pool is left out, so the score stays green.
    expect(seen.byDefault).toBeGreaterThan(GREEN + 5);
  }, 60_000);

  it('normal: both stay green', async () => {
    const seen = await watch('normal', (_w, _d, elapsed) => elapsed > 8000);
    expect(seen.byDefault).toBeGreaterThan(GREEN + 5);
    expect(seen.weighted).toBeGreaterThan(GREEN);
  }, 60_000);
});
