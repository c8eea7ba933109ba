/** Monitoring as code: alert and recording rules, Grafana dashboard, Alertmanager and Kubernetes manifests. */
export {
  DEFAULT_MONITORING_CONFIG,
  MonitoringConfigError,
  loadMonitoringConfig,
  resolveMonitoringConfig,
} from './config.ts';
export type {
  AlertThreshold,
  MonitoringConfig,
  MonitoringConfigOverrides,
  ReceiverSpec,
  Severity,
  ThresholdPair,
} from './config.ts';
export { ALERT_GROUPS, buildAlerts, formatThreshold, runbookUrl } from './alerts.ts';
export type { AlertGroupName, AlertSpec, Component, ValueFormat } from './alerts.ts';
export {
  RECORDING_GROUP,
  RULE_FILE_NAME,
  buildP95Rules,
  buildRuleFile,
  healthScoreExpr,
  recordedSeries,
  renderPrometheusRule,
  renderRuleFile,
  renderRulesConfigMap,
} from './rules.ts';
export type { AlertingRule, RecordingRule, RuleFile, RuleGroup } from './rules.ts';
export {
  DASHBOARD_FILE,
  DASHBOARD_ROWS,
  DASHBOARD_UID,
  dashboardUid,
  DATASOURCE_REF,
  FILTER_VARIABLES,
  buildDashboard,
  dashboardPanels,
  interpolateQuery,
  renderDashboard,
} from './dashboard.ts';
export type { GrafanaDashboard, GrafanaPanel, PanelQuery, PanelSpec, PanelType } from './dashboard.ts';
export {
  INHIBIT_EQUAL,
  RECEIVER_NAMES,
  buildAlertmanagerConfig,
  renderAlertmanagerConfig,
} from './alertmanager.ts';
export type { AlertmanagerOverrides } from './alertmanager.ts';
export {
  buildFederationPrometheusConfig,
  buildKubernetesPrometheusConfig,
  buildStandalonePrometheusConfig,
  renderStandalonePrometheusConfig,
} from './prometheus.ts';
export type { StandalonePrometheusOptions } from './prometheus.ts';
export { healthScoreName, recordName } from './promql.ts';
export { CLUSTER_GROUP, clusterRecordingDefinitions, clusterSeriesRegex } from './cluster-rules.ts';
export { DEFAULT_REMOTE_WRITE } from './remote-write.ts';
export type { RemoteWriteAuthType, RemoteWriteConfig, RemoteWriteSeries } from './remote-write.ts';
export { DEFAULT_OUT_DIR, compareGenerated, generateAll, runGenerate } from './generate.ts';
export { BASE_OUT_DIR, defaultOutDir } from './generate.ts';
export type { GenerateOptions, GenerateResult } from './generate.ts';
