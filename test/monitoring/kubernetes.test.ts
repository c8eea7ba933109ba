import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { generateAll } from '../../src/monitoring/generate.ts';
import {
  buildKubernetesPrometheusConfig,
  PROMETHEUS_DIR,
  renderStandalonePrometheusConfig,
  scrapeTokenFile,
} from '../../src/monitoring/prometheus.ts';
import { renderRuleFile } from '../../src/monitoring/rules.ts';
import { toYaml } from '../../src/monitoring/yaml.ts';
import { run, withTempDir } from './helpers.ts';

const config = DEFAULT_MONITORING_CONFIG;
const files = generateAll(config);
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function docs(path: string): Obj[] {
  const text = files.get(path);
  if (text === undefined) throw new Error(`not generated: ${path}`);
  return parseAllDocuments(text).map((d) => d.toJS() as Obj);
}
const find = (path: string, kind: string, name?: string): Obj => {
  const doc = docs(path).find((d) => d.kind === kind && (!name || d.metadata?.name === name));
  if (!doc) throw new Error(`${kind} ${name ?? ''} not in ${path}`);
  return doc;
};

async function writeAll(dir: string): Promise<void> {
  for (const [path, content] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** promtool check config; Debian's promtool is built without Kubernetes discovery, so on that build the
 * pod SD block is swapped for a static target and the rest (relabelling, rule files, alerting) is checked. */
async function checkConfig(dir: string, text: string, fallback?: () => string): Promise<string> {
  await writeFile(join(dir, 'prometheus.yml'), text);
  let r = await run('promtool', ['check', 'config', 'prometheus.yml'], dir);
  if (r.code !== 0 && fallback && /field kubernetes_sd_configs not found/.test(r.stdout + r.stderr)) {
    await writeFile(join(dir, 'prometheus.yml'), fallback());
    r = await run('promtool', ['check', 'config', 'prometheus.yml'], dir);
  }
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return r.stdout + r.stderr;
}

describe('Prometheus configs', () => {
  it('the in-cluster config passes promtool check config, with its rule files and token file', async () => {
    await withTempDir(async (dir) => {
      // The pod's layout under /etc/prometheus, recreated in the temp dir.
      const local = (text: string): string => text.replaceAll(`${PROMETHEUS_DIR}/`, `${dir}/`);
      await mkdir(join(dir, 'rules'));
      await writeFile(join(dir, 'rules', 'performance_alerts.yml'), renderRuleFile(config));
      const token = local(scrapeTokenFile(config));
      await mkdir(dirname(token), { recursive: true });
      await writeFile(token, 'token\n');
      const out = await checkConfig(dir, local(files.get('config/prometheus.yml') ?? ''), () => {
        const c = buildKubernetesPrometheusConfig(config) as Obj;
        const job = c.scrape_configs[0];
        delete job.kubernetes_sd_configs;
        job.static_configs = [{ targets: ['127.0.0.1:8000'] }];
        return local(toYaml(c));
      });
      expect(out).toMatch(/SUCCESS: 1 rule files found/);
    });
  });

  it('scrapes annotated pods at the API port and path, with rules where rule_files points', () => {
    const c = buildKubernetesPrometheusConfig(config) as Obj;
    const job = c.scrape_configs[0];
    expect(job.job_name).toBe('victor-perf');
    expect(job.metrics_path).toBe('/metrics');
    expect(JSON.stringify(job.relabel_configs)).toContain('prometheus_io_scrape');
    expect(JSON.stringify(job.relabel_configs)).toContain('$1:8000');
    expect(c.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    const sts = find('prometheus.yaml', 'StatefulSet', 'prometheus');
    const mounts = sts.spec.template.spec.containers[0].volumeMounts as Obj[];
    expect(mounts).toContainEqual({ name: 'rules', mountPath: '/etc/prometheus/rules', readOnly: true });
    expect(mounts).toContainEqual({ name: 'config', mountPath: '/etc/prometheus/config', readOnly: true });
    expect(sts.spec.template.spec.containers[0].args).toContain(
      '--config.file=/etc/prometheus/config/prometheus.yml',
    );
    const volumes = sts.spec.template.spec.volumes as Obj[];
    expect(volumes.find((v) => v.name === 'rules')?.configMap.name).toBe('performance-alerts');
    expect(find('performance-alerts.yaml', 'ConfigMap').data['performance_alerts.yml']).toBe(
      renderRuleFile(config),
    );
    expect(find('prometheus.yaml', 'ConfigMap', 'prometheus-config').data['prometheus.yml']).toBe(
      files.get('config/prometheus.yml'),
    );
  });

  it('the standalone config (static targets, bearer token) passes promtool', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'rules.yml'), renderRuleFile(config));
      await writeFile(join(dir, 'token'), 'secret\n');
      const text = renderStandalonePrometheusConfig(config, {
        targets: ['127.0.0.1:8000', '127.0.0.1:8001'],
        ruleFiles: ['rules.yml'],
        alertmanagerUrl: 'http://127.0.0.1:9093',
        scrapeInterval: '5s',
        bearerTokenFile: join(dir, 'token'),
      });
      expect(text).toContain('credentials_file');
      await checkConfig(dir, text);
    });
  });

  it('the federation config passes promtool and keeps the source labels', async () => {
    await withTempDir(async (dir) => {
      const text = files.get('config/federation.yml') ?? '';
      expect(text).toContain('honor_labels: true');
      expect(text).toContain('/federate');
      await checkConfig(dir, text);
    });
  });
});

describe('Kubernetes manifests', () => {
  it('all YAML passes yamllint (relaxed) and amtool checks the Alertmanager config', async () => {
    await withTempDir(async (dir) => {
      await writeAll(dir);
      const yamlFiles = [...files.keys()].filter((p) => /\.ya?ml$/.test(p));
      const r = await run('yamllint', ['-d', 'relaxed', '-f', 'parsable', ...yamlFiles], dir);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).not.toContain('[error]');
      const am = await run('amtool', ['check-config', 'config/alertmanager.yml'], dir);
      expect(am.code, am.stdout + am.stderr).toBe(0);
    });
  });

  it('every top-level manifest is a Kubernetes object in the right namespace', () => {
    const topLevel = [...files.keys()].filter(
      (p) => !p.includes('/') && p.endsWith('.yaml') && p !== 'kustomization.yaml',
    );
    expect(topLevel).toContain('performance-alerts.yaml');
    for (const path of [...topLevel, 'dashboards/victor-performance-dashboard.yaml']) {
      for (const d of docs(path)) {
        expect(d.apiVersion && d.kind, path).toBeTruthy();
        if (d.kind !== 'Namespace') expect(d.metadata.namespace, `${path} ${d.kind}`).toBeTruthy();
      }
    }
  });

  it('Grafana: provisioning at the right paths, dashboard where the provider points, password from a Secret', () => {
    const deployment = find('grafana.yaml', 'Deployment', 'grafana');
    const container = deployment.spec.template.spec.containers[0];
    const mounts = Object.fromEntries((container.volumeMounts as Obj[]).map((m) => [m.name, m.mountPath]));
    expect(mounts.datasources).toBe('/etc/grafana/provisioning/datasources');
    expect(mounts['dashboard-provider']).toBe('/etc/grafana/provisioning/dashboards');
    const provider = parseAllDocuments(
      find('grafana.yaml', 'ConfigMap', 'grafana-dashboard-provider').data['victor.yaml'],
    ).map((d) => d.toJS() as Obj)[0];
    expect(mounts.dashboards).toBe(provider?.providers[0].options.path);
    const volumes = deployment.spec.template.spec.volumes as Obj[];
    const dashCm = volumes.find((v) => v.name === 'dashboards')?.configMap.name;
    const cm = find('dashboards/victor-performance-dashboard.yaml', 'ConfigMap', dashCm);
    expect(JSON.parse(cm.data['victor-performance.json']).uid).toBe('victor-performance');
    expect(cm.data['victor-performance.json']).toBe(files.get('grafana/victor-performance.json'));
    const password = (container.env as Obj[]).find((e) => e.name === 'GF_SECURITY_ADMIN_PASSWORD');
    expect(password?.valueFrom.secretKeyRef).toEqual({ name: 'grafana-admin', key: 'admin-password' });
    expect(password?.value).toBeUndefined();
    const datasource = parseAllDocuments(
      find('grafana.yaml', 'ConfigMap', 'grafana-datasources').data['prometheus.yaml'],
    ).map((d) => d.toJS() as Obj)[0];
    expect(datasource?.datasources[0].url).toBe('http://prometheus.victor-monitoring.svc:9090');
  });

  it('Alertmanager reads receiver secrets from the mounted Secret', () => {
    const sts = find('alertmanager.yaml', 'StatefulSet', 'alertmanager');
    const spec = sts.spec.template.spec;
    expect(spec.volumes).toContainEqual({
      name: 'receivers',
      secret: { secretName: 'alertmanager-receivers' },
    });
    const mount = (spec.containers[0].volumeMounts as Obj[]).find((m) => m.name === 'receivers');
    const amConfig = files.get('config/alertmanager.yml') ?? '';
    for (const m of amConfig.matchAll(/_file: (\S+)/g))
      expect(m[1]?.startsWith(`${mount?.mountPath}/`)).toBe(true);
  });

  it('the NetworkPolicy admits the monitoring namespace on the API port; pod annotations match', () => {
    const policy = find('network-policy.yaml', 'NetworkPolicy');
    expect(policy.metadata.namespace).toBe('victor-production');
    const rule = policy.spec.ingress[0];
    expect(rule.ports).toEqual([{ protocol: 'TCP', port: 8000 }]);
    expect(rule.from[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'victor-monitoring',
    });
    const patch = docs('snippets/app-pod-annotations.yaml')[0] as Obj;
    expect(patch.spec.template.metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8000',
      'prometheus.io/path': '/metrics',
    });
  });

  it('never contains a literal password or credential', () => {
    for (const [path, text] of files) {
      expect(text, path).not.toMatch(/password:\s*\S|admin\/admin|routing_key:\s|api_url:\s/i);
    }
  });
});
