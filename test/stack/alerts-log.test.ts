import { afterEach, describe, expect, it } from 'vitest';
import { formatAlert, startAlertsLog, type AlertsLog } from '../../src/stack/alerts-log.ts';

let log: AlertsLog | undefined;
afterEach(async () => {
  await log?.close();
  log = undefined;
});

// The shape Alertmanager's webhook_config posts (version 4), trimmed to what the log reads.
const payload = {
  version: '4',
  status: 'firing',
  receiver: 'paging',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'CriticalCacheMissRate', severity: 'critical', component: 'cache' },
      annotations: { summary: 'Cache hit rate critically low' },
      startsAt: '2026-11-27T09:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
    },
  ],
};

describe('alerts log', () => {
  it('records what Alertmanager posts and lists it', async () => {
    const seen: string[] = [];
    log = await startAlertsLog({ onAlert: (a) => seen.push(formatAlert(a)) });
    const res = await fetch(log.url, { method: 'POST', body: JSON.stringify(payload) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: 1 });
    expect(log.received).toMatchObject([
      { receiver: 'paging', status: 'firing', alertname: 'CriticalCacheMissRate', severity: 'critical' },
    ]);
    expect(seen[0]).toMatch(
      /^\S+ FIRING {3}CriticalCacheMissRate \[critical\] via paging - Cache hit rate critically low$/,
    );
    const listed = (await (await fetch(`${log.url}alerts`)).json()) as { alerts: unknown[] };
    expect(listed.alerts).toHaveLength(1);
  });

  it('answers 400 with the reason for a body that is not a webhook payload, and keeps nothing', async () => {
    log = await startAlertsLog();
    for (const body of ['not json', '{"alerts": 3}']) {
      const res = await fetch(log.url, { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).not.toBe('');
    }
    expect(log.received).toEqual([]);
    expect((await fetch(log.url, { method: 'PUT', body: '{}' })).status).toBe(405);
  });
});
