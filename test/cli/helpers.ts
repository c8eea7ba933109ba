/** Starting `victor-perf demo` as a child process, shared by the CLI tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = 'src/cli/main.ts';

export interface DemoChild {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Spawns `demo` with `args` through tsx, with output captured; the caller kills it. */
export function spawnDemo(args: string[]): DemoChild {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, VICTOR_PERF_TOKEN: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
