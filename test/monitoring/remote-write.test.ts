/**
 * remote_write: off by default (the generated defaults carry none); turned on by the example config it passes
 * promtool, the operator's CRD schema and kubectl's kustomize, and the credentials line up end to end: the
 * file prometheus.yml reads is the Secret key the StatefulSet mounts and the kustomization generates, and the
 * operator's references name the same Secret and keys. Bad settings fail with the key and the value.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CATALOG_ENTRIES } from '../../src/metrics/catalog.ts';
import { clusterRecordingDefinitions } from '../../src/monitoring/cluster-rules.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  loadMonitoringConfig,
  resolveMonitoringConfig,
  type MonitoringConfig,
} from '../../src/monitoring/config.ts';
import { generateAll } from '../../src/monitoring/generate.ts';
import { secretFiles } from '../../src/monitoring/kustomize.ts';
import {
  buildKubernetesPrometheusConfig,
  buildStandalonePrometheusConfig,
  PROMETHEUS_DIR,
} from '../../src/monitoring/prometheus.ts';
import { series } from '../../src/monitoring/promql.ts';
import { recordingDefinitions, renderRuleFile } from '../../src/monitoring/rules.ts';
import { toYaml } from '../../src/monitoring/yaml.ts';
import { analysePromQL, run, withTempDir } from './helpers.ts';
import { validateObject } from './k8s-schema.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const EXAMPLE = 'examples/monitoring/remote-write.yaml';
const example = loadMonitoringConfig(EXAMPLE);
const bearer = resolveMonitoringConfig({
  remoteWrite: {
    enabled: true,
    url: 'http://thanos-receive.thanos.svc:19291/api/v1/receive',
    series: 'all',
    auth: { type: 'bearer', secretName: 'thanos-token' },
  },
});
const VARIANTS: Record<string, MonitoringConfig> = {
  [`${EXAMPLE} (basic auth, per-cluster series only)`]: example,
  'bearer token, every series': bearer,
  'no auth': resolveMonitoringConfig({
    remoteWrite: { enabled: true, url: 'http://victoriametrics:8428/api/v1/write' },
  }),
};

const parse = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter((d) => d !== null);
const one = (files: ReadonlyMap<string, string>, path: string): Obj => parse(files.get(path)!)[0]!;

/** promtool check config on the in-cluster config, its paths moved under `dir` (Debian's promtool has no
 * Kubernetes discovery: the pod discovery is swapped for a static target there). */
async function checkConfig(config: MonitoringConfig, dir: string): Promise<string> {
  const local = (text: string): string => text.replaceAll(`${PROMETHEUS_DIR}/`, `${dir}/`);
  await mkdir(join(dir, 'rules'), { recursive: true });
  await writeFile(join(dir, 'rules', 'performance_alerts.yml'), renderRuleFile(config));
  const c = buildKubernetesPrometheusConfig(config) as Obj;
  for (const path of JSON.stringify(c).match(/\/etc\/prometheus\/secrets\/[^"]+/g) ?? []) {
    await mkdir(dirname(local(path)), { recursive: true });
    await writeFile(local(path), 'secret\n');
  }
  await writeFile(join(dir, 'prometheus.yml'), local(generateAll(config).get('config/prometheus.yml')!));
  let r = await run('promtool', ['check', 'config', 'prometheus.yml'], dir);
  if (r.code !== 0 && /field kubernetes_sd_configs not found/.test(r.stdout + r.stderr)) {
    delete c.scrape_configs[0].kubernetes_sd_configs;
    c.scrape_configs[0].static_configs = [{ targets: ['127.0.0.1:8000'] }];
    await writeFile(join(dir, 'prometheus.yml'), local(toYaml(c)));
    r = await run('promtool', ['check', 'config', 'prometheus.yml'], dir);
  }
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout + r.stderr;
}

describe('remote_write is off by default', () => {
  it('the default configs carry no remote_write, and the default files are what they were', () => {
    expect(buildKubernetesPrometheusConfig(DEFAULT_MONITORING_CONFIG)).not.toHaveProperty('remote_write');
    const files = generateAll(DEFAULT_MONITORING_CONFIG);
    expect(one(files, 'operator/prometheus.yaml').spec).not.toHaveProperty('remoteWrite');
    for (const [path, text] of files) expect(text, path).not.toMatch(/remote[_-]?write/i);
    // A store configured but not enabled changes nothing.
    const parked = resolveMonitoringConfig({ remoteWrite: { url: 'http://store:9090/api/v1/write' } });
    expect(generateAll(parked)).toEqual(files);
  });
});

describe('remote_write turned on', () => {
  for (const [name, config] of Object.entries(VARIANTS)) {
    it(`passes promtool check config with its rule files and credential files (${name})`, async () => {
      await withTempDir(async (dir) => {
        const out = await checkConfig(config, dir);
        expect(out).toMatch(/SUCCESS/);
        const rw = (buildKubernetesPrometheusConfig(config) as Obj).remote_write;
        expect(rw).toHaveLength(1);
        expect(rw[0].url).toBe(config.remoteWrite.url);
      });
    });

    it(`the operator's Prometheus with remoteWrite validates against its CRD schema (${name})`, () => {
      const prometheus = one(generateAll(config), 'operator/prometheus.yaml');
      expect(prometheus.spec.remoteWrite).toHaveLength(1);
      validateObject(prometheus, 'operator/prometheus.yaml');
    });
  }

  it('the schema check sees remoteWrite (a wrong type fails)', () => {
    const prometheus = one(generateAll(example), 'operator/prometheus.yaml');
    prometheus.spec.remoteWrite[0].queueConfig.capacity = 'lots';
    expect(() => validateObject(prometheus, 'operator/prometheus.yaml')).toThrow(/capacity/);
  });

  it('basic auth: password file = mounted Secret key = generated Secret; the operator names the same keys', async () => {
    await withTempDir(async (dir) => {
      const files = generateAll(example);
      for (const [path, text] of files) {
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), text);
      }
      for (const f of secretFiles(example)) {
        await mkdir(dirname(join(dir, f.file)), { recursive: true });
        await writeFile(join(dir, f.file), `value of ${f.key}`);
      }
      const r = await run('kubectl', ['kustomize', dir]);
      expect(r.code, r.stderr).toBe(0);
      const out = parse(r.stdout);
      for (const o of out) validateObject(o, 'kustomize output');

      const auth = example.remoteWrite.auth;
      const secret = out.find((o) => o.kind === 'Secret' && o.metadata.name === auth.secretName)!;
      expect(secret.metadata.namespace).toBe(example.kubernetes.monitoringNamespace);
      const data = Object.fromEntries(
        Object.entries(secret.data as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v, 'base64').toString(),
        ]),
      );
      expect(data).toEqual({ [auth.usernameKey]: auth.username, [auth.passwordKey]: 'value of password' });

      const sts = out.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus')!;
      const pod = sts.spec.template.spec;
      const volume = (pod.volumes as Obj[]).find((v) => v.secret?.secretName === auth.secretName)!;
      const mount = (pod.containers[0].volumeMounts as Obj[]).find((m) => m.name === volume.name)!;
      const configMap = out.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-config')!;
      const rw = parse(configMap.data['prometheus.yml'])[0]!.remote_write[0];
      expect(rw.basic_auth).toEqual({
        username: auth.username,
        password_file: `${mount.mountPath}/${auth.passwordKey}`,
      });
      expect(mount.readOnly).toBe(true);

      const operator = one(files, 'operator/prometheus.yaml').spec.remoteWrite[0];
      expect(operator.basicAuth).toEqual({
        username: { name: auth.secretName, key: auth.usernameKey },
        password: { name: auth.secretName, key: auth.passwordKey },
      });
      expect(Object.keys(data)).toEqual(expect.arrayContaining([auth.usernameKey, auth.passwordKey]));
      expect(operator.headers).toEqual({ 'X-Scope-OrgID': 'agents' });
      expect(operator.queueConfig).toMatchObject({ capacity: 10000, maxShards: 50, maxSamplesPerSend: 2000 });
    });
  });

  it('bearer: credentials_file in the mounted Secret, authorization by key for the operator', () => {
    const files = generateAll(bearer);
    const rw = (buildKubernetesPrometheusConfig(bearer) as Obj).remote_write[0];
    expect(rw.authorization).toEqual({
      type: 'Bearer',
      credentials_file: `/etc/prometheus/secrets/thanos-token/token`,
    });
    expect(rw).not.toHaveProperty('write_relabel_configs'); // series: all
    expect(one(files, 'operator/prometheus.yaml').spec.remoteWrite[0].authorization).toEqual({
      type: 'Bearer',
      credentials: { name: 'thanos-token', key: 'token' },
    });
    expect(secretFiles(bearer)).toContainEqual(
      expect.objectContaining({ secret: 'thanos-token', key: 'token', namespace: 'victor-monitoring' }),
    );
  });

  it('the standalone config needs the directory of the credential files', () => {
    const o = { targets: ['127.0.0.1:8000'], ruleFiles: [], scrapeInterval: '5s' };
    expect(() => buildStandalonePrometheusConfig(example, o)).toThrow(/remoteWriteSecretsDir/);
    const c = buildStandalonePrometheusConfig(example, { ...o, remoteWriteSecretsDir: '/run/secrets/rw' });
    expect((c as Obj).remote_write[0].basic_auth.password_file).toBe('/run/secrets/rw/password');
  });
});

describe('series: aggregated sends exactly the per-cluster series', () => {
  const keep = (buildKubernetesPrometheusConfig(example) as Obj).remote_write[0].write_relabel_configs;
  // Prometheus anchors relabel regexes.
  const kept = (name: string): boolean => new RegExp(`^(?:${keep[0].regex})$`).test(name);

  it('keeps every per-cluster recorded series and nothing else the stack produces', () => {
    expect(keep).toEqual([{ source_labels: ['__name__'], regex: expect.any(String), action: 'keep' }]);
    const perCluster = clusterRecordingDefinitions(example).map((d) => d.record);
    expect(perCluster.length).toBeGreaterThan(10);
    for (const r of perCluster) expect(kept(r), r).toBe(true);
    const others = [
      ...recordingDefinitions(example)
        .map((d) => d.record)
        .filter((r) => !perCluster.includes(r)),
      ...CATALOG_ENTRIES.flatMap((s) => {
        const name = series(example, s).metric;
        return s.type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      }),
      'up',
      'cluster:node_cpu:ratio', // another mixin's per-cluster series
    ];
    for (const name of others) expect(kept(name), name).toBe(false);
  });
});

describe('remote_write settings are validated', () => {
  const on = { enabled: true, url: 'https://store.example.com/api/v1/push' };
  const bad = (remoteWrite: object) => () => resolveMonitoringConfig({ remoteWrite });
  it('names the key and the bad value', () => {
    expect(bad({ enabled: true })).toThrow(/remoteWrite\.url: expected the http\(s\) write endpoint.*got ""/);
    expect(bad({ ...on, url: 'ftp://x' })).toThrow(/remoteWrite\.url: .*"ftp:\/\/x"/);
    expect(bad({ ...on, url: 'https://u:p@store.example.com/push' })).toThrow(
      /remoteWrite\.url: holds credentials; put them in the Secret/,
    );
    expect(bad({ ...on, series: 'some' })).toThrow(
      /remoteWrite\.series: expected aggregated or all, got "some"/,
    );
    expect(bad({ ...on, auth: { type: 'oauth' } })).toThrow(
      /remoteWrite\.auth\.type: expected none, basic or bearer, got "oauth"/,
    );
    expect(bad({ ...on, auth: { type: 'basic', secretName: 'victor-perf-token' } })).toThrow(
      /also the scrape token's Secret/,
    );
    expect(bad({ ...on, auth: { type: 'basic', secretName: 'Not_A_Name' } })).toThrow(
      /remoteWrite\.auth\.secretName: expected a Kubernetes Secret name, got "Not_A_Name"/,
    );
    expect(bad({ ...on, auth: { type: 'basic', username: '' } })).toThrow(/remoteWrite\.auth\.username/);
    expect(bad({ ...on, headers: { Authorization: 'Bearer x' } })).toThrow(
      /remoteWrite\.headers\.Authorization: Prometheus sets this header itself; credentials go in remoteWrite\.auth/,
    );
    expect(bad({ ...on, queue: { minShards: 10, maxShards: 5 } })).toThrow(
      /remoteWrite\.queue\.minShards \(10\) is above maxShards \(5\)/,
    );
    expect(bad({ ...on, queue: { capacity: 100 } })).toThrow(
      /remoteWrite\.queue\.capacity \(100\) is below maxSamplesPerSend \(2000\)/,
    );
    expect(bad({ ...on, queue: { maxShards: 0 } })).toThrow(
      /remoteWrite\.queue\.maxShards: expected a positive integer, got 0/,
    );
    expect(bad({ ...on, queue: { batchSendDeadline: '5 seconds' } })).toThrow(
      /remoteWrite\.queue\.batchSendDeadline: expected a duration/,
    );
    expect(bad({ ...on, queue: { capacity: '10000' } })).toThrow(
      /remoteWrite\.queue\.capacity: expected a number, got "10000"/,
    );
    expect(bad({ ...on, tenant: 'x' })).toThrow(/remoteWrite\.tenant: unknown key/);
  });

  it('headers are replaced whole and must be strings', () => {
    const c = resolveMonitoringConfig({ remoteWrite: { ...on, headers: { 'THANOS-TENANT': 'agents' } } });
    expect(c.remoteWrite.headers).toEqual({ 'THANOS-TENANT': 'agents' });
    expect(bad({ ...on, headers: { 'X-Tenant': 3 } })).toThrow(
      /remoteWrite\.headers\.X-Tenant: expected a string/,
    );
  });
});

describe('the README section "Past one Prometheus"', () => {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## Past one Prometheus');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));

  it('shows the example config as it is in the repository', () => {
    expect(start).toBeGreaterThan(0);
    expect(section).toContain(readFileSync(EXAMPLE, 'utf8'));
  });

  it('names only per-cluster series the rules record, and its queries parse', () => {
    const recorded = new Set(clusterRecordingDefinitions(DEFAULT_MONITORING_CONFIG).map((d) => d.record));
    const named = [...section.matchAll(/cluster:[a-z_]+:[a-z0-9]+/g)].map((m) => m[0]);
    expect(named.length).toBeGreaterThan(5);
    for (const name of named) expect(recorded.has(name), name).toBe(true);
    const promql = /```promql\n([\s\S]*?)```/.exec(section)![1]!.trim().split('\n');
    expect(promql.length).toBeGreaterThan(0);
    for (const q of promql) expect(analysePromQL(q).errors, q).toEqual([]);
  });
});
