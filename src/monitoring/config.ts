/**
 * One monitoring config: every threshold, `for` duration, severity, selector, receiver and namespace the alert
 * rules, dashboard, Alertmanager config and Kubernetes manifests are derived from (the kubernetes-mixin
 * `config.libsonnet` habit). Defaults are the description's values; users override any
 * part from a YAML/JSON file instead of editing generated files.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PREFIX, DEFAULT_UNITS, UNITS_MODES, type Units } from '../metrics/catalog.ts';
import { validatePrefix } from '../metrics/catalog.ts';
import { DEFAULT_HEALTH_DEFINITION, resolveHealthDefinition, type HealthWeights } from '../query/health.ts';
import { buildAlerts } from './alerts.ts';
import { validateCustom, type CustomMetricConfig } from './custom.ts';
import { DEFAULT_REMOTE_WRITE, validateRemoteWrite, type RemoteWriteConfig } from './remote-write.ts';

export type Severity = 'critical' | 'warning' | 'info';

/** A threshold and how long it must hold before the alert fires. */
export interface AlertThreshold {
  readonly threshold: number;
  /** Prometheus duration, e.g. `5m`, `10s`. */
  readonly for: string;
}

/** An alert pair: a warning and a critical level of the same condition. */
export interface ThresholdPair {
  readonly warning: AlertThreshold;
  readonly critical: AlertThreshold;
}

/**
 * An Alertmanager receiver. Secrets are only ever referenced as files (mounted from a Secret), never inlined.
 * `webhook` exists for tests and local stacks (a URL with no credential in it).
 */
export type ReceiverSpec =
  | { readonly kind: 'pagerduty'; readonly routingKeyFile: string }
  | { readonly kind: 'slack'; readonly apiUrlFile: string; readonly channel: string }
  | { readonly kind: 'webhook'; readonly url: string };

/** Kubernetes quantities, e.g. `100m`, `512Mi`. */
export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface MonitoringConfig {
  /** Metric prefix (catalog names are unprefixed). */
  readonly prefix: string;
  /**
   * Naming mode of the scraped series (the collector's `units`): `seed`, the description's names (`_ms`, `_mb`,
   * CPU in percent), or `base`, Prometheus base units (seconds, bytes, CPU seconds). Thresholds stay in the
   * units this config names (milliseconds, percent); rules and panels convert them for base names.
   */
  readonly units: Units;
  /** Label matchers added to every rule and panel selector, e.g. `job="victor-perf"`. */
  readonly selector: string;
  /** Labels that tell replicas apart; queries aggregate them away (`sum without (...)`). */
  readonly replicaLabels: readonly string[];
  /** Window of `rate()` in alert and recording rules. */
  readonly rateWindow: string;
  readonly runbookBaseUrl: string;
  readonly thresholds: {
    /** Overall cache hit ratio below which the alerts fire (0..1). */
    readonly cacheHitRate: ThresholdPair;
    /** Cache utilization (entries / capacity) above which the alerts fire (0..1). */
    readonly cacheUtilization: ThresholdPair;
    /** Evictions per second per replica. */
    readonly cacheEvictionRate: AlertThreshold;
    /** Tool selection P95 in milliseconds. */
    readonly toolSelectionLatencyP95Ms: ThresholdPair;
    /** misses / (hits + misses) of tool selections (0..1). */
    readonly toolSelectionMissRate: AlertThreshold;
    readonly memoryBytes: ThresholdPair;
    /** Process CPU in percent (0..100 per core). */
    readonly cpuPercent: ThresholdPair;
    readonly threads: AlertThreshold;
    /** Tool execution P95 in milliseconds. */
    readonly toolExecutionLatencyP95Ms: ThresholdPair;
    /** failed / total tool executions (0..1). */
    readonly toolErrorRate: ThresholdPair;
    /** A provider whose health is below this (0..1) counts as unhealthy; 1 counts a half-open circuit (0.5, being probed after an outage) as unhealthy too, so a provider that is down does not flap between open and half-open. */
    readonly providerHealth: AlertThreshold;
    /** errors / requests per provider (0..1). */
    readonly providerFailureRate: ThresholdPair;
    /** Provider P95 in milliseconds. */
    readonly providerLatencyP95Ms: AlertThreshold;
    /** P95 time to the first streamed chunk per provider, in milliseconds. */
    readonly timeToFirstChunkP95Ms: AlertThreshold;
    /** rate-limited / total requests per provider (0..1). */
    readonly providerRateLimitRate: AlertThreshold;
    /** Health score (0..100) below which the summary alerts fire. */
    readonly healthScore: ThresholdPair;
    /** Uptime in seconds below which a process counts as just started (an info event per start or restart). */
    readonly recentStart: AlertThreshold;
    /** Start-up (bootstrap) time in milliseconds above which the info alert fires. */
    readonly startupDurationMs: AlertThreshold;
  };
  readonly healthScore: {
    /**
     * Weights of the terms (query/health.ts); they must sum to 1. `providerAvailability` (1 - the pool's
     * failure ratio over the rate window / providerFailureBudget) is 0 by default: the description's weights.
     */
    readonly weights: HealthWeights;
    /** Memory at which the memory headroom reaches 0. */
    readonly memoryBudgetBytes: number;
    /** Selection P95 at which the latency headroom reaches 0. */
    readonly latencyBudgetMs: number;
    /** Provider failure ratio (0..1) at which the provider availability term reaches 0. */
    readonly providerFailureBudget: number;
  };
  readonly alertmanager: {
    readonly groupWait: string;
    readonly groupInterval: string;
    readonly repeatInterval: string;
    /** Receivers by role; an override replaces a receiver wholesale. */
    readonly receivers: {
      readonly paging: ReceiverSpec;
      readonly chat: ReceiverSpec;
      readonly lowPriority: ReceiverSpec;
    };
  };
  readonly scrape: {
    readonly jobName: string;
    /** Port and path the victor-perf API serves the exposition on. */
    readonly port: number;
    readonly path: string;
    readonly interval: string;
    readonly evaluationInterval: string;
    /** Name of the API's container port in the app's pods (operator monitors select ports by name). */
    readonly portName: string;
    /**
     * The bearer token the scrape sends. The server refuses a non-loopback bind without a token, so in a
     * cluster this stays on: the Secret holds the token for the app's pods (app namespace) and for Prometheus
     * (monitoring namespace).
     */
    readonly auth: { readonly enabled: boolean; readonly secretName: string; readonly secretKey: string };
  };
  readonly kubernetes: {
    readonly monitoringNamespace: string;
    readonly appNamespace: string;
    /** Labels of the app's pods (NetworkPolicy selector). */
    readonly appPodLabels: Readonly<Record<string, string>>;
    /** external_labels.cluster of this cluster's Prometheus. */
    readonly cluster: string;
    readonly images: {
      readonly prometheus: string;
      readonly alertmanager: string;
      readonly grafana: string;
      /** Sidecar that reloads Prometheus and Alertmanager in place when their ConfigMaps change. */
      readonly configReloader: string;
    };
    /** Secret the user creates with the Grafana admin password (key `admin-password`). */
    readonly grafanaAdminSecret: string;
    /** Secret the user creates with the receiver credentials (one file per key). */
    readonly alertmanagerSecret: string;
    /**
     * Also declare the app namespace (the discovery Role, NetworkPolicy and token Secret live there), so that
     * one apply works on an empty cluster. Turn off when the namespace is managed elsewhere.
     */
    readonly createAppNamespace: boolean;
    readonly prometheus: {
      /** Size of the PersistentVolumeClaim holding the TSDB. */
      readonly storageSize: string;
      /** Empty: the cluster's default StorageClass. */
      readonly storageClassName: string;
      /** `--storage.tsdb.retention.time`. */
      readonly retention: string;
      /** `--storage.tsdb.retention.size`: keep it below storageSize so a full volume never stops ingestion. */
      readonly retentionSize: string;
    };
    /** Alertmanager keeps silences and the notification log on this volume. */
    readonly alertmanagerStorage: { readonly storageSize: string; readonly storageClassName: string };
    /** Requests and limits of every container the manifests run. */
    readonly resources: {
      readonly prometheus: ContainerResources;
      readonly alertmanager: ContainerResources;
      readonly grafana: ContainerResources;
      readonly configReloader: ContainerResources;
    };
    /** Prometheus operator flavour (operator/). */
    readonly operator: {
      /** Labels of the PrometheusRule: the Prometheus resource's `ruleSelector` must match them. */
      readonly ruleLabels: Readonly<Record<string, string>>;
      /** Labels of the PodMonitor: the Prometheus resource's `podMonitorSelector` must match them. */
      readonly monitorLabels: Readonly<Record<string, string>>;
    };
  };
  readonly federation: {
    /** Per-cluster Prometheus addresses the central Prometheus federates from. */
    readonly targets: readonly string[];
  };
  /** The application's own metrics (collector.counter/gauge/histogram) to chart and alert on; see custom.ts. */
  readonly custom: readonly CustomMetricConfig[];
  /** Sending to a long-term store (off by default); see remote-write.ts. */
  readonly remoteWrite: RemoteWriteConfig;
}

const GiB = 1024 ** 3;
/** Where the Alertmanager pod mounts the receivers' Secret; receiver `*_file` paths point inside it. */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';
const SECRETS_DIR = ALERTMANAGER_SECRETS_DIR;

/**
 * The default runbook link: the project's own runbook, which may not be where your team's copy (with your
 * own notes) is served. `generate` warns while it is in use; set `runbookBaseUrl`.
 */
export const PLACEHOLDER_RUNBOOK_BASE_URL =
  'https://github.com/victor-perf/victor-perf/blob/main/docs/runbook.md';

export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = {
  prefix: DEFAULT_PREFIX,
  units: DEFAULT_UNITS,
  selector: 'job="victor-perf"',
  replicaLabels: ['instance', 'pod'],
  rateWindow: '5m',
  runbookBaseUrl: PLACEHOLDER_RUNBOOK_BASE_URL,
  thresholds: {
    cacheHitRate: { warning: { threshold: 0.4, for: '5m' }, critical: { threshold: 0.2, for: '10m' } },
    cacheUtilization: { warning: { threshold: 0.8, for: '10m' }, critical: { threshold: 0.95, for: '5m' } },
    cacheEvictionRate: { threshold: 10, for: '5m' },
    toolSelectionLatencyP95Ms: {
      warning: { threshold: 1, for: '10m' },
      critical: { threshold: 5, for: '5m' },
    },
    toolSelectionMissRate: { threshold: 0.7, for: '5m' },
    memoryBytes: { warning: { threshold: 1 * GiB, for: '10m' }, critical: { threshold: 2 * GiB, for: '5m' } },
    cpuPercent: { warning: { threshold: 80, for: '10m' }, critical: { threshold: 95, for: '5m' } },
    threads: { threshold: 100, for: '10m' },
    toolExecutionLatencyP95Ms: {
      warning: { threshold: 1000, for: '10m' },
      critical: { threshold: 5000, for: '5m' },
    },
    toolErrorRate: { warning: { threshold: 0.05, for: '10m' }, critical: { threshold: 0.15, for: '5m' } },
    providerHealth: { threshold: 1, for: '5m' },
    providerFailureRate: { warning: { threshold: 0.1, for: '5m' }, critical: { threshold: 0.3, for: '2m' } },
    providerLatencyP95Ms: { threshold: 10000, for: '10m' },
    timeToFirstChunkP95Ms: { threshold: 5000, for: '10m' },
    providerRateLimitRate: { threshold: 0.05, for: '5m' },
    healthScore: { warning: { threshold: 70, for: '10m' }, critical: { threshold: 50, for: '5m' } },
    recentStart: { threshold: 600, for: '1m' },
    startupDurationMs: { threshold: 30000, for: '1m' },
  },
  // The description's weights (provider availability 0) and budgets: query/health.ts.
  healthScore: DEFAULT_HEALTH_DEFINITION,
  alertmanager: {
    groupWait: '30s',
    groupInterval: '5m',
    repeatInterval: '4h',
    receivers: {
      paging: { kind: 'pagerduty', routingKeyFile: `${SECRETS_DIR}/pagerduty-routing-key` },
      chat: { kind: 'slack', apiUrlFile: `${SECRETS_DIR}/slack-webhook-url`, channel: '#victor-alerts' },
      lowPriority: {
        kind: 'slack',
        apiUrlFile: `${SECRETS_DIR}/slack-low-priority-webhook-url`,
        channel: '#victor-alerts-low',
      },
    },
  },
  scrape: {
    jobName: 'victor-perf',
    port: 8000,
    path: '/metrics',
    interval: '15s',
    evaluationInterval: '15s',
    portName: 'http',
    auth: { enabled: true, secretName: 'victor-perf-token', secretKey: 'token' },
  },
  kubernetes: {
    monitoringNamespace: 'victor-monitoring',
    appNamespace: 'victor-production',
    appPodLabels: { app: 'victor-api' },
    cluster: 'production',
    images: {
      prometheus: 'prom/prometheus:v2.53.2',
      alertmanager: 'prom/alertmanager:v0.27.0',
      grafana: 'grafana/grafana:11.2.0',
      configReloader: 'quay.io/prometheus-operator/prometheus-config-reloader:v0.76.0',
    },
    grafanaAdminSecret: 'grafana-admin',
    alertmanagerSecret: 'alertmanager-receivers',
    createAppNamespace: true,
    prometheus: { storageSize: '20Gi', storageClassName: '', retention: '15d', retentionSize: '18GB' },
    alertmanagerStorage: { storageSize: '1Gi', storageClassName: '' },
    resources: {
      prometheus: { requests: { cpu: '200m', memory: '512Mi' }, limits: { cpu: '1', memory: '2Gi' } },
      alertmanager: { requests: { cpu: '20m', memory: '64Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
      grafana: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
      configReloader: { requests: { cpu: '5m', memory: '16Mi' }, limits: { cpu: '50m', memory: '64Mi' } },
    },
    operator: {
      ruleLabels: { 'app.kubernetes.io/part-of': 'victor-perf', role: 'alert-rules' },
      monitorLabels: { 'app.kubernetes.io/part-of': 'victor-perf' },
    },
  },
  federation: { targets: ['prometheus.cluster-a.example.com:9090', 'prometheus.cluster-b.example.com:9090'] },
  custom: [],
  remoteWrite: DEFAULT_REMOTE_WRITE,
};

export class MonitoringConfigError extends Error {
  override name = 'MonitoringConfigError';
}

/** Deep partial of the config, the shape of an override file. */
export type MonitoringConfigOverrides = {
  readonly [K in keyof MonitoringConfig]?: DeepPartial<MonitoringConfig[K]>;
};
type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends ReceiverSpec
    ? T
    : T extends object
      ? { readonly [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** Label maps are replaced whole: a selector's labels are exactly what the user writes. */
const LABEL_MAPS = ['appPodLabels', 'ruleLabels', 'monitorLabels', 'remoteWrite.headers'];
const DURATION_RE = /^(\d+(ms|s|m|h|d|w|y))+$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Merges `overrides` into `base` key by key, checking each value against the type of the default it replaces so
 * that a typo or a wrong type fails with the dotted key and the bad value. Receivers are replaced wholesale (a
 * webhook merged into a pagerduty receiver would be neither).
 */
function merge(base: unknown, override: unknown, path: string): unknown {
  if (override === undefined) return base;
  const where = path || '(root)';
  const replacedWhole = isObject(base) && ('kind' in base || LABEL_MAPS.some((k) => path.endsWith(k)));
  if (isObject(base) && !replacedWhole) {
    if (!isObject(override)) {
      throw new MonitoringConfigError(`${where}: expected an object, got ${JSON.stringify(override)}`);
    }
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) {
      const sub = path ? `${path}.${key}` : key;
      if (!(key in base)) throw new MonitoringConfigError(`${sub}: unknown key`);
      out[key] = merge(base[key], value, sub);
    }
    return out;
  }
  const expected = Array.isArray(base) ? 'a list' : isObject(base) ? 'an object' : `a ${typeof base}`;
  const ok = Array.isArray(base)
    ? Array.isArray(override)
    : isObject(base)
      ? isObject(override)
      : typeof override === typeof base;
  if (!ok) throw new MonitoringConfigError(`${where}: expected ${expected}, got ${JSON.stringify(override)}`);
  return override;
}

function validate(config: MonitoringConfig): MonitoringConfig {
  try {
    validatePrefix(config.prefix);
  } catch (err) {
    throw new MonitoringConfigError(`prefix: ${(err as Error).message}`);
  }
  if (!(UNITS_MODES as readonly string[]).includes(config.units)) {
    throw new MonitoringConfigError(
      `units: expected ${UNITS_MODES.join(' or ')}, got ${JSON.stringify(config.units)}`,
    );
  }
  const checkDuration = (key: string, value: string): void => {
    if (!DURATION_RE.test(value)) {
      throw new MonitoringConfigError(`${key}: invalid duration ${JSON.stringify(value)} (e.g. 30s, 5m, 1h)`);
    }
  };
  for (const [name, t] of Object.entries(config.thresholds)) {
    const levels: [string, AlertThreshold][] =
      'threshold' in t
        ? [['', t as AlertThreshold]]
        : Object.entries(t as ThresholdPair).map(([k, v]) => [`.${k}`, v]);
    for (const [suffix, level] of levels) {
      if (typeof level.threshold !== 'number' || !Number.isFinite(level.threshold)) {
        throw new MonitoringConfigError(
          `thresholds.${name}${suffix}.threshold: expected a finite number, got ${JSON.stringify(level.threshold)}`,
        );
      }
      checkDuration(`thresholds.${name}${suffix}.for`, level.for);
    }
  }
  checkDuration('rateWindow', config.rateWindow);
  for (const key of ['groupWait', 'groupInterval', 'repeatInterval'] as const) {
    checkDuration(`alertmanager.${key}`, config.alertmanager[key]);
  }
  checkDuration('scrape.interval', config.scrape.interval);
  checkDuration('scrape.evaluationInterval', config.scrape.evaluationInterval);
  checkDuration('kubernetes.prometheus.retention', config.kubernetes.prometheus.retention);
  if (!/^https?:\/\/[^/\s]+/.test(config.runbookBaseUrl)) {
    throw new MonitoringConfigError(
      `runbookBaseUrl: expected an http(s) URL of docs/runbook.md, got ${JSON.stringify(config.runbookBaseUrl)}`,
    );
  }
  // Every rule and panel selects the job through `selector`; the scrape job (and the operator's relabelling)
  // set it from scrape.jobName. If the two disagree, nothing matches and the alerts silently never fire.
  const job = /(?:^|[,{\s])job\s*=\s*"([^"]*)"/.exec(config.selector);
  if (job && job[1] !== config.scrape.jobName) {
    throw new MonitoringConfigError(
      `selector: selects job="${job[1]}" but scrape.jobName is ${JSON.stringify(config.scrape.jobName)}; ` +
        'the rules and dashboards would match no series (set both)',
    );
  }
  try {
    resolveHealthDefinition(config.healthScore, 'healthScore');
  } catch (err) {
    throw new MonitoringConfigError((err as Error).message);
  }
  for (const [role, r] of Object.entries(config.alertmanager.receivers)) {
    if (!['pagerduty', 'slack', 'webhook'].includes((r as ReceiverSpec).kind)) {
      throw new MonitoringConfigError(
        `alertmanager.receivers.${role}.kind: expected pagerduty, slack or webhook, got ${JSON.stringify((r as ReceiverSpec).kind)}`,
      );
    }
  }
  if (!Number.isInteger(config.scrape.port) || config.scrape.port < 1 || config.scrape.port > 65535) {
    throw new MonitoringConfigError(
      `scrape.port: expected a port number, got ${JSON.stringify(config.scrape.port)}`,
    );
  }
  if (!config.scrape.path.startsWith('/')) {
    throw new MonitoringConfigError(
      `scrape.path: must start with "/", got ${JSON.stringify(config.scrape.path)}`,
    );
  }
  validateRemoteWrite(
    config.remoteWrite,
    config.scrape.auth.enabled ? config.scrape.auth.secretName : undefined,
    (message) => new MonitoringConfigError(message),
  );
  try {
    validateCustom(config.custom, new Set(buildAlerts({ ...config, custom: [] }).map((a) => a.alert)));
  } catch (err) {
    throw new MonitoringConfigError((err as Error).message);
  }
  return config;
}

/** The defaults with `overrides` applied and validated. */
export function resolveMonitoringConfig(
  overrides: MonitoringConfigOverrides | unknown = {},
): MonitoringConfig {
  return validate(merge(DEFAULT_MONITORING_CONFIG, overrides ?? {}, '') as MonitoringConfig);
}

/** Reads a YAML or JSON override file (JSON is YAML) and resolves it against the defaults. */
export function loadMonitoringConfig(file: string): MonitoringConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MonitoringConfigError(`cannot read monitoring config ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new MonitoringConfigError(`${file}: not valid YAML/JSON: ${(err as Error).message}`);
  }
  try {
    return resolveMonitoringConfig(parsed ?? {});
  } catch (err) {
    if (err instanceof MonitoringConfigError) throw new MonitoringConfigError(`${file}: ${err.message}`);
    throw err;
  }
}
