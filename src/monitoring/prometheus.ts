/**
 * Prometheus configs: the in-cluster one (pod-annotation discovery, rule files, Alertmanager), the central
 * federation one for several clusters, and a standalone one for a local stack with static targets.
 */
import { clusterSeriesRegex } from './cluster-rules.ts';
import type { MonitoringConfig } from './config.ts';
import { healthScoreName } from './promql.ts';
import { remoteWriteMountsSecret, remoteWriteSection } from './remote-write.ts';
import { RULE_FILE_NAME } from './rules.ts';
import { yamlFile } from './yaml.ts';

/**
 * Where the StatefulSet mounts things: each ConfigMap and Secret as a whole directory of its own (never a
 * `subPath`, which would freeze the file at pod start), side by side rather than nested.
 */
export const PROMETHEUS_DIR = '/etc/prometheus';
export const PROMETHEUS_CONFIG_DIR = `${PROMETHEUS_DIR}/config`;
export const PROMETHEUS_RULES_DIR = `${PROMETHEUS_DIR}/rules`;
export const PROMETHEUS_SECRETS_DIR = `${PROMETHEUS_DIR}/secrets`;

/** The file the scrape job reads its bearer token from (the token Secret, mounted as a directory). */
export function scrapeTokenFile(config: MonitoringConfig): string {
  return `${PROMETHEUS_SECRETS_DIR}/${config.scrape.auth.secretName}/${config.scrape.auth.secretKey}`;
}

/** Where the Prometheus pod mounts the store credentials' Secret (when remote_write needs one). */
export function remoteWriteSecretsDir(config: MonitoringConfig): string {
  return `${PROMETHEUS_SECRETS_DIR}/${config.remoteWrite.auth.secretName}`;
}

const a = (annotation: string): string => `__meta_kubernetes_pod_annotation_prometheus_io_${annotation}`;

/**
 * The victor-perf scrape job for Kubernetes: pods of the app namespace annotated `prometheus.io/scrape: "true"`,
 * at `prometheus.io/port` (default: the API's port) and `prometheus.io/path` (default: the API's path).
 * The pod's namespace becomes `kubernetes_namespace`, not `namespace`: our cache metrics own that label.
 */
export function kubernetesScrapeJob(config: MonitoringConfig): Record<string, unknown> {
  const s = config.scrape;
  return {
    job_name: s.jobName,
    metrics_path: s.path,
    // The token is read from the file on every scrape, so a rotated Secret is picked up without a reload.
    ...(s.auth.enabled
      ? { authorization: { type: 'Bearer', credentials_file: scrapeTokenFile(config) } }
      : {}),
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [config.kubernetes.appNamespace] } }],
    relabel_configs: [
      { source_labels: [a('scrape')], action: 'keep', regex: 'true' },
      { source_labels: [a('path')], action: 'replace', regex: '(.+)', target_label: '__metrics_path__' },
      {
        // Pod IP with the annotated port, else the API's port (never the container's first port by accident).
        source_labels: ['__meta_kubernetes_pod_ip', a('port')],
        action: 'replace',
        regex: '(.+);(\\d+)',
        replacement: '$1:$2',
        target_label: '__address__',
      },
      {
        source_labels: ['__meta_kubernetes_pod_ip', a('port')],
        action: 'replace',
        regex: '(.+);',
        replacement: `$1:${s.port}`,
        target_label: '__address__',
      },
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'kubernetes_namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
    ],
  };
}

/** The in-cluster Prometheus config (prometheus.yml in the prometheus-config ConfigMap). */
export function buildKubernetesPrometheusConfig(config: MonitoringConfig): Record<string, unknown> {
  return {
    global: {
      scrape_interval: config.scrape.interval,
      evaluation_interval: config.scrape.evaluationInterval,
      external_labels: { cluster: config.kubernetes.cluster },
    },
    rule_files: [`${PROMETHEUS_RULES_DIR}/*.yml`],
    alerting: {
      alertmanagers: [
        { static_configs: [{ targets: [`alertmanager.${config.kubernetes.monitoringNamespace}.svc:9093`] }] },
      ],
    },
    scrape_configs: [
      kubernetesScrapeJob(config),
      { job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] },
    ],
    ...remoteWrite(config, remoteWriteSecretsDir(config)),
  };
}

function remoteWrite(config: MonitoringConfig, secretsDir: string): { remote_write?: unknown[] } {
  const section = remoteWriteSection(config, secretsDir);
  return section.length > 0 ? { remote_write: section } : {};
}

/**
 * A central Prometheus federating the per-cluster ones. Each cluster's Prometheus sets external_labels.cluster,
 * which federation attaches to every series, so the dashboard's `cluster` variable can tell clusters apart.
 */
export function buildFederationPrometheusConfig(config: MonitoringConfig): Record<string, unknown> {
  return {
    global: { scrape_interval: '30s', evaluation_interval: '30s', external_labels: { role: 'federation' } },
    scrape_configs: [
      {
        job_name: 'victor-federate',
        honor_labels: true, // keep job/instance/cluster of the source series
        metrics_path: '/federate',
        params: {
          'match[]': [
            `{${config.selector}}`,
            `{__name__="${healthScoreName(config)}"}`,
            '{__name__=~"job.*:.+:.+"}',
            // The per-cluster series carry no job label (cluster-rules.ts): matched by name.
            `{__name__=~"${clusterSeriesRegex(config)}"}`,
          ],
        },
        static_configs: [{ targets: [...config.federation.targets] }],
      },
    ],
  };
}

export interface StandalonePrometheusOptions {
  /** host:port of each victor-perf process, e.g. `127.0.0.1:8000`. */
  readonly targets: readonly string[];
  /** More targets, with labels of their own (e.g. `cluster`), scraped by the same job. */
  readonly targetGroups?: ReadonlyArray<{
    readonly targets: readonly string[];
    readonly labels: Record<string, string>;
  }>;
  /** Labels this Prometheus adds when federated or sending alerts, e.g. `{cluster: 'eu-1'}`. */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Rule files (absolute, or relative to the config file). */
  readonly ruleFiles: readonly string[];
  /** e.g. `http://127.0.0.1:9093`; omitted: no alerting section. */
  readonly alertmanagerUrl?: string;
  readonly scrapeInterval: string;
  readonly evaluationInterval?: string;
  /** File holding a bearer token the targets require. */
  readonly bearerTokenFile?: string;
  readonly metricsPath?: string;
  readonly jobName?: string;
  /**
   * With `remoteWrite` enabled and credentials in a Secret: the directory holding the Secret's files (one per
   * key, as a Secret mounted in a pod gives them).
   */
  readonly remoteWriteSecretsDir?: string;
}

/** A Prometheus config without Kubernetes: static targets (a local `victor-perf stack`). */
export function buildStandalonePrometheusConfig(
  config: MonitoringConfig,
  o: StandalonePrometheusOptions,
): Record<string, unknown> {
  const job: Record<string, unknown> = {
    job_name: o.jobName ?? config.scrape.jobName,
    metrics_path: o.metricsPath ?? config.scrape.path,
    static_configs: [
      ...(o.targets.length > 0 ? [{ targets: [...o.targets] }] : []),
      ...(o.targetGroups ?? []).map((g) => ({ targets: [...g.targets], labels: { ...g.labels } })),
    ],
  };
  if (o.bearerTokenFile) job.authorization = { type: 'Bearer', credentials_file: o.bearerTokenFile };
  const out: Record<string, unknown> = {
    global: {
      scrape_interval: o.scrapeInterval,
      evaluation_interval: o.evaluationInterval ?? o.scrapeInterval,
      ...(o.externalLabels ? { external_labels: { ...o.externalLabels } } : {}),
    },
    rule_files: [...o.ruleFiles],
    scrape_configs: [job],
  };
  if (config.remoteWrite.enabled) {
    if (remoteWriteMountsSecret(config.remoteWrite) && !o.remoteWriteSecretsDir) {
      throw new TypeError(
        `remoteWrite.auth.type is ${config.remoteWrite.auth.type}: give remoteWriteSecretsDir, the directory ` +
          'holding the credential files',
      );
    }
    Object.assign(out, remoteWrite(config, o.remoteWriteSecretsDir ?? ''));
  }
  if (o.alertmanagerUrl) {
    const url = new URL(o.alertmanagerUrl);
    const am: Record<string, unknown> = {
      scheme: url.protocol.replace(':', ''),
      static_configs: [{ targets: [url.host] }],
    };
    if (url.pathname !== '/' && url.pathname !== '') am.path_prefix = url.pathname;
    out.alerting = { alertmanagers: [am] };
  }
  return out;
}

export function renderStandalonePrometheusConfig(
  config: MonitoringConfig,
  o: StandalonePrometheusOptions,
): string {
  return yamlFile(
    [buildStandalonePrometheusConfig(config, o)],
    'Standalone Prometheus config (static targets).',
  );
}

export function renderKubernetesPrometheusConfig(config: MonitoringConfig): string {
  return yamlFile(
    [buildKubernetesPrometheusConfig(config)],
    `Prometheus config for Kubernetes; rule files (${RULE_FILE_NAME}) are mounted at ${PROMETHEUS_RULES_DIR}.`,
  );
}

export function renderFederationPrometheusConfig(config: MonitoringConfig): string {
  return yamlFile(
    [buildFederationPrometheusConfig(config)],
    'Central Prometheus for multi-cluster monitoring: federates each cluster Prometheus (replace the targets).',
  );
}
