/** Test helpers: temp dirs, the real tools (promtool, amtool, yamllint) and Go template formatting. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parser } from '@prometheus-io/lezer-promql';
import type { MonitoringConfig } from '../../src/monitoring/config.ts';
import { renderRuleFile } from '../../src/monitoring/rules.ts';
import { toYaml } from '../../src/monitoring/yaml.ts';

const execFileP = promisify(execFile);

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; a non-zero exit is returned, not thrown, so tests can assert on its output. */
export async function run(
  cmd: string,
  args: string[],
  cwd?: string,
  env?: NodeJS.ProcessEnv,
): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs `fn` in a fresh temp dir that is removed afterwards, even on failure. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'victor-monitoring-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `promtool test rules` of `tests` (one minute evaluation interval) against the config's generated rule file. */
export async function promtoolTestRules(
  config: MonitoringConfig,
  tests: object[],
): Promise<{ code: number; out: string }> {
  return withTempDir(async (dir) => {
    await writeFile(join(dir, 'rules.yml'), renderRuleFile(config));
    await writeFile(
      join(dir, 'tests.yml'),
      toYaml({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests }),
    );
    const r = await run('promtool', ['test', 'rules', 'tests.yml'], dir);
    return { code: r.code, out: r.stdout + r.stderr };
  });
}

// Go template formatting lives with the local alert evaluator; the tests use the same one.
export { goG, renderTemplate } from '../../src/query/template.ts';

export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * (units[m[2] as string] ?? 0);
  return total;
}

/** Parse errors (from the PromQL parser Prometheus' UI uses) and referenced metric names of one expression. */
export function analysePromQL(expr: string): { errors: string[]; metrics: string[] } {
  const errors: string[] = [];
  const metrics: string[] = [];
  parser.parse(expr).iterate({
    enter(n) {
      if (n.type.isError)
        errors.push(`error at ${n.from}: ${JSON.stringify(expr.slice(n.from, n.from + 30))}`);
      if (n.type.name === 'Identifier' && n.node.parent?.type.name === 'VectorSelector') {
        metrics.push(expr.slice(n.from, n.to));
      }
    },
  });
  return { errors, metrics };
}
