/**
 * Alerting rules evaluated the way Prometheus' rule manager does: at each evaluation, every sample of the
 * rule's expression is an active alert (its labels minus the metric name, plus the rule's labels and
 * `alertname`); a new one is `pending` and becomes `firing` once it has been active for the rule's `for`;
 * one whose sample is gone is resolved (kept 15 minutes as resolved when it had fired, dropped when pending).
 */
import type { Expr } from './expr.ts';
import { evaluate, signature, type EvalOptions, type Labels, type SeriesStore } from './evaluate.ts';
import { renderTemplate } from './template.ts';

export interface AlertRule {
  readonly name: string;
  readonly expr: Expr;
  readonly forMs: number;
  readonly labels: Labels;
  /** Templates over `$labels` and `$value`. */
  readonly annotations: Labels;
}

export type AlertState = 'pending' | 'firing' | 'inactive';

export interface AlertInstance {
  readonly rule: string;
  readonly labels: Labels;
  annotations: Labels;
  state: AlertState;
  value: number;
  readonly activeAt: number;
  firedAt?: number;
  resolvedAt?: number;
}

export const RESOLVED_RETENTION_MS = 15 * 60_000;

export class AlertEvaluator {
  private readonly active = new Map<string, Map<string, AlertInstance>>();

  constructor(
    readonly rules: readonly AlertRule[],
    private readonly options: EvalOptions = {},
  ) {}

  /** Evaluates every rule at `t` and returns the alerts that are pending or firing afterwards. */
  evaluate(store: SeriesStore, t: number): AlertInstance[] {
    for (const rule of this.rules) this.evaluateRule(rule, store, t);
    return this.alerts().filter((a) => a.state !== 'inactive');
  }

  /** Every alert known: pending, firing, and recently resolved (`inactive` with `resolvedAt`). */
  alerts(): AlertInstance[] {
    return [...this.active.values()].flatMap((m) => [...m.values()]);
  }

  private evaluateRule(rule: AlertRule, store: SeriesStore, t: number): void {
    let byKey = this.active.get(rule.name);
    if (!byKey) this.active.set(rule.name, (byKey = new Map()));
    const seen = new Set<string>();
    for (const sample of evaluate(rule.expr, store, t, this.options)) {
      const exprLabels: Record<string, string> = {};
      for (const [k, v] of Object.entries(sample.labels)) if (k !== '__name__') exprLabels[k] = v;
      const labels = { ...exprLabels, ...rule.labels, alertname: rule.name };
      const key = signature(labels);
      seen.add(key);
      const annotations = Object.fromEntries(
        Object.entries(rule.annotations).map(([k, v]) => [k, renderTemplate(v, exprLabels, sample.value)]),
      );
      const existing = byKey.get(key);
      if (existing && existing.state !== 'inactive') {
        existing.value = sample.value;
        existing.annotations = annotations;
        continue;
      }
      byKey.set(key, {
        rule: rule.name,
        labels,
        annotations,
        state: 'pending',
        value: sample.value,
        activeAt: t,
      });
    }
    for (const [key, a] of byKey) {
      if (!seen.has(key)) {
        if (
          a.state === 'pending' ||
          (a.resolvedAt !== undefined && t - a.resolvedAt > RESOLVED_RETENTION_MS)
        ) {
          byKey.delete(key);
        }
        if (a.state !== 'inactive') {
          a.state = 'inactive';
          a.resolvedAt = t;
        }
        continue;
      }
      if (a.state === 'pending' && t - a.activeAt >= rule.forMs) {
        a.state = 'firing';
        a.firedAt = t;
      }
    }
  }
}
