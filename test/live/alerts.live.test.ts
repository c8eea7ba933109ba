/**
 * Alerting end to end: demo scenarios drive a real Prometheus (rules generated from the config with every `for`
 * shortened to 10 s and a 1 m rate window; nothing edited by hand), which fires the alerts of the cache,
 * provider-pool, tool-execution and summary groups; a real Alertmanager routes them by severity (critical ->
 * paging, warning -> chat), inhibits a warning while its critical fires, and sends them to the stack's local
 * alerts log (a webhook receiver); each alert resolves once its scenario ends. A `normal` demo, in its own
 * cluster, fires no critical alert meanwhile.
 *
 * One stack, four demos, each in a cluster named after its scenario (target label `cluster`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MONITORING_CONFIG,
  resolveMonitoringConfig,
  type MonitoringConfigOverrides,
} from '../../src/monitoring/config.ts';
import { interpolateQuery } from '../../src/monitoring/dashboard.ts';
import type { ReceivedAlert } from '../../src/stack/alerts-log.ts';
import { startStack, type Stack } from '../../src/stack/stack.ts';
import { firingAlertsQuery, getJson, promQuery, waitFor } from './helpers.ts';

/** Every threshold's `for` -> FOR; thresholds themselves stay the description's. */
const FOR = '10s';
const thresholds: Record<string, unknown> = Object.fromEntries(
  Object.entries(DEFAULT_MONITORING_CONFIG.thresholds).map(([key, t]) => [
    key,
    'threshold' in t ? { for: FOR } : { warning: { for: FOR }, critical: { for: FOR } },
  ]),
);
// A 1 m window (not 30 s): the normal demo's local-llama outage (15 s a minute) would push that provider's
// failure ratio near the 30 % of the critical alert in a 30 s window.
const config = resolveMonitoringConfig({ rateWindow: '1m', thresholds } as MonitoringConfigOverrides);

/** Seconds each scenario lasts before its demo returns to normal. */
const SCENARIO_SECONDS = 90;
const SCENARIOS = ['provider-outage', 'cache-miss-storm', 'tool-errors'] as const;

let stack: Stack | undefined;
let startedAt = 0;

interface Expected {
  alertname: string;
  receiver: 'paging' | 'chat';
  cluster: string;
  provider?: string;
}

const received = (): ReceivedAlert[] => stack!.alertsLog!.received;
const matches = (a: ReceivedAlert, e: Omit<Expected, 'receiver'>): boolean =>
  a.alertname === e.alertname &&
  a.labels.cluster === e.cluster &&
  (e.provider === undefined || a.labels.provider === e.provider);
const logSummary = (): string =>
  received()
    .map(
      (a) =>
        `${a.receivedAt} ${a.status} ${a.alertname} ${a.severity} via ${a.receiver} cluster=${a.labels.cluster}` +
        (a.labels.provider ? ` provider=${a.labels.provider}` : ''),
    )
    .join('\n') || '(nothing received)';

/** Waits for a firing notification of `e` and checks its receiver and severity. */
async function expectFiring(e: Expected, timeoutMs: number): Promise<ReceivedAlert> {
  const alert = await waitFor(
    async () => received().find((a) => a.status === 'firing' && matches(a, e)),
    timeoutMs,
    () => `no firing ${JSON.stringify(e)} in the alerts log:\n${logSummary()}`,
  );
  expect(alert.receiver).toBe(e.receiver);
  expect(alert.severity).toBe(e.receiver === 'paging' ? 'critical' : 'warning');
  expect(alert.labels.job).toBe('victor-perf');
  expect(alert.annotations.summary).toBeTruthy();
  expect(alert.annotations.description).toBeTruthy();
  return alert;
}

interface AmAlert {
  labels: Record<string, string>;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; inhibitedBy: string[]; silencedBy: string[] };
}
const amAlerts = (): Promise<AmAlert[]> =>
  getJson<AmAlert[]>(`${stack!.alertmanagerUrl}/api/v2/alerts?active=true&inhibited=true&silenced=true`);

/** The alerts that fired (and must resolve), filled in by the tests below. */
const fired: Expected[] = [];
/** Last time Alertmanager was seen with CriticalCacheMissRate active (ms since epoch). */
let criticalCacheActiveUntil = 0;

beforeAll(async () => {
  startedAt = Date.now();
  stack = await startStack({
    demos: [...SCENARIOS, 'normal' as const].map((scenario, i) => ({
      scenario,
      seed: i + 1,
      args: scenario === 'normal' ? [] : ['--scenario-duration', String(SCENARIO_SECONDS)],
      labels: { cluster: scenario },
    })),
    monitoring: config,
    scrapeInterval: '1s',
    evaluationInterval: '1s',
    groupWait: '1s',
  });
}, 240_000);

afterAll(async () => {
  if (process.env.LIVE_DEBUG) console.log(`started ${new Date(startedAt).toISOString()}\n${logSummary()}`);
  await stack?.stop();
}, 60_000);

describe('alerts from demo scenarios through Prometheus and Alertmanager to the webhook', () => {
  it('Prometheus runs the rules generated with the shortened for', async () => {
    const body = await getJson<{
      data: {
        groups: Array<{ name: string; rules: Array<{ name: string; type: string; duration?: number }> }>;
      };
    }>(`${stack!.prometheusUrl}/api/v1/rules`);
    const rules = body.data.groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting'));
    expect(rules).toHaveLength(27);
    const durations = Object.fromEntries(rules.map((r) => [r.name, r.duration]));
    expect(durations.CriticalCacheMissRate).toBe(10);
    expect(durations.UnhealthyProviders).toBe(10);
  }, 30_000);

  it('cache: CriticalCacheMissRate pages for its cluster; HighCacheMissRate is inhibited meanwhile', async () => {
    const critical = {
      alertname: 'CriticalCacheMissRate',
      receiver: 'paging',
      cluster: 'cache-miss-storm',
    } as const;
    await expectFiring(critical, 120_000);
    fired.push(critical);

    // The warning of the same family fires in Prometheus too, but Alertmanager holds it back.
    let seen = '';
    await waitFor(
      async () => {
        const alerts = (await amAlerts()).filter((a) => a.labels.cluster === 'cache-miss-storm');
        seen = JSON.stringify(alerts.map((a) => [a.labels.alertname, a.status.state, a.status.inhibitedBy]));
        const crit = alerts.find((a) => a.labels.alertname === 'CriticalCacheMissRate');
        const warn = alerts.find((a) => a.labels.alertname === 'HighCacheMissRate');
        if (crit?.status.state !== 'active') return false;
        criticalCacheActiveUntil = Date.now();
        return warn?.status.state === 'suppressed' && warn.status.inhibitedBy.length > 0;
      },
      30_000,
      () => `HighCacheMissRate not seen inhibited: ${seen}`,
    );
    const warnings = received().filter(
      (a) => a.alertname === 'HighCacheMissRate' && a.labels.cluster === 'cache-miss-storm',
    );
    expect(warnings, logSummary()).toEqual([]);
  }, 180_000);

  it('tool execution: CriticalToolErrorRate pages for its cluster', async () => {
    const critical = {
      alertname: 'CriticalToolErrorRate',
      receiver: 'paging',
      cluster: 'tool-errors',
    } as const;
    await expectFiring(critical, 60_000);
    fired.push(critical);
  }, 120_000);

  it('summary: the health score of the cache-miss-storm cluster falls and PerformanceDegraded/Critical fires', async () => {
    const alert = await waitFor(
      async () =>
        received().find(
          (a) =>
            a.status === 'firing' &&
            a.labels.cluster === 'cache-miss-storm' &&
            (a.alertname === 'PerformanceDegraded' || a.alertname === 'PerformanceCritical'),
        ),
      60_000,
      () => `no summary alert for cache-miss-storm:\n${logSummary()}`,
    );
    const e = {
      alertname: alert.alertname,
      receiver: alert.alertname === 'PerformanceCritical' ? 'paging' : 'chat',
      cluster: 'cache-miss-storm',
    } as const;
    await expectFiring(e, 1000);
    fired.push(e);
  }, 120_000);

  it('the "Firing Alerts" dashboard panel lists the firing alerts', async () => {
    const expr = interpolateQuery(firingAlertsQuery(config).expr, { rateInterval: '1m', range: '5m' });
    let seen = '';
    await waitFor(
      async () => {
        const rows = await promQuery(stack!.prometheusUrl, expr);
        seen = JSON.stringify(rows.map((r) => r.metric));
        const names = new Set(rows.map((r) => r.metric.alertname));
        return fired.length > 0 && fired.every((e) => names.has(e.alertname));
      },
      30_000,
      () => `panel rows: ${seen}`,
    );
    const rows = await promQuery(stack!.prometheusUrl, expr);
    const crit = rows.find((r) => r.metric.alertname === 'CriticalCacheMissRate');
    expect(crit?.metric).toEqual({
      alertname: 'CriticalCacheMissRate',
      severity: 'critical',
      component: 'cache',
    });
  }, 60_000);

  it('provider pool: CriticalProviderFailureRate pages and UnhealthyProviders goes to chat', async () => {
    const failure = {
      alertname: 'CriticalProviderFailureRate',
      receiver: 'paging',
      cluster: 'provider-outage',
      provider: 'anthropic',
    } as const;
    const unhealthy = {
      alertname: 'UnhealthyProviders',
      receiver: 'chat',
      cluster: 'provider-outage',
      provider: 'anthropic',
    } as const;
    // Until shortly after the scenario ends: these alerts cannot start firing later.
    const untilEnd = (): number =>
      Math.max(startedAt + SCENARIO_SECONDS * 1000 + 20_000 - Date.now(), 10_000);
    await expectFiring(failure, untilEnd());
    fired.push(failure);
    await expectFiring(unhealthy, untilEnd());
    fired.push(unhealthy);
  }, 180_000);

  it('each alert resolves after its scenario ends', async () => {
    expect(fired.length).toBeGreaterThan(0);
    const latest = (e: Expected): ReceivedAlert | undefined =>
      [...received()].reverse().find((a) => matches(a, e));
    await waitFor(
      async () => {
        // Meanwhile, note how long Alertmanager still has the critical cache alert active.
        const crit = (await amAlerts()).find(
          (a) =>
            a.labels.alertname === 'CriticalCacheMissRate' &&
            a.labels.cluster === 'cache-miss-storm' &&
            a.status.state === 'active',
        );
        if (crit) criticalCacheActiveUntil = Date.now();
        return fired.every((e) => latest(e)?.status === 'resolved');
      },
      180_000,
      () =>
        `not resolved: ${JSON.stringify(fired.filter((e) => latest(e)?.status !== 'resolved'))}\n${logSummary()}`,
    );
    for (const e of fired) {
      const resolved = latest(e)!;
      expect(resolved.receiver, JSON.stringify(e)).toBe(e.receiver);
    }
    // The warning never reached the webhook while the critical was active in Alertmanager.
    const early = received().filter(
      (a) =>
        a.alertname === 'HighCacheMissRate' &&
        a.labels.cluster === 'cache-miss-storm' &&
        a.status === 'firing' &&
        Date.parse(a.receivedAt) <= criticalCacheActiveUntil,
    );
    expect(early, logSummary()).toEqual([]);
  }, 240_000);

  it('the normal cluster fired no critical alert', async () => {
    const up = await promQuery(stack!.prometheusUrl, 'up{cluster="normal"}');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    const criticals = received().filter((a) => a.labels.cluster === 'normal' && a.severity === 'critical');
    expect(criticals, logSummary()).toEqual([]);
    const since = Math.ceil((Date.now() - startedAt) / 1000) + 10;
    const history = await promQuery(
      stack!.prometheusUrl,
      `max_over_time(ALERTS{cluster="normal", severity="critical", alertstate="firing"}[${since}s])`,
    );
    expect(history.map((s) => s.metric)).toEqual([]);
  }, 60_000);
});
