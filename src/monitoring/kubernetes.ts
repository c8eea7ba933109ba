/**
 * Kubernetes manifests for the monitoring stack: namespaces, Prometheus (a StatefulSet with its TSDB on a
 * PersistentVolumeClaim, RBAC for pod discovery), Alertmanager (a StatefulSet keeping silences on a volume),
 * Grafana (provisioned datasource and dashboard), the NetworkPolicy that lets Prometheus scrape the app, and the
 * annotations the app's pods need. Prometheus and Alertmanager reload edited ConfigMaps in place through a
 * sidecar: a threshold change neither restarts the pod nor resets the alerts' `for` timers. Secrets are
 * referenced here; the kustomization generates them from files the user writes (kustomize.ts).
 */
import { createHash } from 'node:crypto';
import { renderAlertmanagerConfig } from './alertmanager.ts';
import { ALERTMANAGER_SECRETS_DIR, type MonitoringConfig } from './config.ts';
import { DASHBOARD_FILE, renderDashboard } from './dashboard.ts';
import {
  claimTemplate,
  configMapVolume,
  configReloader,
  container,
  meta,
  PART_OF,
  podSecurity,
  service,
  statefulSet,
} from './kubernetes-objects.ts';
import {
  PROMETHEUS_CONFIG_DIR,
  PROMETHEUS_RULES_DIR,
  PROMETHEUS_SECRETS_DIR,
  remoteWriteSecretsDir,
  renderKubernetesPrometheusConfig,
} from './prometheus.ts';
import { remoteWriteMountsSecret } from './remote-write.ts';
import { RULE_FILE_NAME } from './rules.ts';
import { yamlFile } from './yaml.ts';

export const GRAFANA_PROVISIONING = '/etc/grafana/provisioning';
export const GRAFANA_DASHBOARDS_DIR = '/var/lib/grafana/dashboards/victor';
export const ALERTMANAGER_CONFIG_DIR = '/etc/alertmanager/config';
const NOBODY = 65534;
const GRAFANA_UID = 472; // the grafana image's user

const checksum = (text: string): string => createHash('sha256').update(text).digest('hex');

export function renderNamespace(config: MonitoringConfig): string {
  const k = config.kubernetes;
  const names = [k.monitoringNamespace, ...(k.createAppNamespace ? [k.appNamespace] : [])];
  return yamlFile(
    names.map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { ...PART_OF } },
    })),
    k.createAppNamespace
      ? `The monitoring namespace, and the app namespace (${k.appNamespace}) the discovery Role, the NetworkPolicy
and the token Secret live in. \`kubectl delete -k\` would delete the app namespace too: see docs/runbook.md.`
      : 'The monitoring namespace.',
  );
}

export function renderPrometheusManifests(config: MonitoringConfig): string {
  const k = config.kubernetes;
  const p = k.prometheus;
  const auth = config.scrape.auth;
  const tokenDir = `${PROMETHEUS_SECRETS_DIR}/${auth.secretName}`;
  const watched = [
    { name: 'config', mountPath: PROMETHEUS_CONFIG_DIR },
    { name: 'rules', mountPath: PROMETHEUS_RULES_DIR },
  ];
  const rwSecret = remoteWriteMountsSecret(config.remoteWrite)
    ? config.remoteWrite.auth.secretName
    : undefined;
  const podSpec = {
    serviceAccountName: 'prometheus',
    securityContext: podSecurity(NOBODY),
    containers: [
      container({
        name: 'prometheus',
        image: k.images.prometheus,
        args: [
          `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
          '--storage.tsdb.path=/prometheus',
          `--storage.tsdb.retention.time=${p.retention}`,
          ...(p.retentionSize ? [`--storage.tsdb.retention.size=${p.retentionSize}`] : []),
          '--web.enable-lifecycle', // POST /-/reload, used by the config-reloader sidecar
        ],
        ports: [{ name: 'http', containerPort: 9090 }],
        readinessProbe: { httpGet: { path: '/-/ready', port: 9090 } },
        livenessProbe: { httpGet: { path: '/-/healthy', port: 9090 }, failureThreshold: 6 },
        resources: k.resources.prometheus,
        volumeMounts: [
          ...watched.map((m) => ({ ...m, readOnly: true })),
          ...(auth.enabled ? [{ name: 'scrape-token', mountPath: tokenDir, readOnly: true }] : []),
          // The store credentials, read from the files on every write (a rotated Secret needs no restart).
          ...(rwSecret
            ? [{ name: 'remote-write', mountPath: remoteWriteSecretsDir(config), readOnly: true }]
            : []),
          { name: 'data', mountPath: '/prometheus' },
        ],
      }),
      configReloader(config, 'http://127.0.0.1:9090/-/reload', watched),
    ],
    volumes: [
      configMapVolume('config', 'prometheus-config'),
      configMapVolume('rules', 'performance-alerts'),
      ...(auth.enabled ? [{ name: 'scrape-token', secret: { secretName: auth.secretName } }] : []),
      ...(rwSecret ? [{ name: 'remote-write', secret: { secretName: rwSecret } }] : []),
    ],
  };
  return yamlFile(
    [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(config, 'prometheus', 'prometheus') },
      {
        // Pod discovery only in the app namespace: a Role there, bound to the monitoring ServiceAccount.
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'prometheus-discovery', namespace: k.appNamespace, labels: { ...PART_OF } },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'prometheus-discovery', namespace: k.appNamespace, labels: { ...PART_OF } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prometheus-discovery' },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: k.monitoringNamespace }],
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(config, 'prometheus-config', 'prometheus'),
        data: { 'prometheus.yml': renderKubernetesPrometheusConfig(config) },
      },
      statefulSet(config, 'prometheus', podSpec, [claimTemplate('data', p.storageSize, p.storageClassName)]),
      service(config, 'prometheus', 9090),
    ],
    `Prometheus: discovers annotated pods of the app namespace; rules (${RULE_FILE_NAME}) from the
performance-alerts ConfigMap. Edits of either ConfigMap are reloaded in place by the config-reloader sidecar.`,
  );
}

export function renderAlertmanagerManifests(config: MonitoringConfig): string {
  const k = config.kubernetes;
  const watched = [
    { name: 'config', mountPath: ALERTMANAGER_CONFIG_DIR },
    { name: 'receivers', mountPath: ALERTMANAGER_SECRETS_DIR },
  ];
  const podSpec = {
    securityContext: podSecurity(NOBODY),
    containers: [
      container({
        name: 'alertmanager',
        image: k.images.alertmanager,
        args: [
          `--config.file=${ALERTMANAGER_CONFIG_DIR}/alertmanager.yml`,
          '--storage.path=/alertmanager', // silences and the notification log survive a restart
          '--cluster.listen-address=', // one replica: no gossip
        ],
        ports: [{ name: 'http', containerPort: 9093 }],
        readinessProbe: { httpGet: { path: '/-/ready', port: 9093 } },
        livenessProbe: { httpGet: { path: '/-/healthy', port: 9093 }, failureThreshold: 6 },
        resources: k.resources.alertmanager,
        volumeMounts: [
          ...watched.map((m) => ({ ...m, readOnly: true })),
          { name: 'data', mountPath: '/alertmanager' },
        ],
      }),
      configReloader(config, 'http://127.0.0.1:9093/-/reload', watched),
    ],
    volumes: [
      configMapVolume('config', 'alertmanager-config'),
      { name: 'receivers', secret: { secretName: k.alertmanagerSecret } },
    ],
  };
  const storage = k.alertmanagerStorage;
  return yamlFile(
    [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(config, 'alertmanager-config', 'alertmanager'),
        data: { 'alertmanager.yml': renderAlertmanagerConfig(config) },
      },
      statefulSet(config, 'alertmanager', podSpec, [
        claimTemplate('data', storage.storageSize, storage.storageClassName),
      ]),
      service(config, 'alertmanager', 9093),
    ],
    `Alertmanager. The receivers' Secret (${k.alertmanagerSecret}) is generated by kustomization.yaml from
files in secrets/ (see docs/runbook.md). Config edits are reloaded in place by the config-reloader sidecar.`,
  );
}

export function renderGrafanaManifests(config: MonitoringConfig): string {
  const k = config.kubernetes;
  const datasources = yamlFile([
    {
      apiVersion: 1,
      datasources: [
        {
          name: 'Prometheus',
          uid: 'prometheus',
          type: 'prometheus',
          access: 'proxy',
          url: `http://prometheus.${k.monitoringNamespace}.svc:9090`,
          isDefault: true,
          jsonData: { timeInterval: config.scrape.interval },
        },
      ],
    },
  ]);
  const providers = yamlFile([
    {
      apiVersion: 1,
      providers: [
        {
          name: 'victor',
          folder: 'Victor',
          type: 'file',
          disableDeletion: false,
          allowUiUpdates: false,
          options: { path: GRAFANA_DASHBOARDS_DIR },
        },
      ],
    },
  ]);
  return yamlFile(
    [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(config, 'grafana-datasources', 'grafana'),
        data: { 'prometheus.yaml': datasources },
      },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(config, 'grafana-dashboard-provider', 'grafana'),
        data: { 'victor.yaml': providers },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(config, 'grafana', 'grafana'),
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'grafana' } },
          template: {
            // Grafana reads provisioning only at start: a changed datasource or provider rolls the pod. It keeps
            // no state worth a volume (the dashboard is provisioned, the password comes from a Secret).
            metadata: {
              labels: { app: 'grafana', ...PART_OF },
              annotations: { 'checksum/config': checksum(datasources + providers) },
            },
            spec: {
              securityContext: podSecurity(GRAFANA_UID),
              containers: [
                container({
                  name: 'grafana',
                  image: k.images.grafana,
                  ports: [{ name: 'http', containerPort: 3000 }],
                  env: [
                    { name: 'GF_SECURITY_ADMIN_USER', value: 'admin' },
                    {
                      name: 'GF_SECURITY_ADMIN_PASSWORD',
                      valueFrom: { secretKeyRef: { name: k.grafanaAdminSecret, key: 'admin-password' } },
                    },
                    { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
                    { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
                    { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
                  ],
                  readinessProbe: { httpGet: { path: '/api/health', port: 3000 } },
                  resources: k.resources.grafana,
                  volumeMounts: [
                    { name: 'datasources', mountPath: `${GRAFANA_PROVISIONING}/datasources`, readOnly: true },
                    {
                      name: 'dashboard-provider',
                      mountPath: `${GRAFANA_PROVISIONING}/dashboards`,
                      readOnly: true,
                    },
                    { name: 'dashboards', mountPath: GRAFANA_DASHBOARDS_DIR, readOnly: true },
                    { name: 'data', mountPath: '/var/lib/grafana' },
                    { name: 'tmp', mountPath: '/tmp' }, // the root filesystem is read-only
                  ],
                }),
              ],
              volumes: [
                configMapVolume('datasources', 'grafana-datasources'),
                configMapVolume('dashboard-provider', 'grafana-dashboard-provider'),
                configMapVolume('dashboards', 'grafana-dashboard-victor-performance'),
                { name: 'data', emptyDir: {} },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      },
      service(config, 'grafana', 3000),
    ],
    `Grafana with the Prometheus datasource and the victor-performance dashboard provisioned. The admin
password Secret (${k.grafanaAdminSecret}) is generated by kustomization.yaml from secrets/ (docs/runbook.md).`,
  );
}

/** The dashboard JSON in the ConfigMap the Grafana Deployment mounts at the provider's path. */
export function renderDashboardConfigMap(config: MonitoringConfig): string {
  return yamlFile(
    [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(config, 'grafana-dashboard-victor-performance', 'grafana'),
        data: { [DASHBOARD_FILE]: renderDashboard(config) },
      },
    ],
    'The victor-performance Grafana dashboard (applied by kustomization.yaml; Grafana picks up changes itself).',
  );
}

/**
 * Lets the monitoring namespace's Prometheus reach the API port of the app's pods. NetworkPolicies add up:
 * apply this next to the policies that already admit the app's own traffic (a policy selecting a pod isolates
 * it for ingress).
 */
export function renderNetworkPolicy(config: MonitoringConfig): string {
  const k = config.kubernetes;
  return yamlFile(
    [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-prometheus-scrape', namespace: k.appNamespace, labels: { ...PART_OF } },
        spec: {
          podSelector: { matchLabels: { ...k.appPodLabels } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [
                {
                  namespaceSelector: {
                    matchLabels: { 'kubernetes.io/metadata.name': k.monitoringNamespace },
                  },
                  podSelector: { matchLabels: { app: 'prometheus' } },
                },
              ],
              ports: [{ protocol: 'TCP', port: config.scrape.port }],
            },
          ],
        },
      },
    ],
    'Allows the scrape of the app pods by Prometheus (NetworkPolicies are additive; see the comment in kubernetes.ts).',
  );
}

/** A strategic-merge patch adding the scrape annotations to the app's Deployment. */
export function renderPodAnnotationsPatch(config: MonitoringConfig): string {
  return yamlFile(
    [
      {
        spec: {
          template: {
            metadata: {
              annotations: {
                'prometheus.io/scrape': 'true',
                'prometheus.io/port': String(config.scrape.port),
                'prometheus.io/path': config.scrape.path,
              },
            },
          },
        },
      },
    ],
    `Scrape annotations for the app's pods. Apply to your Deployment, e.g.:
kubectl -n ${config.kubernetes.appNamespace} patch deployment victor-api --patch-file snippets/app-pod-annotations.yaml`,
  );
}
