/**
 * The Prometheus operator flavour: a PodMonitor for the app and a reference Prometheus resource whose
 * selectors match it and the PrometheusRule (rules.ts). Under the operator the scrape's labels differ from the
 * plain config's unless told otherwise: the job would be `<namespace>/<podmonitor>` and the pod's namespace
 * would take the `namespace` label our cache metrics own. The relabelling here makes the operator's series
 * carry the same labels as the plain job's, so every rule and panel (which select `job="<scrape.jobName>"`)
 * matches them.
 */
import type { MonitoringConfig } from './config.ts';
import { HARDENED_CONTAINER, PART_OF } from './kubernetes-objects.ts';
import { operatorRemoteWrite } from './remote-write.ts';
import { yamlFile } from './yaml.ts';

export const POD_MONITOR_NAME = 'victor-perf';

/** Relabellings applied after the operator's own (it appends user relabellings to the ones it generates). */
export function operatorRelabelings(config: MonitoringConfig): Record<string, unknown>[] {
  return [
    // The job every expression selects, instead of `<namespace>/<podmonitor>`.
    { action: 'replace', targetLabel: 'job', replacement: config.scrape.jobName },
    // The pod's namespace as kubernetes_namespace (as the plain job names it); `namespace` is left to the
    // metrics (the cache namespace), which would otherwise be renamed to exported_namespace.
    { action: 'replace', sourceLabels: ['namespace'], targetLabel: 'kubernetes_namespace' },
    { action: 'labeldrop', regex: 'namespace' },
  ];
}

export function buildPodMonitor(config: MonitoringConfig): Record<string, unknown> {
  const k = config.kubernetes;
  const s = config.scrape;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: {
      name: POD_MONITOR_NAME,
      namespace: k.monitoringNamespace,
      labels: { ...k.operator.monitorLabels },
    },
    spec: {
      selector: { matchLabels: { ...k.appPodLabels } },
      namespaceSelector: { matchNames: [k.appNamespace] },
      podMetricsEndpoints: [
        {
          port: s.portName,
          path: s.path,
          interval: s.interval,
          // The Secret is read from the PodMonitor's namespace: the kustomization generates it there too.
          ...(s.auth.enabled
            ? {
                authorization: {
                  type: 'Bearer',
                  credentials: { name: s.auth.secretName, key: s.auth.secretKey },
                },
              }
            : {}),
          relabelings: operatorRelabelings(config),
        },
      ],
    },
  };
}

/**
 * A Prometheus resource for this stack: its rule and PodMonitor selectors are the ones the PrometheusRule and
 * PodMonitor labels satisfy. With a Prometheus of your own, copy the four selectors into it.
 */
export function buildOperatorPrometheus(config: MonitoringConfig): Record<string, unknown> {
  const k = config.kubernetes;
  const inMonitoringNamespace = { matchLabels: { 'kubernetes.io/metadata.name': k.monitoringNamespace } };
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'Prometheus',
    metadata: { name: 'victor-perf', namespace: k.monitoringNamespace, labels: { ...PART_OF } },
    spec: {
      replicas: 1,
      // The ServiceAccount and the discovery Role of prometheus.yaml (apply those, or bind your own).
      serviceAccountName: 'prometheus',
      ruleSelector: { matchLabels: { ...k.operator.ruleLabels } },
      ruleNamespaceSelector: inMonitoringNamespace,
      podMonitorSelector: { matchLabels: { ...k.operator.monitorLabels } },
      podMonitorNamespaceSelector: inMonitoringNamespace,
      serviceMonitorSelector: { matchLabels: { ...k.operator.monitorLabels } },
      serviceMonitorNamespaceSelector: inMonitoringNamespace,
      evaluationInterval: config.scrape.evaluationInterval,
      scrapeInterval: config.scrape.interval,
      externalLabels: { cluster: k.cluster },
      retention: k.prometheus.retention,
      ...(k.prometheus.retentionSize ? { retentionSize: k.prometheus.retentionSize } : {}),
      storage: {
        volumeClaimTemplate: {
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(k.prometheus.storageClassName ? { storageClassName: k.prometheus.storageClassName } : {}),
            resources: { requests: { storage: k.prometheus.storageSize } },
          },
        },
      },
      resources: {
        requests: { ...k.resources.prometheus.requests },
        limits: { ...k.resources.prometheus.limits },
      },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        fsGroup: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      // The operator's containers (prometheus, config-reloader) take the same hardening as ours.
      containers: ['prometheus', 'config-reloader'].map((name) => ({
        name,
        securityContext: { ...HARDENED_CONTAINER, capabilities: { drop: ['ALL'] } },
      })),
      alerting: {
        alertmanagers: [{ namespace: k.monitoringNamespace, name: 'alertmanager', port: 'http' }],
      },
      // Credentials by Secret key: the operator reads the Secret (monitoring namespace) itself.
      ...(config.remoteWrite.enabled ? { remoteWrite: operatorRemoteWrite(config) } : {}),
    },
  };
}

export function renderPodMonitor(config: MonitoringConfig): string {
  return yamlFile(
    [buildPodMonitor(config)],
    `The app's pods for the Prometheus operator (needs its CRDs). Its labels must match the Prometheus
resource's podMonitorSelector (operator/prometheus.yaml); the job label is set to "${config.scrape.jobName}", the
job every rule and panel selects.`,
  );
}

export function renderOperatorPrometheus(config: MonitoringConfig): string {
  return yamlFile(
    [buildOperatorPrometheus(config)],
    `A Prometheus resource for the operator whose selectors match operator/prometheus-rule.yaml and
operator/pod-monitor.yaml. Running your own? Give it these ruleSelector, podMonitorSelector and namespace
selectors (or set kubernetes.operator.ruleLabels/monitorLabels to what it selects, and regenerate).`,
  );
}
