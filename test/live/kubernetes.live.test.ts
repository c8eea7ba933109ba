/**
 * The in-cluster scrape, run by a real Prometheus against a real victor-perf demo (loopback, with a token):
 * - the generated in-cluster job, verbatim, with pod discovery replaced by a static target carrying the same
 *   `__meta_kubernetes_*` labels pod discovery would give (Debian's Prometheus has no Kubernetes discovery);
 * - the operator flavour: a target labelled as the operator labels a PodMonitor's targets (job
 *   `<namespace>/<podmonitor>`, `namespace`, `pod`, `container`, `endpoint`), then the PodMonitor's
 *   relabellings. Both must yield the job the rules select and keep the metrics' own `namespace`;
 * - a rules edit as kubelet delivers it to a ConfigMap volume (a symlink swap), then the reload the sidecar
 *   sends: the new rules are live, the process and its data are the same.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type CliIO } from '../../src/cli/main.ts';
import { CACHE_NAMESPACES } from '../../src/metrics/catalog.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { buildPodMonitor, POD_MONITOR_NAME } from '../../src/monitoring/operator.ts';
import {
  buildKubernetesPrometheusConfig,
  PROMETHEUS_DIR,
  PROMETHEUS_RULES_DIR,
  scrapeTokenFile,
} from '../../src/monitoring/prometheus.ts';
import { RULE_FILE_NAME, renderRuleFile } from '../../src/monitoring/rules.ts';
import { freePort, startProcess, waitReady, type ManagedProcess } from '../../src/stack/proc.ts';
import { getJson, promQuery, waitFor } from './helpers.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const config = resolveMonitoringConfig({});
const TOKEN = 'live-test-token';
let dir = '';
let prometheus: ManagedProcess | undefined;
let promUrl = '';
let stopDemo: ((signal: string) => void) | undefined;
let demoExit: Promise<number> | undefined;

/** What kubelet does to a ConfigMap volume on an update: a new timestamped dir, `..data` swapped atomically. */
function writeConfigMapVolume(volume: string, files: Record<string, string>, version: number): void {
  const data = join(volume, `..v${version}`);
  mkdirSync(data, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(data, name), text);
  symlinkSync(`..v${version}`, join(volume, '..data_tmp'));
  renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
  for (const name of Object.keys(files)) {
    try {
      symlinkSync(join('..data', name), join(volume, name));
    } catch {
      // already linked through ..data
    }
  }
}

const camelToSnake = (r: Obj): Obj =>
  Object.fromEntries(
    Object.entries(r).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'victor-perf-k8s-live-'));
  const local = (path: string): string => path.replace(`${PROMETHEUS_DIR}/`, `${dir}/`);
  // The demo, as the example pod runs it (token from the environment), on loopback.
  let out = '';
  const io: CliIO = {
    out: (l) => (out += `${l}\n`),
    err: () => {},
    env: { VICTOR_PERF_TOKEN: TOKEN },
    untilSignal: () => new Promise((resolve) => (stopDemo = resolve)),
  };
  demoExit = run(['demo', '--port', '0', '--host', '127.0.0.1'], io);
  const url = await waitFor(
    async () => /listening on (\S+)/.exec(out)?.[1],
    20_000,
    () => out,
    50,
  );
  const target = new URL(url);

  // Secret and rules volumes laid out as in the pod.
  mkdirSync(join(local(scrapeTokenFile(config)), '..'), { recursive: true });
  writeFileSync(local(scrapeTokenFile(config)), `${TOKEN}\n`);
  writeConfigMapVolume(local(PROMETHEUS_RULES_DIR), { [RULE_FILE_NAME]: renderRuleFile(config) }, 1);

  const promConfig = buildKubernetesPrometheusConfig(config) as Obj;
  delete promConfig.alerting; // no Alertmanager in this test
  promConfig.global.scrape_interval = '1s';
  promConfig.global.evaluation_interval = '1s';
  promConfig.rule_files = promConfig.rule_files.map(local);
  const plain = promConfig.scrape_configs[0];
  plain.authorization.credentials_file = local(plain.authorization.credentials_file);
  delete plain.kubernetes_sd_configs;
  plain.static_configs = [
    {
      targets: ['pod-ip-unused:1'], // replaced by the relabelling from the pod IP and annotated port
      labels: {
        __meta_kubernetes_pod_ip: target.hostname,
        __meta_kubernetes_pod_annotation_prometheus_io_scrape: 'true',
        __meta_kubernetes_pod_annotation_prometheus_io_port: target.port,
        __meta_kubernetes_pod_annotation_prometheus_io_path: config.scrape.path,
        __meta_kubernetes_namespace: config.kubernetes.appNamespace,
        __meta_kubernetes_pod_name: 'victor-api-plain',
      },
    },
  ];
  const endpoint = (buildPodMonitor(config).spec as Obj).podMetricsEndpoints[0];
  promConfig.scrape_configs = [
    plain,
    {
      job_name: 'operator-podmonitor',
      metrics_path: endpoint.path,
      authorization: { type: 'Bearer', credentials_file: local(scrapeTokenFile(config)) },
      static_configs: [
        {
          targets: [target.host],
          // The target labels the operator's own relabelling gives a PodMonitor's targets.
          labels: {
            job: `${config.kubernetes.monitoringNamespace}/${POD_MONITOR_NAME}`,
            namespace: config.kubernetes.appNamespace,
            pod: 'victor-api-operator',
            container: 'app',
            endpoint: endpoint.port,
          },
        },
      ],
      relabel_configs: (endpoint.relabelings as Obj[]).map(camelToSnake),
    },
  ];
  const configFile = join(dir, 'config', 'prometheus.yml');
  mkdirSync(join(dir, 'config'), { recursive: true });
  writeFileSync(configFile, JSON.stringify(promConfig, null, 2));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = startProcess({
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
  });
  await waitReady(prometheus, `${promUrl}/-/ready`);
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  stopDemo?.('SIGTERM');
  await demoExit;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const series = (q: string) => promQuery(promUrl, q);

describe('the in-cluster scrape against a real Prometheus', () => {
  it('the generated job finds the pod at its annotated port, sends the token, labels it as the rules expect', async () => {
    const up = await waitFor(
      async () => {
        const r = await series(`up{pod="victor-api-plain"}`);
        return r.length === 1 && r[0]!.value[1] === '1' ? r : undefined;
      },
      30_000,
      () => `no successful scrape: ${prometheus?.output()}`,
    );
    expect(up[0]!.metric).toMatchObject({
      job: config.scrape.jobName,
      kubernetes_namespace: config.kubernetes.appNamespace,
    });
  }, 40_000);

  it("under the operator's labelling, the PodMonitor's relabelling gives the same job and keeps `namespace`", async () => {
    const cache = await waitFor(
      async () => {
        const r = await series('victor_cache_operations_total{pod="victor-api-operator"}');
        return r.length > 0 ? r : undefined;
      },
      30_000,
      () => `no cache series from the operator-labelled target: ${prometheus?.output()}`,
    );
    for (const s of cache) {
      expect(s.metric.job).toBe(config.scrape.jobName);
      expect(CACHE_NAMESPACES as readonly string[]).toContain(s.metric.namespace);
      expect(s.metric.kubernetes_namespace).toBe(config.kubernetes.appNamespace);
      expect(s.metric.exported_namespace).toBeUndefined();
    }
    // The rules' own selection finds both targets' series.
    const selected = await series(`count by (pod) (victor_system_uptime_seconds{${config.selector}})`);
    expect(selected.map((s) => s.metric.pod).sort()).toEqual(['victor-api-operator', 'victor-api-plain']);
  }, 40_000);

  it('a rules edit delivered like a ConfigMap update is live after the reload, in the same process', async () => {
    const rules = () =>
      getJson<{ data: { groups: { rules: { name: string; query: string }[] }[] } }>(
        `${promUrl}/api/v1/rules`,
      );
    const threads = async () =>
      (await rules()).data.groups.flatMap((g) => g.rules).find((r) => r.name === 'HighThreadCount')?.query;
    expect(await threads()).toMatch(/> 100$/);
    const samplesBefore = Number((await series('count_over_time(up[10m])'))[0]?.value[1] ?? 0);
    const edited = resolveMonitoringConfig({ thresholds: { threads: { threshold: 250 } } });
    writeConfigMapVolume(join(dir, 'rules'), { [RULE_FILE_NAME]: renderRuleFile(edited) }, 2);
    // What the config-reloader sidecar does when a watched directory changes.
    const res = await fetch(`${promUrl}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(
      async () => /> 250$/.test((await threads()) ?? ''),
      10_000,
      () => 'reload not applied',
    );
    expect(prometheus!.child.exitCode).toBeNull();
    const status = await getJson<{ data: { reloadConfigSuccess: boolean } }>(
      `${promUrl}/api/v1/status/runtimeinfo`,
    );
    expect(status.data.reloadConfigSuccess).toBe(true);
    // The data from before the reload is still there.
    const samplesAfter = Number((await series('count_over_time(up[10m])'))[0]?.value[1] ?? 0);
    expect(samplesAfter).toBeGreaterThanOrEqual(samplesBefore);
    expect(samplesBefore).toBeGreaterThan(0);
  }, 40_000);
});
