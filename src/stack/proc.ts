/**
 * Child processes the stack starts (Prometheus, Alertmanager, demo servers): started with their output kept
 * in a small ring for error messages, awaited until an HTTP readiness URL answers, and always stopped by
 * whoever started them (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export class StackError extends Error {
  override name = 'StackError';
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines the process wrote (stdout and stderr). */
  output(): string;
  /** Resolves once the process has exited; SIGKILL after graceMs. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Echo the process's output with a `[name]` prefix. */
  echo?: boolean;
}

export function startProcess(o: StartOptions): ManagedProcess {
  const child = spawn(o.command, o.args, {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (o.echo) process.stdout.write(`[${o.name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (err) => {
      lines.push(`failed to start ${o.command}: ${err.message}`);
      resolve(null);
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    name: o.name,
    child,
    exited,
    output: () => lines.join('\n'),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Polls `url` until it answers 2xx, the process exits, or the time is up (then throws with its output). */
export async function waitReady(
  proc: ManagedProcess,
  url: string,
  timeoutMs = 30_000,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => (exitCode = code));
  let last = '';
  while (Date.now() < deadline) {
    if (signal?.aborted) throw new StackError(`stopped while waiting for ${proc.name}`);
    if (exitCode !== undefined) {
      throw new StackError(`${proc.name} exited (code ${exitCode}) before it was ready:\n${proc.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new StackError(
    `${proc.name} was not ready at ${url} within ${timeoutMs} ms (${last}):\n${proc.output()}`,
  );
}

/** A TCP port free on 127.0.0.1 right now (for programs that cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
