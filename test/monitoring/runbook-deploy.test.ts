/**
 * The runbook's deploy steps, run as written: the shell block of "## Deploy" in docs/runbook.md, in a copy of
 * the generated tree, with a `kubectl` shim that renders `apply -k` through kubectl's own kustomize (no cluster
 * here) and records every other call. The commands it names must find the objects the apply creates.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_MONITORING_CONFIG } from '../../src/monitoring/config.ts';
import { DEFAULT_OUT_DIR, generateAll } from '../../src/monitoring/generate.ts';
import { secretFiles } from '../../src/monitoring/kustomize.ts';
import { run, withTempDir } from './helpers.ts';
import { validateObject } from './k8s-schema.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const execFileP = promisify(execFile);

/** The first ```sh block after the "## Deploy" heading. */
async function deploySteps(): Promise<string> {
  const runbook = await readFile('docs/runbook.md', 'utf8');
  const section = runbook.slice(runbook.indexOf('\n## Deploy\n'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m?.[1]) throw new Error('docs/runbook.md: no sh block under "## Deploy"');
  return m[1];
}

const SHIM = `#!/bin/sh
printf '%s\\n' "$*" >> "$KUBECTL_LOG"
if [ "$1" = apply ] && [ "$2" = -k ]; then
  n=$(wc -l < "$KUBECTL_LOG")
  exec "$REAL_KUBECTL" kustomize "$3" > "$KUBECTL_LOG.apply.$n"
fi
`;
/** No Docker engine here: record the build and check its context. */
const DOCKER_SHIM = `#!/bin/sh
printf '%s|%s\\n' "$PWD" "$*" >> "$DOCKER_LOG"
`;

describe('runbook: Deploy', () => {
  it('the secret files it writes are exactly those the kustomization reads', async () => {
    const steps = await deploySteps();
    const written = [...steps.matchAll(/> (secrets\/[\w.-]+)/g)].map((m) => m[1]);
    const read = [...new Set(secretFiles(DEFAULT_MONITORING_CONFIG).map((f) => f.file))];
    expect(written.sort()).toEqual(read.sort());
    expect(steps).toContain(`cd ${DEFAULT_OUT_DIR}`);
  });

  it('runs as written: kustomize renders the stack and the objects the later commands name exist', async () => {
    const realKubectl = (await execFileP('sh', ['-c', 'command -v kubectl'])).stdout.trim();
    expect(realKubectl).not.toBe('');
    const steps = await deploySteps();
    await withTempDir(async (dir) => {
      for (const [path, text] of generateAll()) {
        await mkdir(dirname(join(dir, DEFAULT_OUT_DIR, path)), { recursive: true });
        await writeFile(join(dir, DEFAULT_OUT_DIR, path), text);
      }
      await mkdir(join(dir, 'bin'));
      await writeFile(join(dir, 'bin', 'kubectl'), SHIM);
      await writeFile(join(dir, 'bin', 'docker'), DOCKER_SHIM);
      await chmod(join(dir, 'bin', 'kubectl'), 0o755);
      await chmod(join(dir, 'bin', 'docker'), 0o755);
      // The repository files the steps use besides the generated tree.
      await cp('examples/kubernetes', join(dir, 'examples/kubernetes'), { recursive: true });
      await cp('Dockerfile', join(dir, 'Dockerfile'));
      const log = join(dir, 'kubectl.log');
      const env = {
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        KUBECTL_LOG: log,
        DOCKER_LOG: join(dir, 'docker.log'),
        REAL_KUBECTL: realKubectl,
        PAGERDUTY_ROUTING_KEY: 'pd-key',
        SLACK_WEBHOOK_URL: 'https://hooks.slack.example/a',
        SLACK_LOW_PRIORITY_WEBHOOK_URL: 'https://hooks.slack.example/b',
      };
      const r = await run('bash', ['-euo', 'pipefail', '-c', steps], dir, env);
      expect(r.code, r.stdout + r.stderr).toBe(0);

      const calls = (await readFile(log, 'utf8')).trim().split('\n');
      const applies = calls.flatMap((c, i) => (c.startsWith('apply -k') ? [i + 1] : []));
      expect(applies.length).toBeGreaterThan(0);
      const objects: Obj[] = [];
      for (const n of applies) {
        const text = await readFile(`${log}.apply.${n}`, 'utf8');
        objects.push(...parseAllDocuments(text).map((d) => d.toJS() as Obj));
      }
      expect(objects[0]?.kind).toBe('Namespace');
      for (const o of objects) validateObject(o, 'runbook apply');
      const token = objects.find((o) => o.kind === 'Secret' && o.metadata.namespace === 'victor-production')
        ?.data?.token;
      expect(Buffer.from(String(token).replace(/\n/g, ''), 'base64').toString()).toMatch(/^[0-9a-f]{64}\n$/);

      // The image it builds (from the repository root) is the one the example deploys.
      const builds = (await readFile(join(dir, 'docker.log'), 'utf8')).trim().split('\n');
      expect(builds).toHaveLength(1);
      const [cwd, command] = builds[0]!.split('|') as [string, string];
      const build = /^build -t (\S+) (\S+)$/.exec(command);
      expect(build, command).not.toBeNull();
      expect(existsSync(join(cwd, build![2]!, 'Dockerfile'))).toBe(true);
      const app = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'victor-api');
      expect(app?.spec.template.spec.containers[0].image).toBe(build![1]);

      // `-n NS rollout status kind/name` and the like must name objects the apply created.
      const kinds: Record<string, string> = {
        statefulset: 'StatefulSet',
        deployment: 'Deployment',
        svc: 'Service',
      };
      const named = calls.filter((c) => !c.startsWith('apply'));
      expect(named.length).toBeGreaterThan(0);
      for (const call of named) {
        const ns = /-n (\S+)/.exec(call)?.[1];
        for (const m of call.matchAll(/\b(statefulset|deployment|svc)\/([\w-]+)/g)) {
          const found = objects.find(
            (o) => o.kind === kinds[m[1]!] && o.metadata.name === m[2] && o.metadata.namespace === ns,
          );
          expect(found, call).toBeDefined();
        }
      }
    });
  });

  it('names only files that exist in the repository', async () => {
    const runbook = await readFile('docs/runbook.md', 'utf8');
    const section = runbook.slice(runbook.indexOf('\n## Deploy\n'));
    const files = generateAll();
    for (const m of section.matchAll(/`((?:snippets|config|operator|dashboards|grafana)\/[\w./-]+)`/g)) {
      expect(files.has(m[1]!), m[1]).toBe(true);
    }
  });
});
