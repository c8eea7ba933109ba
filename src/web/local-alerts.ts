/**
 * Alerts with nothing installed: the generated alert rules (the same definitions, thresholds, `for`,
 * labels and annotations as the Prometheus rule file) evaluated in-process every rule interval over the
 * collector's own exposition, with Prometheus' pending / firing / resolved states.
 *
 * Each evaluation reads one `collectAndExport()`, adds the series to a short raw-sample store (only as far
 * back as the rules look: rate window + lookback; older samples and vanished series are pruned, so memory is
 * bounded by series x window / interval), then runs the rules. The process is one target: its series carry
 * the selector's labels (e.g. `job="victor-perf"`) and `instance="local"`, as a scrape would add them.
 *
 * Notifications go to Alertmanager-compatible webhook receivers: the payload Alertmanager sends (version 4),
 * one group per alert name, sent when the group's firing set changes, resent every repeat interval while it
 * fires, and a resolved message once every alert of it has resolved. A failed send is counted, never thrown.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { apiAlert, type ApiAlert } from '../monitoring/alerts-eval.ts';
import type { MonitoringConfig } from '../monitoring/config.ts';
import { selectorMatchers } from '../monitoring/promql.ts';
import { alertRules, recordedQueries } from '../monitoring/rules.ts';
import { AlertEvaluator, type AlertInstance } from '../query/alerting.ts';
import { DEFAULT_LOOKBACK_MS, parseDuration, type SeriesStore, type SeriesView } from '../query/evaluate.ts';
import { lowerBound } from '../query/store.ts';
import { parseExposition } from './sample.ts';

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

/** Raw samples of the exposition, kept as far back as the rules read. */
class RecentSamples implements SeriesStore {
  private readonly byName = new Map<
    string,
    Map<string, { labels: Record<string, string>; t: number[]; v: number[] }>
  >();

  constructor(private readonly keepMs: number) {}

  append(t: number, text: string, target: Readonly<Record<string, string>>): void {
    for (const [name, list] of parseExposition(text)) {
      let byKey = this.byName.get(name);
      if (!byKey) this.byName.set(name, (byKey = new Map()));
      for (const s of list) {
        const labels = { ...s.labels, ...target, __name__: name };
        const key = JSON.stringify(Object.entries(labels).sort());
        let series = byKey.get(key);
        if (!series) byKey.set(key, (series = { labels, t: [], v: [] }));
        series.t.push(t);
        series.v.push(s.value);
      }
    }
    const oldest = t - this.keepMs;
    for (const [name, byKey] of this.byName) {
      for (const [key, s] of byKey) {
        const cut = lowerBound(s.t, oldest);
        if (cut === s.t.length) byKey.delete(key);
        else if (cut > 0) {
          s.t.splice(0, cut);
          s.v.splice(0, cut);
        }
      }
      if (byKey.size === 0) this.byName.delete(name);
    }
  }

  series(metric: string): Iterable<SeriesView> {
    const byKey = this.byName.get(metric);
    if (!byKey) return [];
    return [...byKey.values()].map((s) => ({
      labels: s.labels,
      points: (from: number, to: number) => {
        const a = lowerBound(s.t, from);
        const b = lowerBound(s.t, to + 1e-9, a);
        return { t: s.t.slice(a, b), v: s.v.slice(a, b) };
      },
    }));
  }

  get seriesCount(): number {
    let n = 0;
    for (const m of this.byName.values()) n += m.size;
    return n;
  }
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
    this.target = { instance: 'local' };
    for (const m of selectorMatchers(config)) if (m.op === '=') this.target[m.label] = m.value;
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
