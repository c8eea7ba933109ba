/**
 * Kubernetes manifests for the monitoring stack: namespace, Prometheus (with RBAC for pod discovery),
 * Alertmanager, Grafana (provisioned datasource and dashboard), the NetworkPolicy that lets Prometheus scrape the
 * app, and the annotations the app's pods need. Secrets are referenced, never created with a value.
 */
import { createHash } from 'node:crypto';
import { renderAlertmanagerConfig } from './alertmanager.ts';
import type { MonitoringConfig } from './config.ts';
import { DASHBOARD_FILE, renderDashboard } from './dashboard.ts';
import {
  PROMETHEUS_CONFIG_DIR,
  PROMETHEUS_RULES_SUBDIR,
  renderKubernetesPrometheusConfig,
} from './prometheus.ts';
import { yamlFile } from './yaml.ts';

const PART_OF = { 'app.kubernetes.io/part-of': 'victor-perf' };
export const GRAFANA_PROVISIONING = '/etc/grafana/provisioning';
export const GRAFANA_DASHBOARDS_DIR = '/var/lib/grafana/dashboards/victor';

const checksum = (text: string): string => createHash('sha256').update(text).digest('hex');

function meta(config: MonitoringConfig, name: string, app?: string): Record<string, unknown> {
  return {
    name,
    namespace: config.kubernetes.monitoringNamespace,
    labels: app ? { app, ...PART_OF } : { ...PART_OF },
  };
}

function service(config: MonitoringConfig, app: string, port: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(config, app, app),
    spec: { selector: { app }, ports: [{ name: 'http', port, targetPort: port }] },
  };
}

function deployment(
  config: MonitoringConfig,
  app: string,
  podSpec: Record<string, unknown>,
  configText: string,
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(config, app, app),
    spec: {
      replicas: 1,
      selector: { matchLabels: { app } },
      template: {
        // A config change changes the checksum, so `kubectl apply` rolls the pod and the new config is read.
        metadata: { labels: { app, ...PART_OF }, annotations: { 'checksum/config': checksum(configText) } },
        spec: podSpec,
      },
    },
  };
}

const nonRoot = { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534 };
const configMapVolume = (name: string, configMap: string): Record<string, unknown> => ({
  name,
  configMap: { name: configMap },
});

export function renderNamespace(config: MonitoringConfig): string {
  return yamlFile([
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: config.kubernetes.monitoringNamespace, labels: { ...PART_OF } },
    },
  ]);
}

export function renderPrometheusManifests(config: MonitoringConfig, rulesText: string): string {
  const promConfig = renderKubernetesPrometheusConfig(config);
  const k = config.kubernetes;
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
        data: { 'prometheus.yml': promConfig },
      },
      deployment(
        config,
        'prometheus',
        {
          serviceAccountName: 'prometheus',
          securityContext: nonRoot,
          containers: [
            {
              name: 'prometheus',
              image: k.images.prometheus,
              args: [
                `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
                '--storage.tsdb.path=/prometheus',
                '--storage.tsdb.retention.time=15d',
                '--web.enable-lifecycle',
              ],
              ports: [{ name: 'http', containerPort: 9090 }],
              readinessProbe: { httpGet: { path: '/-/ready', port: 9090 } },
              livenessProbe: { httpGet: { path: '/-/healthy', port: 9090 } },
              resources: { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '2Gi' } },
              volumeMounts: [
                { name: 'config', mountPath: PROMETHEUS_CONFIG_DIR },
                // rule_files: rules/*.yml, relative to the config file.
                { name: 'rules', mountPath: `${PROMETHEUS_CONFIG_DIR}/${PROMETHEUS_RULES_SUBDIR}` },
                { name: 'data', mountPath: '/prometheus' },
              ],
            },
          ],
          volumes: [
            configMapVolume('config', 'prometheus-config'),
            configMapVolume('rules', 'performance-alerts'),
            { name: 'data', emptyDir: {} },
          ],
        },
        promConfig + rulesText,
      ),
      service(config, 'prometheus', 9090),
    ],
    'Prometheus: discovers annotated pods of the app namespace; rules from the performance-alerts ConfigMap.',
  );
}

export function renderAlertmanagerManifests(config: MonitoringConfig): string {
  const amConfig = renderAlertmanagerConfig(config);
  const k = config.kubernetes;
  return yamlFile(
    [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(config, 'alertmanager-config', 'alertmanager'),
        data: { 'alertmanager.yml': amConfig },
      },
      deployment(
        config,
        'alertmanager',
        {
          securityContext: nonRoot,
          containers: [
            {
              name: 'alertmanager',
              image: k.images.alertmanager,
              args: [
                '--config.file=/etc/alertmanager/alertmanager.yml',
                '--storage.path=/alertmanager',
                '--cluster.listen-address=', // one replica: no gossip
              ],
              ports: [{ name: 'http', containerPort: 9093 }],
              readinessProbe: { httpGet: { path: '/-/ready', port: 9093 } },
              volumeMounts: [
                {
                  name: 'config',
                  mountPath: '/etc/alertmanager/alertmanager.yml',
                  subPath: 'alertmanager.yml',
                },
                { name: 'receivers', mountPath: '/etc/alertmanager/secrets', readOnly: true },
                { name: 'data', mountPath: '/alertmanager' },
              ],
            },
          ],
          volumes: [
            configMapVolume('config', 'alertmanager-config'),
            { name: 'receivers', secret: { secretName: k.alertmanagerSecret } },
            { name: 'data', emptyDir: {} },
          ],
        },
        amConfig,
      ),
      service(config, 'alertmanager', 9093),
    ],
    `Alertmanager. Create the receivers' Secret first, e.g.:
kubectl -n ${k.monitoringNamespace} create secret generic ${k.alertmanagerSecret} \\
  --from-file=pagerduty-routing-key=./pagerduty-key --from-file=slack-webhook-url=./slack-url \\
  --from-file=slack-low-priority-webhook-url=./slack-low-url`,
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
      deployment(
        config,
        'grafana',
        {
          securityContext: { runAsNonRoot: true, runAsUser: 472, fsGroup: 472 },
          containers: [
            {
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
              ],
              readinessProbe: { httpGet: { path: '/api/health', port: 3000 } },
              volumeMounts: [
                { name: 'datasources', mountPath: `${GRAFANA_PROVISIONING}/datasources` },
                { name: 'dashboard-provider', mountPath: `${GRAFANA_PROVISIONING}/dashboards` },
                { name: 'dashboards', mountPath: GRAFANA_DASHBOARDS_DIR },
                { name: 'data', mountPath: '/var/lib/grafana' },
              ],
            },
          ],
          volumes: [
            configMapVolume('datasources', 'grafana-datasources'),
            configMapVolume('dashboard-provider', 'grafana-dashboard-provider'),
            configMapVolume('dashboards', 'grafana-dashboard-victor-performance'),
            { name: 'data', emptyDir: {} },
          ],
        },
        datasources + providers,
      ),
      service(config, 'grafana', 3000),
    ],
    `Grafana with the Prometheus datasource and the victor-performance dashboard provisioned.
Create the admin password Secret first:
kubectl -n ${k.monitoringNamespace} create secret generic ${k.grafanaAdminSecret} --from-literal=admin-password='...'`,
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
    'The victor-performance Grafana dashboard: kubectl apply -f dashboards/',
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
