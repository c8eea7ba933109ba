/**
 * The kustomization that makes the stack one apply: `kubectl apply -k deployment/kubernetes/monitoring` creates
 * the namespaces first, then everything else, and generates the Secrets from files the user writes into
 * `secrets/` (never checked in). kustomize stops with "no such file" naming the missing file, so a forgotten
 * credential fails before anything is applied.
 */
import { ALERTMANAGER_SECRETS_DIR, type MonitoringConfig, type ReceiverSpec } from './config.ts';
import { PART_OF } from './kubernetes-objects.ts';
import { remoteWriteSecretKeys } from './remote-write.ts';
import { yamlFile } from './yaml.ts';

/** Directory (relative to the kustomization) holding the files the Secrets are generated from. */
export const SECRETS_DIR = 'secrets';

/** One key of a generated Secret and the file it comes from. */
export interface SecretFile {
  readonly secret: string;
  readonly namespace: string;
  readonly key: string;
  /** Path relative to the kustomization directory. */
  readonly file: string;
  /** What to put in the file, for the runbook. */
  readonly what: string;
}

function receiverFiles(spec: ReceiverSpec): { path: string; what: string }[] {
  switch (spec.kind) {
    case 'pagerduty':
      return [{ path: spec.routingKeyFile, what: 'PagerDuty Events API v2 routing key' }];
    case 'slack':
      return [{ path: spec.apiUrlFile, what: `Slack incoming webhook URL for ${spec.channel}` }];
    case 'webhook':
      return [];
  }
}

/** Every file the generated Secrets read, derived from the config (receivers, token, Grafana password). */
export function secretFiles(config: MonitoringConfig): SecretFile[] {
  const k = config.kubernetes;
  const out: SecretFile[] = [
    {
      secret: k.grafanaAdminSecret,
      namespace: k.monitoringNamespace,
      key: 'admin-password',
      file: `${SECRETS_DIR}/grafana-admin-password`,
      what: 'Grafana admin password',
    },
  ];
  const seen = new Set<string>();
  for (const spec of Object.values(config.alertmanager.receivers)) {
    for (const { path, what } of receiverFiles(spec)) {
      if (!path.startsWith(`${ALERTMANAGER_SECRETS_DIR}/`)) continue; // a file the user mounts otherwise
      const key = path.slice(ALERTMANAGER_SECRETS_DIR.length + 1);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        secret: k.alertmanagerSecret,
        namespace: k.monitoringNamespace,
        key,
        file: `${SECRETS_DIR}/${key}`,
        what,
      });
    }
  }
  const auth = config.scrape.auth;
  if (auth.enabled) {
    // One token file, two Secrets: the app's pods require it, Prometheus (another namespace) sends it.
    for (const namespace of [k.appNamespace, k.monitoringNamespace]) {
      out.push({
        secret: auth.secretName,
        namespace,
        key: auth.secretKey,
        file: `${SECRETS_DIR}/${auth.secretName}`,
        what: 'bearer token of the victor-perf API and /metrics',
      });
    }
  }
  const rw = config.remoteWrite;
  for (const key of remoteWriteSecretKeys(rw)) {
    out.push({
      secret: rw.auth.secretName,
      namespace: k.monitoringNamespace,
      key,
      file: `${SECRETS_DIR}/${rw.auth.secretName}-${key}`,
      what:
        rw.auth.type === 'basic'
          ? `password of the user ${rw.auth.username} at the remote_write store`
          : 'bearer token of the remote_write store',
    });
  }
  return out;
}

/**
 * Keys written from the config rather than from a file: the remote_write user name (no secret), which the
 * operator reads from the Secret while prometheus.yml carries it inline.
 */
export function secretLiterals(
  config: MonitoringConfig,
): { secret: string; namespace: string; key: string; value: string }[] {
  const rw = config.remoteWrite;
  if (!rw.enabled || rw.auth.type !== 'basic') return [];
  return [
    {
      secret: rw.auth.secretName,
      namespace: config.kubernetes.monitoringNamespace,
      key: rw.auth.usernameKey,
      value: rw.auth.username,
    },
  ];
}

/** The kustomization over `resources` (generated paths, in apply order, the namespaces first). */
export function renderKustomization(config: MonitoringConfig, resources: readonly string[]): string {
  const generators = new Map<
    string,
    { name: string; namespace: string; files: string[]; literals?: string[] }
  >();
  // The receivers' Secret is mounted even with no credential file (webhook receivers): generate it anyway.
  generators.set(`${config.kubernetes.monitoringNamespace}/${config.kubernetes.alertmanagerSecret}`, {
    name: config.kubernetes.alertmanagerSecret,
    namespace: config.kubernetes.monitoringNamespace,
    files: [],
  });
  for (const f of secretFiles(config)) {
    const id = `${f.namespace}/${f.secret}`;
    const g = generators.get(id) ?? { name: f.secret, namespace: f.namespace, files: [] };
    g.files.push(`${f.key}=${f.file}`);
    generators.set(id, g);
  }
  for (const l of secretLiterals(config)) {
    const g = generators.get(`${l.namespace}/${l.secret}`);
    if (g) g.literals = [...(g.literals ?? []), `${l.key}=${l.value}`];
  }
  return yamlFile(
    [
      {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: [...resources],
        // Stable names: the manifests reference the Secrets by the names in the monitoring config.
        // Labelled like everything else, so that the part-of selector finds them too.
        generatorOptions: { disableNameSuffixHash: true, labels: { ...PART_OF } },
        secretGenerator: [...generators.values()].map((g) => ({
          name: g.name,
          namespace: g.namespace,
          type: 'Opaque',
          ...(g.files.length > 0 ? { files: g.files } : {}),
          ...(g.literals ? { literals: g.literals } : {}),
        })),
      },
    ],
    `kubectl apply -k . creates everything: namespaces first, then the stack, with the Secrets generated from
files in ${SECRETS_DIR}/ (write them first; see "Deploy" in docs/runbook.md).`,
  );
}
