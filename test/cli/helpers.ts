/** Starting `victor-perf demo` as a child process, and running the CLI in-process: shared by the CLI tests. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, type CliIO } from '../../src/cli/main.ts';

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

/** Runs `run()` in this process with captured output. */
export async function runCaptured(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (l) => (out += `${l}\n`),
    err: (l) => (err += `${l}\n`),
    env: {},
    untilSignal: () => Promise.resolve('SIGTERM'),
  };
  const code = await run(argv, io);
  return { code, out, err };
}
