/**
 * Alerts with nothing installed: the generated alert rules (the same definitions, thresholds, `for`,
 * labels and annotations as the Prometheus rule file) evaluated in-process every rule interval over the
 * collector's own exposition, with Prometheus' pending / firing / resolved states.
 *
 * Each evaluation reads one `collectAndExport()`, adds the series to a short raw-sample store (only as far
 * back as the rules look: rate window + lookback; recent.ts), then runs the rules. The process is one target: its series carry
 * the selector's labels (e.g. `job="victor-perf"`) and `instance="local"`, as a scrape would add them.
 *
 * Notifications go to Alertmanager-compatible webhook receivers: the payload Alertmanager sends (version 4),
 * one group per alert name, sent when the group's firing set changes, resent every repeat interval while it
 * fires, and a resolved message once every alert of it has resolved. A failed send is counted, never thrown.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { apiAlert, type ApiAlert } from '../monitoring/alerts-eval.ts';
import type { MonitoringConfig } from '../monitoring/config.ts';
import { alertRules, recordedQueries } from '../monitoring/rules.ts';
import { AlertEvaluator, type AlertInstance } from '../query/alerting.ts';
import { DEFAULT_LOOKBACK_MS, parseDuration } from '../query/evaluate.ts';
import { localTarget, RecentSamples } from './recent.ts';

export interface LocalAlertsOptions {
  /** Evaluation interval (default: the config's rule evaluation interval). */
  intervalMs?: number;
  /** Alertmanager-compatible webhook receivers. */
  webhooks?: readonly string[];
  /** Resend a firing group this often (default: the config's Alertmanager repeat interval). */
  repeatIntervalMs?: number;
  /** Base URL of this server (the `externalURL` of notifications). */
  externalUrl?: string;
  now?: () => number;
}

/** One alert of a webhook message, as Alertmanager sends it. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Alertmanager's webhook payload (version 4). */
export interface WebhookMessage {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
export const LOCAL_RECEIVER = 'victor-perf-local';

function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)));
}

function fingerprint(labels: Record<string, string>): string {
  // FNV-1a over the sorted label pairs: stable per label set, like Alertmanager's fingerprint.
  let h = 0xcbf29ce484222325n;
  for (const [k, v] of Object.entries(labels).sort()) {
    for (const c of `${k}\u00ff${v}\u00ff`) {
      h ^= BigInt(c.codePointAt(0)!);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return h.toString(16).padStart(16, '0');
}

export class LocalAlerts {
  readonly intervalMs: number;
  /** Notifications that could not be delivered (network error or non-2xx answer). */
  notificationErrors = 0;
  /** Notifications delivered. */
  notificationsSent = 0;
  /** Evaluations that failed inside the monitor (counted, never thrown into the host). */
  evaluationErrors = 0;
  private readonly evaluator: AlertEvaluator;
  private readonly samples: RecentSamples;
  private readonly target: Record<string, string>;
  private readonly now: () => number;
  private readonly webhooks: readonly string[];
  private readonly repeatIntervalMs: number;
  private readonly externalUrl: string;
  /** Per alert name: the firing keys last notified and when. */
  private readonly notified = new Map<string, { keys: string; at: number }>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private current: AlertInstance[] = [];

  constructor(
    private readonly collector: PerformanceMetricsCollector,
    config: MonitoringConfig,
    options: LocalAlertsOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? parseDuration(config.scrape.evaluationInterval);
    if (!(this.intervalMs >= 100)) throw new RangeError(`intervalMs must be >= 100, got ${this.intervalMs}`);
    for (const url of options.webhooks ?? []) {
      const u = new URL(url); // throws on a malformed URL: a programmer's mistake, reported at the call
      if (u.protocol !== 'http:' && u.protocol !== 'https:') {
        throw new RangeError(`alert webhook must be an http(s) URL, got ${url}`);
      }
    }
    this.webhooks = options.webhooks ?? [];
    this.repeatIntervalMs = options.repeatIntervalMs ?? parseDuration(config.alertmanager.repeatInterval);
    this.externalUrl = options.externalUrl ?? '';
    this.now = options.now ?? Date.now;
    this.evaluator = new AlertEvaluator(alertRules(config), {
      recorded: recordedQueries(config),
      ruleIntervalMs: this.intervalMs,
    });
    this.samples = new RecentSamples(
      parseDuration(config.rateWindow) + DEFAULT_LOOKBACK_MS + 2 * this.intervalMs,
    );
    this.target = localTarget(config);
  }

  start(): void {
    if (this.timer) return;
    this.evaluate();
    this.timer = setInterval(() => this.evaluate(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops evaluating and waits for notifications under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** One evaluation now (or at `t`): sample, run the rules, notify. */
  evaluate(t: number = this.now()): void {
    try {
      this.samples.append(t, this.collector.collectAndExport().text, this.target);
      this.current = this.evaluator.evaluate(this.samples, t);
      if (this.webhooks.length > 0) this.notify(t);
    } catch {
      this.evaluationErrors++;
    }
  }

  /** Pending and firing alerts, as Prometheus' `/api/v1/alerts` lists them. */
  alerts(): ApiAlert[] {
    return this.current.map((a) => apiAlert(a));
  }

  get storedSeries(): number {
    return this.samples.seriesCount;
  }

  private notify(t: number): void {
    const byName = new Map<string, AlertInstance[]>();
    for (const a of this.evaluator.alerts()) {
      if (a.firedAt === undefined) continue; // pending alerts are not sent, as in Prometheus
      let list = byName.get(a.rule);
      if (!list) byName.set(a.rule, (list = []));
      list.push(a);
    }
    for (const [name, list] of byName) {
      const firing = list.filter((a) => a.state === 'firing');
      const keys = firing
        .map((a) => fingerprint(a.labels))
        .sort()
        .join(',');
      const last = this.notified.get(name);
      const changed = !last || last.keys !== keys;
      if (!changed && (firing.length === 0 || t - last.at < this.repeatIntervalMs)) continue;
      if (!last && firing.length === 0) continue;
      this.notified.set(name, { keys, at: t });
      this.send(
        this.message(
          name,
          firing.length > 0 ? list.filter((a) => a.state !== 'inactive' || a.resolvedAt === t) : list,
        ),
      );
    }
    for (const name of this.notified.keys()) if (!byName.has(name)) this.notified.delete(name);
  }

  private message(name: string, alerts: AlertInstance[]): WebhookMessage {
    const iso = (ms: number): string => new Date(ms).toISOString();
    const out: WebhookAlert[] = alerts.map((a) => ({
      status: a.state === 'firing' ? 'firing' : 'resolved',
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: iso(a.activeAt),
      endsAt: a.state === 'firing' || a.resolvedAt === undefined ? ZERO_TIME : iso(a.resolvedAt),
      generatorURL: this.externalUrl ? `${this.externalUrl}/api/performance/alerts` : '',
      fingerprint: fingerprint(a.labels),
    }));
    return {
      version: '4',
      groupKey: `{}:{alertname="${name}"}`,
      truncatedAlerts: 0,
      status: out.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      receiver: LOCAL_RECEIVER,
      groupLabels: { alertname: name },
      commonLabels: common(out.map((a) => a.labels)),
      commonAnnotations: common(out.map((a) => a.annotations)),
      externalURL: this.externalUrl,
      alerts: out,
    };
  }

  private send(message: WebhookMessage): void {
    const body = JSON.stringify(message);
    for (const url of this.webhooks) {
      const p = fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (res) => {
          await res.body?.cancel();
          if (res.ok) this.notificationsSent++;
          else this.notificationErrors++;
        },
        () => {
          this.notificationErrors++;
        },
      );
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }
  }
}
