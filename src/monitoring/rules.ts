/**
 * Prometheus rule file: the recording rules (P95s, health score) and the alert groups of alerts.ts, rendered as
 * a plain rule file (for `rule_files`), a ConfigMap (so `kubectl apply -f performance-alerts.yaml` works) and a
 * PrometheusRule for the Prometheus operator.
 */
import { ALERT_GROUPS, buildAlerts, runbookUrl, type AlertSpec } from './alerts.ts';
import type { MonitoringConfig } from './config.ts';
import { CLUSTER_GROUP, clusterRecordingDefinitions } from './cluster-rules.ts';
import { CUSTOM_ALERT_GROUP } from './custom.ts';
import { CATALOG } from '../metrics/catalog.ts';
import type { Expr } from '../query/expr.ts';
import { healthQuery } from '../query/health.ts';
import { toPromQL } from '../query/promql.ts';
import type { AlertRule } from '../query/alerting.ts';
import { parseDuration } from '../query/evaluate.ts';
import { healthScope, healthScoreName, quantile, recordName } from './promql.ts';
import { yamlFile } from './yaml.ts';

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

export const RECORDING_GROUP = 'victor_performance_recording';
/** Key of the rule file in the ConfigMap; the Prometheus config's rule_files glob matches it. */
export const RULE_FILE_NAME = 'performance_alerts.yml';

/** A recording rule in the query form. */
export interface RecordingDefinition {
  readonly record: string;
  readonly query: Expr;
}

/** P95s worth keeping as series: selection, execution (all tools) and per-provider latency. */
export function p95Definitions(config: MonitoringConfig): RecordingDefinition[] {
  const C = CATALOG;
  return [
    {
      record: recordName(config, 'job', C.toolSelectionDuration, 'p95'),
      query: quantile(config, C.toolSelectionDuration, 0.95),
    },
    {
      record: recordName(config, 'job', C.toolExecutionDuration, 'p95'),
      query: quantile(config, C.toolExecutionDuration, 0.95, ['tool']),
    },
    {
      record: recordName(config, 'job_provider', C.providerLatency, 'p95'),
      query: quantile(config, C.providerLatency, 0.95),
    },
  ];
}

const printed = (d: RecordingDefinition): RecordingRule => ({ record: d.record, expr: toPromQL(d.query) });

export function buildP95Rules(config: MonitoringConfig): RecordingRule[] {
  return p95Definitions(config).map(printed);
}

/**
 * Health score 0..100: the terms of query/health.ts with the config's weights, every term aggregated across
 * replicas to the job's target labels (so the terms match one to one), a term without data anchored to 1 by
 * the job's uptime series. The collector evaluates the same terms in-process (`health_score`).
 */
export function healthScoreQuery(config: MonitoringConfig): Expr {
  return healthQuery(healthScope(config), config.healthScore);
}

export function healthScoreExpr(config: MonitoringConfig): string {
  return toPromQL(healthScoreQuery(config));
}

/** Every recording rule in the query form, in rule-file order (P95s, the health score, per cluster). */
export function recordingDefinitions(config: MonitoringConfig): RecordingDefinition[] {
  return [
    ...p95Definitions(config),
    { record: healthScoreName(config), query: healthScoreQuery(config) },
    ...clusterRecordingDefinitions(config),
  ];
}

/** The alerting rules in the query form, for the in-process evaluator (same labels and annotations). */
export function alertRules(config: MonitoringConfig): AlertRule[] {
  return buildAlerts(config).map((a) => {
    const r = alertingRule(config, a);
    return {
      name: r.alert,
      expr: a.query,
      forMs: parseDuration(r.for),
      labels: r.labels,
      annotations: r.annotations,
    };
  });
}

/** The recorded series by name, for evaluating queries that read them (the health score alerts). */
export function recordedQueries(config: MonitoringConfig): Map<string, Expr> {
  return new Map(recordingDefinitions(config).map((d) => [d.record, d.query]));
}

function alertingRule(config: MonitoringConfig, a: AlertSpec): AlertingRule {
  return {
    alert: a.alert,
    expr: a.expr,
    for: a.for,
    labels: { severity: a.severity, component: a.component, family: a.family },
    annotations: { summary: a.summary, description: a.description, ...runbookAnnotation(config, a) },
  };
}

/** Our alerts link their section of docs/runbook.md; a custom alert links only the runbook its entry names. */
function runbookAnnotation(config: MonitoringConfig, a: AlertSpec): { runbook_url?: string } {
  if (a.group !== CUSTOM_ALERT_GROUP) return { runbook_url: runbookUrl(config, a.alert) };
  const url = config.custom.flatMap((e) => e.alerts ?? []).find((c) => c.name === a.alert)?.runbookUrl;
  return url ? { runbook_url: url } : {};
}

export function buildRuleFile(config: MonitoringConfig): RuleFile {
  const alerts = buildAlerts(config);
  const groups: RuleGroup[] = [{ name: RECORDING_GROUP, rules: buildP95Rules(config) }];
  for (const name of ALERT_GROUPS) {
    const rules: (RecordingRule | AlertingRule)[] = [];
    // Recorded in the summary group itself, before its alerts: rules of a group run in order, so the alerts
    // see the score of the same evaluation.
    if (name === 'victor_performance_summary') {
      rules.push({ record: healthScoreName(config), expr: healthScoreExpr(config) });
    }
    rules.push(...alerts.filter((a) => a.group === name).map((a) => alertingRule(config, a)));
    groups.push({ name, rules });
  }
  const custom = alerts.filter((a) => a.group === CUSTOM_ALERT_GROUP);
  if (custom.length > 0) {
    groups.push({ name: CUSTOM_ALERT_GROUP, rules: custom.map((a) => alertingRule(config, a)) });
  }
  // Last: it reads the health score the summary group records (promtool evaluates groups in file order).
  groups.push({ name: CLUSTER_GROUP, rules: clusterRecordingDefinitions(config).map(printed) });
  return { groups };
}

/** Names of all series the rules record (queries may reference them besides catalog metrics). */
export function recordedSeries(config: MonitoringConfig): string[] {
  return buildRuleFile(config).groups.flatMap((g) =>
    g.rules.flatMap((r) => ('record' in r ? [r.record] : [])),
  );
}

export function renderRuleFile(config: MonitoringConfig): string {
  return yamlFile([buildRuleFile(config)], 'Prometheus rule file (rule_files): alert and recording rules.');
}

/** The rule file as a ConfigMap in the monitoring namespace, mounted by the Prometheus Deployment. */
export function renderRulesConfigMap(config: MonitoringConfig): string {
  return yamlFile(
    [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'performance-alerts',
          namespace: config.kubernetes.monitoringNamespace,
          labels: {
            'app.kubernetes.io/part-of': 'victor-perf',
            'app.kubernetes.io/component': 'alert-rules',
          },
        },
        data: { [RULE_FILE_NAME]: renderRuleFile(config) },
      },
    ],
    'Alert and recording rules as a ConfigMap: kubectl apply -f performance-alerts.yaml',
  );
}

/** The same groups as a PrometheusRule, for clusters run by the Prometheus operator. */
export function renderPrometheusRule(config: MonitoringConfig): string {
  return yamlFile(
    [
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: {
          name: 'victor-performance',
          namespace: config.kubernetes.monitoringNamespace,
          // What the Prometheus resource's ruleSelector matches (operator/prometheus.yaml).
          labels: { ...config.kubernetes.operator.ruleLabels },
        },
        spec: buildRuleFile(config),
      },
    ],
    'Alert and recording rules for the Prometheus operator (needs its CRDs).',
  );
}
