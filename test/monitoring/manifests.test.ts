/**
 * The generated Kubernetes manifests as a cluster would get them: schema-valid, one `kubectl apply -k` (rendered
 * here by kubectl's own kustomize), hardened containers, durable storage, in-place reloads, the scrape token.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  DEFAULT_MONITORING_CONFIG,
  resolveMonitoringConfig,
  type MonitoringConfig,
} from '../../src/monitoring/config.ts';
import { appliedManifests, generateAll } from '../../src/monitoring/generate.ts';
import { HARDENED_CONTAINER } from '../../src/monitoring/kubernetes-objects.ts';
import { secretFiles } from '../../src/monitoring/kustomize.ts';
import { buildKubernetesPrometheusConfig } from '../../src/monitoring/prometheus.ts';
import { run, withTempDir } from './helpers.ts';
import { validateObject } from './k8s-schema.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const parse = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter((d) => d !== null);

/** Every Kubernetes object among the generated files (not the plain configs, JSON or the patch snippet). */
function objects(files: ReadonlyMap<string, string>): { path: string; obj: Obj }[] {
  return [...files]
    .filter(([p]) => p.endsWith('.yaml') && !p.startsWith('snippets/') && p !== 'kustomization.yaml')
    .flatMap(([path, text]) => parse(text).map((obj) => ({ path, obj })));
}

const podSpecs = (objs: Obj[]): { name: string; spec: Obj; template: Obj }[] =>
  objs
    .filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind))
    .map((o) => ({
      name: `${o.kind}/${o.metadata.name}`,
      spec: o.spec.template.spec,
      template: o.spec.template,
    }));

const VARIANTS: Record<string, MonitoringConfig> = {
  default: DEFAULT_MONITORING_CONFIG,
  'auth off, app namespace elsewhere, storage class set': resolveMonitoringConfig({
    scrape: { auth: { enabled: false } },
    kubernetes: {
      createAppNamespace: false,
      prometheus: { storageClassName: 'fast-ssd', retentionSize: '' },
      alertmanagerStorage: { storageClassName: 'fast-ssd' },
    },
    alertmanager: { receivers: { paging: { kind: 'webhook', url: 'http://pager.example/hook' } } },
  }),
};

/** Renders the kustomization with kubectl's built-in kustomize, after writing a file for each Secret key. */
async function kustomize(
  config: MonitoringConfig,
  dir: string,
  skip?: string,
): Promise<{ code: number; out: string }> {
  for (const [path, text] of generateAll(config)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  for (const f of secretFiles(config)) {
    if (f.file === skip) continue;
    await mkdir(dirname(join(dir, f.file)), { recursive: true });
    await writeFile(join(dir, f.file), `value of ${f.key}`);
  }
  const r = await run('kubectl', ['kustomize', dir]);
  return { code: r.code, out: r.code === 0 ? r.stdout : r.stderr };
}

describe('Kubernetes objects validate against the OpenAPI schemas', () => {
  for (const [variant, config] of Object.entries(VARIANTS)) {
    it(`every generated object (${variant})`, () => {
      const all = objects(generateAll(config));
      expect(all.length).toBeGreaterThan(15);
      for (const { path, obj } of all) validateObject(obj, path);
    });
  }

  it('the schema check catches a wrong type (it is not vacuous)', () => {
    const sts = objects(generateAll()).find((o) => o.obj.kind === 'StatefulSet')!.obj;
    sts.spec.template.spec.containers[0].resources.limits.memory = 'two gigs';
    expect(() => validateObject(sts, 'prometheus.yaml')).toThrow(/limits\/memory/);
    expect(() => validateObject({ apiVersion: 'v9', kind: 'Nope' })).toThrow(/no schema/);
  });
});

describe('one apply: kubectl apply -k', () => {
  it('the kustomization lists every applied manifest once, the namespaces first, and each file exists', () => {
    const files = generateAll();
    const k = parse(files.get('kustomization.yaml')!)[0]!;
    expect(k.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(k.resources[0]).toBe('namespace.yaml');
    expect(k.resources).toEqual([...appliedManifests(DEFAULT_MONITORING_CONFIG).keys()]);
    for (const r of k.resources) expect(files.has(r), r).toBe(true);
    // Every top-level manifest is applied (a file left out would silently not be deployed).
    const topLevel = [...files.keys()].filter((p) => !p.includes('/') && p !== 'kustomization.yaml');
    expect(k.resources).toEqual(expect.arrayContaining(topLevel));
    expect(new Set(k.resources).size).toBe(k.resources.length);
  });

  for (const [variant, config] of Object.entries(VARIANTS)) {
    it(`kustomize renders a complete, valid stack whose references all resolve (${variant})`, async () => {
      await withTempDir(async (dir) => {
        const r = await kustomize(config, dir);
        expect(r.code, r.out).toBe(0);
        const out = parse(r.out);
        for (const o of out) validateObject(o, 'kustomize output');
        const k = config.kubernetes;
        const namespaces = out.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
        expect(namespaces).toEqual(
          k.createAppNamespace ? [k.monitoringNamespace, k.appNamespace] : [k.monitoringNamespace],
        );
        expect(out[0]?.kind).toBe('Namespace'); // applied before anything that lives in it
        for (const o of out) if (o.kind !== 'Namespace') expect(o.metadata.namespace, o.kind).toBeTruthy();

        const byKey = (kind: string, ns: string, name: string): Obj | undefined =>
          out.find((o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name);
        for (const { name, spec, template } of podSpecs(out)) {
          const ns = out.find((o) => o.spec?.template === template)!.metadata.namespace;
          for (const v of spec.volumes ?? []) {
            if (v.configMap)
              expect(byKey('ConfigMap', ns, v.configMap.name), `${name} ${v.name}`).toBeDefined();
            if (v.secret) expect(byKey('Secret', ns, v.secret.secretName), `${name} ${v.name}`).toBeDefined();
          }
          for (const c of spec.containers) {
            for (const e of c.env ?? []) {
              const ref = e.valueFrom?.secretKeyRef;
              if (ref)
                expect(byKey('Secret', ns, ref.name)?.data?.[ref.key], `${name} ${e.name}`).toBeDefined();
            }
          }
        }
        // Each Secret key holds the content of its file (kustomize base64-encodes it).
        for (const f of secretFiles(config)) {
          const data = byKey('Secret', f.namespace, f.secret)?.data?.[f.key];
          expect(Buffer.from(String(data), 'base64').toString(), `${f.namespace}/${f.secret}`).toBe(
            `value of ${f.key}`,
          );
        }
      });
    });
  }

  it('a missing secret file stops kustomize before anything is applied, naming the file', async () => {
    await withTempDir(async (dir) => {
      const r = await kustomize(DEFAULT_MONITORING_CONFIG, dir, 'secrets/slack-webhook-url');
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('slack-webhook-url');
    });
  });
});

describe('hardened, durable and reloadable', () => {
  const all = objects(generateAll()).map((o) => o.obj);

  it('every container has requests and limits, and a hardened securityContext; every pod too', () => {
    const pods = podSpecs(all);
    expect(pods.map((p) => p.name).sort()).toEqual([
      'Deployment/grafana',
      'StatefulSet/alertmanager',
      'StatefulSet/prometheus',
    ]);
    let containers = 0;
    for (const { name, spec } of pods) {
      expect(spec.securityContext.runAsNonRoot, name).toBe(true);
      expect(spec.securityContext.runAsUser, name).toBeGreaterThan(0);
      expect(spec.securityContext.seccompProfile, name).toEqual({ type: 'RuntimeDefault' });
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        containers++;
        const where = `${name}/${c.name}`;
        for (const kind of ['requests', 'limits']) {
          expect(c.resources?.[kind]?.cpu, `${where} ${kind}.cpu`).toMatch(/^\d+m?$/);
          expect(c.resources?.[kind]?.memory, `${where} ${kind}.memory`).toMatch(/^\d+(Mi|Gi)$/);
        }
        expect(c.securityContext, where).toEqual({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
    }
    expect(containers).toBe(5); // prometheus, alertmanager, their two reloaders, grafana
    expect(HARDENED_CONTAINER.readOnlyRootFilesystem).toBe(true);
  });

  it('no subPath mounts anywhere (an edited ConfigMap never reaches a subPath mount)', () => {
    for (const { name, spec } of podSpecs(all)) {
      for (const c of spec.containers) {
        for (const m of c.volumeMounts ?? [])
          expect(m.subPath, `${name}/${c.name} ${m.name}`).toBeUndefined();
      }
    }
  });

  it('Prometheus and Alertmanager keep their data on PersistentVolumeClaims sized from the config', () => {
    const config = resolveMonitoringConfig({
      kubernetes: {
        prometheus: { storageSize: '100Gi', retention: '30d', retentionSize: '90GB' },
        alertmanagerStorage: { storageSize: '2Gi' },
      },
    });
    const sts = objects(generateAll(config))
      .map((o) => o.obj)
      .filter((o) => o.kind === 'StatefulSet');
    const prom = sts.find((o) => o.metadata.name === 'prometheus')!;
    const am = sts.find((o) => o.metadata.name === 'alertmanager')!;
    for (const [s, size, path] of [
      [prom, '100Gi', '/prometheus'],
      [am, '2Gi', '/alertmanager'],
    ] as const) {
      const claim = s.spec.volumeClaimTemplates[0];
      expect(claim.spec.resources.requests.storage).toBe(size);
      expect(claim.spec.accessModes).toEqual(['ReadWriteOnce']);
      const main = s.spec.template.spec.containers[0];
      expect(main.volumeMounts).toContainEqual({ name: claim.metadata.name, mountPath: path });
      // The claim, not an emptyDir, backs the data mount.
      expect(s.spec.template.spec.volumes.map((v: Obj) => v.name)).not.toContain(claim.metadata.name);
    }
    const args: string[] = prom.spec.template.spec.containers[0].args;
    expect(args).toContain('--storage.tsdb.retention.time=30d');
    expect(args).toContain('--storage.tsdb.retention.size=90GB');
    expect(am.spec.template.spec.containers[0].args).toContain('--storage.path=/alertmanager');
  });

  it('config and rules are reloaded in place by a sidecar, never by rolling the pod', () => {
    for (const [app, port] of [
      ['prometheus', 9090],
      ['alertmanager', 9093],
    ] as const) {
      const s = all.find((o) => o.kind === 'StatefulSet' && o.metadata.name === app)!;
      // A checksum of the config on the pod template would restart the pod (and every alert's `for`).
      expect(s.spec.template.metadata.annotations, app).toBeUndefined();
      const [main, reloader] = s.spec.template.spec.containers;
      expect(reloader.name).toBe('config-reloader');
      expect(reloader.args).toContain(`--reload-url=http://127.0.0.1:${port}/-/reload`);
      const configMounts = (main.volumeMounts as Obj[]).filter((m) =>
        s.spec.template.spec.volumes.some((v: Obj) => v.name === m.name && (v.configMap || v.secret)),
      );
      expect(configMounts.length).toBeGreaterThan(0);
      for (const m of configMounts) {
        if (m.name === 'scrape-token') continue; // read by Prometheus on every scrape
        expect(reloader.args, `${app} ${m.name}`).toContain(`--watched-dir=${m.mountPath}`);
        expect(reloader.volumeMounts).toContainEqual({
          name: m.name,
          mountPath: m.mountPath,
          readOnly: true,
        });
      }
      const configFlag = (main.args as string[]).find((a) => a.startsWith('--config.file='))!;
      const configDir = dirname(configFlag.slice('--config.file='.length));
      expect(configMounts.map((m) => m.mountPath)).toContain(configDir);
    }
    const prom = all.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'prometheus')!;
    expect(prom.spec.template.spec.containers[0].args).toContain('--web.enable-lifecycle');
  });
});

describe('the scrape job authenticates when auth is on', () => {
  it('sends the token from the Secret mounted in the Prometheus pod', () => {
    const config = DEFAULT_MONITORING_CONFIG;
    const job = (buildKubernetesPrometheusConfig(config) as Obj).scrape_configs[0];
    expect(job.authorization.type).toBe('Bearer');
    const prom = objects(generateAll(config)).find((o) => o.obj.kind === 'StatefulSet')!.obj;
    const spec = prom.spec.template.spec;
    const volume = spec.volumes.find((v: Obj) => v.secret?.secretName === config.scrape.auth.secretName);
    expect(volume).toBeDefined();
    const mount = spec.containers[0].volumeMounts.find((m: Obj) => m.name === volume.name);
    expect(job.authorization.credentials_file).toBe(`${mount.mountPath}/${config.scrape.auth.secretKey}`);
    // The same token file feeds the app's Secret and Prometheus's, so they always agree.
    const sources = secretFiles(config).filter((f) => f.secret === config.scrape.auth.secretName);
    expect(sources.map((f) => f.namespace).sort()).toEqual(['victor-monitoring', 'victor-production']);
    expect(new Set(sources.map((f) => f.file)).size).toBe(1);
  });

  it('sends none, and mounts none, when auth is off', () => {
    const config = VARIANTS['auth off, app namespace elsewhere, storage class set']!;
    const job = (buildKubernetesPrometheusConfig(config) as Obj).scrape_configs[0];
    expect(job.authorization).toBeUndefined();
    const prom = objects(generateAll(config)).find((o) => o.obj.kind === 'StatefulSet')!.obj;
    expect(JSON.stringify(prom)).not.toContain(config.scrape.auth.secretName);
    expect(secretFiles(config).some((f) => f.secret === config.scrape.auth.secretName)).toBe(false);
  });
});
