/**
 * `victor-perf stack` as a user runs it: a child process (bin/victor-perf.js) that starts a demo, Alertmanager
 * and Prometheus, prints the URLs, scrapes the demo, and on SIGTERM stops every process it started and removes
 * its temp data dir. Plus its two failures: nothing to scrape (usage error, exit 2) and Prometheus missing
 * from PATH (exit 1 with the install command).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTALL_HINT } from '../../src/stack/stack.ts';
import { promQuery, waitFor } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'victor-perf.js');

/** Cleanups of the running test, run even when it fails (last first). */
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Processes whose parent is `pid`, with their command line (from /proc). */
function childrenOf(pid: number): Array<{ pid: number; argv: string[] }> {
  const out: Array<{ pid: number; argv: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces and parentheses: split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(entry), argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** What a child of the stack is: the demo, Alertmanager or Prometheus. */
function kind(argv: readonly string[]): string {
  const exe = basename(argv[0] ?? '');
  if (argv.includes('demo')) return 'demo';
  if (/alertmanager/.test(exe)) return 'alertmanager';
  return exe;
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers kill(0): count it as gone (it runs nothing).
    if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env });
}

describe('victor-perf stack (child process)', () => {
  it('starts a demo, Prometheus and Alertmanager, scrapes the demo, and stops them all on SIGTERM', async () => {
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      [BIN, 'stack', '--demo', '--scrape-interval', '1s'],
      { cwd: ROOT, env: { ...process.env, VICTOR_PERF_TOKEN: '' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    let started: Array<{ pid: number; argv: string[] }> = [];
    let dataDir: string | undefined = undefined;
    cleanups.push(() => {
      // Whatever the test reached: nothing it started survives, and no directory stays behind.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const prometheusUrl = await waitFor(
      async () => /^\s+prometheus\s+(http:\/\/\S+)/m.exec(stdout)?.[1],
      90_000,
      () => `no Prometheus URL printed (exit ${child.exitCode}):\n${stdout}\n${stderr}`,
      200,
    );
    dataDir = /^\s+data\s+(\S+)/m.exec(stdout)?.[1];
    expect(dataDir, stdout).toBeDefined();
    expect(existsSync(dataDir!)).toBe(true);
    const demoTarget = /^\s+scraping\s+http:\/\/(\S+?)\/metrics/m.exec(stdout)?.[1];
    expect(demoTarget, stdout).toMatch(/^127\.0\.0\.1:\d+$/);

    started = childrenOf(child.pid!);
    // tsx may also run an esbuild service while it compiles changed sources: not one of the stack's.
    const kinds = started
      .map((p) => kind(p.argv))
      .filter((k) => k !== 'esbuild')
      .sort();
    expect(kinds, JSON.stringify(started)).toEqual(['alertmanager', 'demo', 'prometheus']);

    let seen = '';
    await waitFor(
      async () => {
        const up = await promQuery(prometheusUrl, 'up{job="victor-perf"}');
        seen = JSON.stringify(up);
        return up.length === 1 && up[0]!.metric.instance === demoTarget && up[0]!.value[1] === '1';
      },
      60_000,
      () => `up of the demo target: ${seen}`,
    );

    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const exit = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000)),
    ]);
    expect(exit, `${stdout}\n${stderr}`).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(stdout).toContain('SIGTERM: stopping prometheus, alertmanager');
    expect(started.filter((p) => alive(p.pid))).toEqual([]);
    expect(existsSync(dataDir!)).toBe(false);
  }, 180_000);

  it('a SIGTERM during start-up stops what was already started and leaves no directory', async () => {
    const stackDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('victor-perf-stack-'));
    const before = new Set(stackDirs());
    const child = spawn(process.execPath, [BIN, 'stack', '--demo', '--scrape-interval', '1s'], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let started: Array<{ pid: number; argv: string[] }> = [];
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const p of started) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
    });
    // The demo is the first thing the stack starts; signal while it is still booting.
    started = await waitFor(
      async () => {
        const c = childrenOf(child.pid!);
        return c.some((p) => kind(p.argv) === 'demo') ? c : undefined;
      },
      30_000,
      () => `the stack started no demo:\n${stdout}`,
      50,
    );
    expect(stdout).not.toContain('victor-perf stack is running');
    child.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000)),
    ]);
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('SIGTERM: stopped during start-up; everything started was stopped');
    expect(started.filter((p) => alive(p.pid))).toEqual([]);
    expect(stackDirs().filter((d) => !before.has(d))).toEqual([]);
  }, 60_000);

  it('exits 2 with one line on stderr when there is nothing to scrape', () => {
    const r = runCli(['stack']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^victor-perf stack: nothing to scrape: give --target host:port or --demo/);
  }, 60_000);

  it('exits 1 with the install command when Prometheus and Alertmanager are not on PATH', () => {
    const bin = mkdtempSync(join(tmpdir(), 'victor-perf-path-'));
    cleanups.push(() => rmSync(bin, { recursive: true, force: true }));
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = runCli(['stack', '--demo'], { ...process.env, PATH: bin });
    expect(r.status, r.stderr).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('prometheus and alertmanager not found on PATH');
    expect(lines[0]).toContain(INSTALL_HINT);
  }, 60_000);
});
