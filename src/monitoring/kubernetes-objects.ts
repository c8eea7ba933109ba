/**
 * Building blocks of the Kubernetes manifests, so that every workload gets the same hardening: requests and
 * limits from the config, a non-root pod, and containers with a read-only root filesystem, no capabilities,
 * no privilege escalation and the runtime's default seccomp profile.
 */
import type { ContainerResources, MonitoringConfig } from './config.ts';

type Obj = Record<string, unknown>;

export const PART_OF = { 'app.kubernetes.io/part-of': 'victor-perf' } as const;

export function meta(config: MonitoringConfig, name: string, app?: string): Obj {
  return {
    name,
    namespace: config.kubernetes.monitoringNamespace,
    labels: app ? { app, ...PART_OF } : { ...PART_OF },
  };
}

export function service(config: MonitoringConfig, app: string, port: number): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(config, app, app),
    spec: { selector: { app }, ports: [{ name: 'http', port, targetPort: port }] },
  };
}

/** The container-level hardening every container gets (tests assert it on each one). */
export const HARDENED_CONTAINER = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

/** Pod-level: a fixed non-root user, and fsGroup so that it can write its volumes. */
export function podSecurity(uid: number): Obj {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly args?: readonly string[];
  readonly env?: readonly Obj[];
  readonly ports?: readonly Obj[];
  readonly readinessProbe?: Obj;
  readonly livenessProbe?: Obj;
  readonly volumeMounts: readonly Obj[];
  readonly resources: ContainerResources;
}

export function container(c: ContainerSpec): Obj {
  return {
    name: c.name,
    image: c.image,
    ...(c.args ? { args: [...c.args] } : {}),
    ...(c.env ? { env: [...c.env] } : {}),
    ...(c.ports ? { ports: [...c.ports] } : {}),
    ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
    ...(c.livenessProbe ? { livenessProbe: c.livenessProbe } : {}),
    resources: {
      requests: { ...c.resources.requests },
      limits: { ...c.resources.limits },
    },
    securityContext: { ...HARDENED_CONTAINER, capabilities: { drop: ['ALL'] } },
    volumeMounts: [...c.volumeMounts],
  };
}

/**
 * The sidecar that reloads a server in place (POST to its reload endpoint) when a watched directory changes.
 * Kubernetes updates a ConfigMap mounted as a directory atomically within about a minute of an edit; a
 * `subPath` mount would never be updated, which is why nothing reloadable is mounted that way.
 */
export function configReloader(
  config: MonitoringConfig,
  reloadUrl: string,
  mounts: readonly { name: string; mountPath: string }[],
): Obj {
  return container({
    name: 'config-reloader',
    image: config.kubernetes.images.configReloader,
    args: [`--reload-url=${reloadUrl}`, ...mounts.map((m) => `--watched-dir=${m.mountPath}`)],
    volumeMounts: mounts.map((m) => ({ ...m, readOnly: true })),
    resources: config.kubernetes.resources.configReloader,
  });
}

export const configMapVolume = (name: string, configMap: string): Obj => ({
  name,
  configMap: { name: configMap },
});

/** A ReadWriteOnce claim template of `size` (the cluster's default StorageClass when `storageClassName` is empty). */
export function claimTemplate(name: string, size: string, storageClassName: string): Obj {
  return {
    metadata: { name, labels: { ...PART_OF } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage: size } },
    },
  };
}

/** One replica with its own volume; no config checksum on the pod: config changes are reloaded, not rolled. */
export function statefulSet(
  config: MonitoringConfig,
  app: string,
  podSpec: Obj,
  claims: readonly Obj[],
): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(config, app, app),
    spec: {
      serviceName: app,
      replicas: 1,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app, ...PART_OF } }, spec: podSpec },
      volumeClaimTemplates: [...claims],
    },
  };
}
