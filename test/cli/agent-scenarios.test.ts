/**
 * The scenarios through the AI SDK agent: the mock model server answers 429s, sends first chunks late, drops
 * a provider's connections; the agent's tools fail or take seconds; the selection cache goes cold. Each
 * scenario's effect shows where its alert reads it: the series on /metrics, and the alert firing in the local
 * alerts (`GET /api/performance/alerts`) of a server run with a 20 s rate window, 1 s evaluations and every
 * `for` at 1 s (thresholds unchanged). The fault scenarios run side by side at the demo's own rates.
 */
import { afterAll, describe, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import type { PerformanceSnapshot } from '../../src/collector/types.ts';
import type { ScenarioName } from '../../src/demo/scenarios.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';
import { CATALOG, metricName } from '../../src/metrics/catalog.ts';
import type { ApiAlert } from '../../src/monitoring/alerts-eval.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  resolveMonitoringConfig,
  type MonitoringConfigOverrides,
} from '../../src/monitoring/config.ts';
import { createServer, type PerformanceServer } from '../../src/server/server.ts';

const thresholds = Object.fromEntries(
  Object.entries(DEFAULT_MONITORING_CONFIG.thresholds).map(([key, t]) => [
    key,
    'threshold' in t ? { for: '1s' } : { warning: { for: '1s' }, critical: { for: '1s' } },
  ]),
);
const config = resolveMonitoringConfig({
  rateWindow: '20s',
  scrape: { evaluationInterval: '1s' },
  thresholds,
} as MonitoringConfigOverrides);

const started: Array<{ workload: Workload; server: PerformanceServer }> = [];
afterAll(async () => {
  await Promise.all(started.map(async (s) => (await s.workload.stop(), await s.server.close())));
}, 30_000);

interface Demo {
  url: string;
  workload: Workload;
  collector: PerformanceMetricsCollector;
}

async function startScenario(scenario: ScenarioName, seed: number): Promise<Demo> {
  const collector = new PerformanceMetricsCollector();
  const workload = startWorkload({ collector, scenario, seed });
  const server = createServer({ collector, port: 0, monitoring: config, ready: () => workload.ready });
  started.push({ workload, server });
  const url = await server.start();
  await workload.started;
  if (workload.llm !== 'agent') throw new Error('the AI SDK agent did not start');
  return { url, workload, collector };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, seen: () => string): Promise<T> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${seen()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function alerts(url: string): Promise<ApiAlert[]> {
  const body = (await (await fetch(`${url}/api/performance/alerts`)).json()) as {
    data: { alerts: ApiAlert[] };
  };
  return body.data.alerts;
}

/** Waits until `alertname` (for `provider`, if given) fires in the demo's local alerts. */
async function firing(demo: Demo, alertname: string, provider?: string): Promise<ApiAlert> {
  let seen: ApiAlert[] = [];
  return until(
    `${alertname}${provider ? `{provider="${provider}"}` : ''} firing`,
    async () => {
      seen = await alerts(demo.url);
      return seen.find(
        (a) =>
          a.labels.alertname === alertname &&
          a.state === 'firing' &&
          (provider === undefined || a.labels.provider === provider),
      );
    },
    () => JSON.stringify(seen.map((a) => [a.labels.alertname, a.labels.provider, a.state, a.value])),
  );
}

/** The value of one sample of the demo's /metrics. */
async function sample(demo: Demo, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${demo.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const summary = async (demo: Demo): Promise<PerformanceSnapshot> =>
  (await (await fetch(`${demo.url}/api/performance/summary`)).json()) as PerformanceSnapshot;

const errors = metricName(CATALOG.providerErrors);

// Alone first: time to first chunk is measured in this process, whose event loop the others would share.
describe('the normal workload through the AI SDK agent', { timeout: 180_000 }, () => {
  it('normal: streams and tokens flow and HighTimeToFirstToken does not fire', async ({ expect }) => {
    const demo = await startScenario('normal', 7);
    let s: PerformanceSnapshot | undefined;
    await until(
      'twenty streamed first chunks',
      async () => {
        s = await summary(demo);
        return demo.workload.agent!.runs >= 20 && (s.provider_pool!.time_to_first_chunk_ms.p95 ?? 0) > 0
          ? true
          : undefined;
      },
      () => JSON.stringify(s?.provider_pool),
    );
    expect(s!.provider_pool!.time_to_first_chunk_ms.p95).toBeLessThan(5000);
    expect(s!.provider_pool!.tokens.output).toBeGreaterThan(0);
    const names = (await alerts(demo.url)).map((a) => a.labels.alertname);
    expect(names).not.toContain('HighTimeToFirstToken');
  });
});

describe.concurrent(
  'scenarios through the AI SDK agent and the mock model server',
  { timeout: 180_000 },
  () => {
    it('rate-limits: openai answers 429s; ProviderRateLimited fires for openai', async ({ expect }) => {
      const demo = await startScenario('rate-limits', 1);
      const alert = await firing(demo, 'ProviderRateLimited', 'openai');
      expect(Number(alert.value)).toBeGreaterThan(0.05);
      expect(await sample(demo, errors, 'provider="openai",type="rate_limit"')).toBeGreaterThan(0);
    });

    it('slow-first-token: anthropic streams start late; HighTimeToFirstToken fires for anthropic', async ({
      expect,
    }) => {
      const demo = await startScenario('slow-first-token', 2);
      const alert = await firing(demo, 'HighTimeToFirstToken', 'anthropic');
      expect(Number(alert.value)).toBeGreaterThan(5);
      // anthropic's own first chunks (the summary's P95 mixes in the other providers' fast ones)
      const ttfc = metricName(CATALOG.providerTimeToFirstChunk);
      const slow =
        (await sample(demo, `${ttfc}_count`, 'provider="anthropic"')) -
        (await sample(demo, `${ttfc}_bucket`, 'provider="anthropic",le="5000"'));
      expect(slow).toBeGreaterThan(0);
    });

    it('provider-outage: anthropic drops every connection; its circuit opens and its failure alert pages', async ({
      expect,
    }) => {
      const demo = await startScenario('provider-outage', 3);
      await firing(demo, 'CriticalProviderFailureRate', 'anthropic');
      await firing(demo, 'UnhealthyProviders', 'anthropic');
      expect(await sample(demo, errors, 'provider="anthropic",type="network"')).toBeGreaterThan(0);
      expect((await summary(demo)).provider_pool!.errors.error_rate).toBeGreaterThan(0.1);
    });

    it('tool-errors: the agent tools fail; CriticalToolErrorRate fires', async ({ expect }) => {
      const demo = await startScenario('tool-errors', 4);
      const alert = await firing(demo, 'CriticalToolErrorRate');
      expect(Number(alert.value)).toBeGreaterThan(0.15);
    });

    it('slow-tools: the agent tools take seconds; CriticalToolExecutionLatency fires', async ({ expect }) => {
      const demo = await startScenario('slow-tools', 5);
      const alert = await firing(demo, 'CriticalToolExecutionLatency');
      expect(Number(alert.value)).toBeGreaterThan(5);
    });

    it('cache-miss-storm: the simulated selection cache goes cold; CriticalCacheMissRate fires', async ({
      expect,
    }) => {
      const demo = await startScenario('cache-miss-storm', 6);
      const alert = await firing(demo, 'CriticalCacheMissRate');
      expect(Number(alert.value)).toBeLessThan(0.2);
    });
  },
);
