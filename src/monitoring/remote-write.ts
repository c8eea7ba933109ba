/**
 * remote_write to a long-term store (Thanos Receive, Mimir, VictoriaMetrics, another Prometheus): one config
 * block, rendered as the `remote_write` section of prometheus.yml and as `spec.remoteWrite` of the operator's
 * Prometheus resource. Credentials always come from a Secret: mounted as files for the plain config
 * (`password_file`, `credentials_file`, read on every request, so a rotated Secret needs no restart), referenced
 * by key for the operator. By default only the per-cluster series (cluster-rules.ts) are sent: the global
 * view reads those, and a store fed with every pod's series costs what the cluster's Prometheus costs.
 */
import { clusterSeriesRegex } from './cluster-rules.ts';
import type { MonitoringConfig } from './config.ts';

export type RemoteWriteAuthType = 'none' | 'basic' | 'bearer';
/** `aggregated`: only the per-cluster recorded series; `all`: everything this Prometheus holds. */
export type RemoteWriteSeries = 'aggregated' | 'all';

export interface RemoteWriteConfig {
  /** Off by default: nothing is sent anywhere until a store is configured. */
  readonly enabled: boolean;
  /**
   * The store's write endpoint, e.g. `http://thanos-receive:19291/api/v1/receive`,
   * `https://mimir.example.com/api/v1/push`, `http://victoriametrics:8428/api/v1/write`.
   */
  readonly url: string;
  /** Queue name (the `remote_name` label of Prometheus' own `prometheus_remote_storage_*` series). */
  readonly name: string;
  readonly series: RemoteWriteSeries;
  /** Timeout of one write request. */
  readonly remoteTimeout: string;
  /** Extra HTTP headers, e.g. `X-Scope-OrgID` (Mimir's tenant) or `THANOS-TENANT`; never credentials. */
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: {
    readonly type: RemoteWriteAuthType;
    /** The Secret (monitoring namespace) holding the password or token, and the username for the operator. */
    readonly secretName: string;
    /** Basic auth user (not a secret: written into prometheus.yml, and into the Secret for the operator). */
    readonly username: string;
    readonly usernameKey: string;
    readonly passwordKey: string;
    readonly tokenKey: string;
  };
  /** Prometheus' `queue_config`: how much is buffered and how fast it is sent. */
  readonly queue: {
    /** Samples buffered per shard; keep it a few times maxSamplesPerSend. */
    readonly capacity: number;
    readonly minShards: number;
    readonly maxShards: number;
    readonly maxSamplesPerSend: number;
    /** Longest a sample waits in a shard before a partial batch is sent. */
    readonly batchSendDeadline: string;
    readonly minBackoff: string;
    readonly maxBackoff: string;
  };
}

export const DEFAULT_REMOTE_WRITE: RemoteWriteConfig = {
  enabled: false,
  url: '',
  name: 'long-term',
  series: 'aggregated',
  remoteTimeout: '30s',
  headers: {},
  auth: {
    type: 'none',
    secretName: 'remote-write-credentials',
    username: 'victor-perf',
    usernameKey: 'username',
    passwordKey: 'password',
    tokenKey: 'token',
  },
  queue: {
    capacity: 10000,
    minShards: 1,
    maxShards: 50,
    maxSamplesPerSend: 2000,
    batchSendDeadline: '5s',
    minBackoff: '30ms',
    maxBackoff: '5s',
  },
};

const DURATION_RE = /^(\d+(ms|s|m|h|d|w|y))+$/;
const SECRET_NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY_RE = /^[-._a-zA-Z0-9]+$/;
const HEADER_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers Prometheus sets itself and refuses in `headers` (credentials go through `auth`). */
const RESERVED_HEADERS = new Set(
  [
    'authorization',
    'host',
    'content-encoding',
    'content-length',
    'content-type',
    'user-agent',
    'connection',
    'keep-alive',
    'proxy-authenticate',
    'proxy-authorization',
    'www-authenticate',
    'accept-encoding',
    'x-prometheus-remote-write-version',
    'x-prometheus-remote-read-version',
  ].map((h) => h.toLowerCase()),
);

/** Throws `fail(message)` for the first problem, naming the key under `remoteWrite` and the bad value. */
export function validateRemoteWrite(
  rw: RemoteWriteConfig,
  scrapeSecret: string | undefined,
  fail: (message: string) => Error,
): void {
  const bad = (key: string, expected: string, value: unknown): never => {
    throw fail(`remoteWrite.${key}: expected ${expected}, got ${JSON.stringify(value)}`);
  };
  const oneOf = (key: string, value: string, allowed: readonly string[]): void => {
    if (!allowed.includes(value)) bad(key, `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`, value);
  };
  oneOf('series', rw.series, ['aggregated', 'all']);
  oneOf('auth.type', rw.auth.type, ['none', 'basic', 'bearer']);
  for (const key of ['remoteTimeout', 'batchSendDeadline', 'minBackoff', 'maxBackoff'] as const) {
    const value = key === 'remoteTimeout' ? rw.remoteTimeout : rw.queue[key];
    const where = key === 'remoteTimeout' ? key : `queue.${key}`;
    if (!DURATION_RE.test(value)) bad(where, 'a duration such as 30s or 100ms', value);
  }
  for (const key of ['capacity', 'minShards', 'maxShards', 'maxSamplesPerSend'] as const) {
    const n = rw.queue[key];
    if (!Number.isInteger(n) || n < 1) bad(`queue.${key}`, 'a positive integer', n);
  }
  if (rw.queue.minShards > rw.queue.maxShards) {
    throw fail(
      `remoteWrite.queue.minShards (${rw.queue.minShards}) is above maxShards (${rw.queue.maxShards})`,
    );
  }
  if (rw.queue.capacity < rw.queue.maxSamplesPerSend) {
    throw fail(
      `remoteWrite.queue.capacity (${rw.queue.capacity}) is below maxSamplesPerSend ` +
        `(${rw.queue.maxSamplesPerSend}): a shard could never fill a batch (keep capacity a few times larger)`,
    );
  }
  if (!/^[a-zA-Z0-9_-]+$/.test(rw.name)) bad('name', 'letters, digits, "_" or "-"', rw.name);
  for (const [header, value] of Object.entries(rw.headers)) {
    if (!HEADER_RE.test(header)) bad(`headers`, 'HTTP header names', header);
    if (RESERVED_HEADERS.has(header.toLowerCase())) {
      throw fail(
        `remoteWrite.headers.${header}: Prometheus sets this header itself` +
          (header.toLowerCase() === 'authorization' ? '; credentials go in remoteWrite.auth (a Secret)' : ''),
      );
    }
    if (typeof value !== 'string') bad(`headers.${header}`, 'a string', value);
  }
  if (!rw.enabled) return;
  let url: URL | undefined;
  try {
    url = new URL(rw.url);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    bad('url', 'the http(s) write endpoint of the store (required when enabled)', rw.url);
  }
  if (url!.username || url!.password) {
    throw fail(
      'remoteWrite.url: holds credentials; put them in the Secret named by remoteWrite.auth.secretName',
    );
  }
  if (rw.auth.type === 'none') return;
  if (!SECRET_NAME_RE.test(rw.auth.secretName)) {
    bad('auth.secretName', 'a Kubernetes Secret name', rw.auth.secretName);
  }
  if (rw.auth.secretName === scrapeSecret) {
    throw fail(
      `remoteWrite.auth.secretName: ${JSON.stringify(rw.auth.secretName)} is also the scrape token's Secret; ` +
        'give the store credentials a Secret of their own',
    );
  }
  const keys = rw.auth.type === 'basic' ? (['usernameKey', 'passwordKey'] as const) : (['tokenKey'] as const);
  for (const key of keys) {
    if (!SECRET_KEY_RE.test(rw.auth[key])) bad(`auth.${key}`, 'a Secret key', rw.auth[key]);
  }
  if (rw.auth.type === 'basic' && rw.auth.username === '') bad('auth.username', 'a user name', '');
}

/** Secret keys the plain config reads as files (the username is written inline). */
export function remoteWriteSecretKeys(rw: RemoteWriteConfig): string[] {
  if (!rw.enabled) return [];
  if (rw.auth.type === 'basic') return [rw.auth.passwordKey];
  if (rw.auth.type === 'bearer') return [rw.auth.tokenKey];
  return [];
}

/** Whether the Prometheus pod mounts the store credentials' Secret. */
export const remoteWriteMountsSecret = (rw: RemoteWriteConfig): boolean =>
  remoteWriteSecretKeys(rw).length > 0;

/**
 * The settings both flavours share, in the operator's spelling: url, name, timeout, headers, the relabelling
 * that keeps only the per-cluster series, the queue.
 */
function shared(config: MonitoringConfig): Record<string, unknown> {
  const rw = config.remoteWrite;
  return {
    url: rw.url,
    name: rw.name,
    remoteTimeout: rw.remoteTimeout,
    ...(Object.keys(rw.headers).length > 0 ? { headers: { ...rw.headers } } : {}),
    ...(rw.series === 'aggregated'
      ? {
          writeRelabelConfigs: [
            { sourceLabels: ['__name__'], regex: clusterSeriesRegex(config), action: 'keep' },
          ],
        }
      : {}),
    queueConfig: { ...rw.queue },
  };
}

/** `maxSamplesPerSend` -> `max_samples_per_send`: prometheus.yml's spelling of the same setting. */
const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const snakeKeys = (o: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [snake(k), v]));

/**
 * The `remote_write` section of prometheus.yml ([] when disabled). `secretsDir` is where the Secret is
 * mounted as a directory (one file per key).
 */
export function remoteWriteSection(config: MonitoringConfig, secretsDir: string): Record<string, unknown>[] {
  const rw = config.remoteWrite;
  if (!rw.enabled) return [];
  const file = (key: string): string => `${secretsDir}/${key}`;
  const { writeRelabelConfigs, queueConfig, headers, ...rest } = shared(config);
  return [
    {
      ...snakeKeys(rest),
      ...(headers ? { headers } : {}), // header names as given
      ...(rw.auth.type === 'basic'
        ? { basic_auth: { username: rw.auth.username, password_file: file(rw.auth.passwordKey) } }
        : {}),
      ...(rw.auth.type === 'bearer'
        ? { authorization: { type: 'Bearer', credentials_file: file(rw.auth.tokenKey) } }
        : {}),
      ...(writeRelabelConfigs
        ? { write_relabel_configs: (writeRelabelConfigs as object[]).map(snakeKeys) }
        : {}),
      queue_config: snakeKeys(queueConfig as object),
    },
  ];
}

/** `spec.remoteWrite` of the operator's Prometheus resource ([] when disabled): credentials by Secret key. */
export function operatorRemoteWrite(config: MonitoringConfig): Record<string, unknown>[] {
  const rw = config.remoteWrite;
  if (!rw.enabled) return [];
  const ref = (key: string): { name: string; key: string } => ({ name: rw.auth.secretName, key });
  return [
    {
      ...shared(config),
      ...(rw.auth.type === 'basic'
        ? { basicAuth: { username: ref(rw.auth.usernameKey), password: ref(rw.auth.passwordKey) } }
        : {}),
      ...(rw.auth.type === 'bearer'
        ? { authorization: { type: 'Bearer', credentials: ref(rw.auth.tokenKey) } }
        : {}),
    },
  ];
}
