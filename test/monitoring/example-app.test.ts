/**
 * The app side: examples/kubernetes (an agent app embedding victor-perf) and the Dockerfile, checked against
 * the monitoring config the generated stack uses. No Docker engine runs here, so the image is not built: what
 * can be checked is checked (the files it copies, the command it runs, the user and port it declares), and the
 * pod's command runs for real, on loopback, with the pod's environment.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { HOST_ENV, isCommand, parseServeArgs } from '../../src/cli/args.ts';
import { run as runCli, type CliIO } from '../../src/cli/main.ts';
import { DEFAULT_MONITORING_CONFIG as config } from '../../src/monitoring/config.ts';
import { generateAll } from '../../src/monitoring/generate.ts';
import { secretFiles } from '../../src/monitoring/kustomize.ts';
import { run } from './helpers.ts';
import { validateObject } from './k8s-schema.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function example(): Promise<Obj[]> {
  const r = await run('kubectl', ['kustomize', 'examples/kubernetes']);
  expect(r.code, r.stderr).toBe(0);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
}

const appContainer = (objs: Obj[]): { deployment: Obj; container: Obj } => {
  const deployment = objs.find((o) => o.kind === 'Deployment')!;
  return { deployment, container: deployment.spec.template.spec.containers[0] };
};

describe('examples/kubernetes: the app as the monitoring expects it', () => {
  it('validates against the schemas and lands in the app namespace', async () => {
    const objs = await example();
    expect(objs.map((o) => o.kind).sort()).toEqual(['Deployment', 'Service']);
    for (const o of objs) {
      validateObject(o, 'examples/kubernetes');
      expect(o.metadata.namespace).toBe(config.kubernetes.appNamespace);
    }
  });

  it('is selected by the NetworkPolicy and scraped where the annotations and the PodMonitor look', async () => {
    const { deployment, container } = appContainer(await example());
    const template = deployment.spec.template;
    expect(template.metadata.labels).toMatchObject(config.kubernetes.appPodLabels);
    const patch = parseAllDocuments(
      generateAll().get('snippets/app-pod-annotations.yaml')!,
    )[0]!.toJS() as Obj;
    expect(template.metadata.annotations).toEqual(patch.spec.template.metadata.annotations);
    expect(container.ports).toContainEqual({
      name: config.scrape.portName,
      containerPort: config.scrape.port,
    });
  });

  it('binds beyond loopback, with the token from the Secret the monitoring apply generates', async () => {
    const { container } = appContainer(await example());
    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e]));
    expect(env[HOST_ENV]?.value).toBe('0.0.0.0');
    const ref = env.VICTOR_PERF_TOKEN?.valueFrom?.secretKeyRef;
    expect(ref).toEqual({ name: config.scrape.auth.secretName, key: config.scrape.auth.secretKey });
    expect(secretFiles(config)).toContainEqual(
      expect.objectContaining({ secret: ref.name, key: ref.key, namespace: config.kubernetes.appNamespace }),
    );
  });

  it('is hardened like the monitoring stack, with requests and limits', async () => {
    const { deployment, container } = appContainer(await example());
    expect(deployment.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const kind of ['requests', 'limits']) {
      expect(container.resources[kind].cpu).toBeTruthy();
      expect(container.resources[kind].memory).toBeTruthy();
    }
  });

  it("runs the pod's command with the pod's token: probes answer without it, /metrics only with it", async () => {
    const { container } = appContainer(await example());
    const token = 'example-token';
    // The pod's arguments and environment, on an ephemeral loopback port (tests never bind 0.0.0.0).
    const args = (container.args as string[]).map((a, i, all) => (all[i - 1] === '--port' ? '0' : a));
    let out = '';
    let stop!: (signal: string) => void;
    const io: CliIO = {
      out: (l) => (out += `${l}\n`),
      err: (l) => (out += `${l}\n`),
      env: { [HOST_ENV]: '127.0.0.1', VICTOR_PERF_TOKEN: token },
      untilSignal: () => new Promise((resolve) => (stop = resolve)),
    };
    const exit = runCli(args, io);
    try {
      const deadline = Date.now() + 20_000;
      let url: string | undefined;
      while (!(url = /listening on (\S+)/.exec(out)?.[1])) {
        if (Date.now() > deadline) throw new Error(`server did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const probes = ['readinessProbe', 'livenessProbe'].map((p) => container[p].httpGet.path as string);
      for (const path of probes) expect((await fetch(`${url}${path}`)).status, path).toBe(200);
      expect((await fetch(`${url}${config.scrape.path}`)).status).toBe(401);
      const scrape = await fetch(`${url}${config.scrape.path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('# TYPE');
    } finally {
      stop?.('SIGTERM');
      expect(await exit).toBe(0);
    }
  });
});

/** Dockerfile instructions, continuation lines joined, comments dropped. */
async function dockerfile(): Promise<{ op: string; args: string }[]> {
  const text = (await readFile('Dockerfile', 'utf8')).replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile (not built here: no Docker engine; everything else about it is checked)', () => {
  it('copies only files that exist, and the build context leaves secrets and installs out', async () => {
    const copies = (await dockerfile()).filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const sources = c.args.split(/\s+/).slice(0, -1);
      for (const s of sources) expect(existsSync(s), s).toBe(true);
    }
    const ignored = (await readFile('.dockerignore', 'utf8')).split('\n');
    for (const p of ['node_modules', '.git', 'deployment/kubernetes/monitoring/secrets']) {
      expect(ignored).toContain(p);
    }
  });

  it("runs the package's victor-perf serve on the monitored port, as a non-root user, bound to 0.0.0.0", async () => {
    const ins = await dockerfile();
    const last = (op: string): string => ins.filter((i) => i.op === op).at(-1)?.args ?? '';
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as Obj;
    // The entry point is the package's own bin, installed from the packed tarball.
    const entry = JSON.parse(last('ENTRYPOINT')) as string[];
    expect(entry).toEqual([`/app/node_modules/.bin/${pkg.name}`]);
    expect(existsSync(pkg.bin[pkg.name])).toBe(true);
    if (pkg.files) expect(pkg.files).toContain(pkg.bin[pkg.name].split('/')[0]);
    expect(last('RUN')).toMatch(new RegExp(`npm install .*/tmp/pkg/${pkg.name}-\\*\\.tgz`));
    expect(ins.some((i) => i.op === 'RUN' && /npm pack/.test(i.args))).toBe(true);
    // The command is a real CLI command whose arguments parse, with the image's environment.
    const cmd = JSON.parse(last('CMD')) as string[];
    expect(isCommand(cmd[0]!)).toBe(true);
    const env = Object.fromEntries(
      [...last('ENV').matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]),
    ) as NodeJS.ProcessEnv;
    const parsed = parseServeArgs(cmd.slice(1), env);
    expect(parsed).toMatchObject({ host: '0.0.0.0', port: config.scrape.port });
    expect(last('EXPOSE')).toBe(String(config.scrape.port));
    // Non-root, and the same user the example pod runs as.
    const [uid] = last('USER').split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    const { deployment } = appContainer(await example());
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(Number(uid));
  });
});
