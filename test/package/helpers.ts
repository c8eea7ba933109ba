/**
 * The package as its users get it: packed once (`npm pack`, which builds dist/ through `prepack`) and
 * installed once into a fresh temporary app, with npm's cache, shared by the tests of this file.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER = fileURLToPath(new URL('./consumer/', import.meta.url));
const run = promisify(execFile);

export interface InstalledApp {
  dir: string;
  tarball: string;
  /** npm pack's report (size, unpacked size, file count). */
  packed: { size: number; unpackedSize: number; files: number };
  /** npm install's output, for warnings such as EBADENGINE. */
  installLog: string;
  /** `node <args>` in the app; rejects on a non-zero exit. */
  node(args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }>;
  spawn(command: string, args: string[]): ChildProcess;
  remove(): void;
}

function ourManifest(): { overrides: Record<string, string> } {
  return JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    overrides: Record<string, string>;
  };
}

/** The version our own install has, so that the app's install is served from npm's cache. */
function installedVersion(name: string): string {
  const manifest = join(ROOT, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Packs the package and installs it, with what a consumer brings alongside it, into a temporary app. */
export async function installPackedApp(): Promise<InstalledApp> {
  const base = mkdtempSync(join(tmpdir(), 'victor-perf-package-'));
  const env = {
    ...process.env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', base], {
    cwd: ROOT,
    env,
    maxBuffer: 16 << 20,
  });
  const report = (
    JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{
      filename: string;
      size: number;
      unpackedSize: number;
      entryCount: number;
    }>
  )[0]!;
  const tarball = join(base, report.filename);
  const dir = join(base, 'app');
  cpSync(CONSUMER, dir, { recursive: true });
  // The SDKs whose adapters load them at run time (the AI SDK and MCP adapters use theirs for types only).
  const peers = ['fastify', '@types/node', 'openai', '@anthropic-ai/sdk'];
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: {
          'victor-perf': `file:${tarball}`,
          ...Object.fromEntries(peers.map((p) => [p, installedVersion(p)])),
        },
        // Fastify 5's light-my-request 6.8 pulls cookie 2, which wants Node 22: a Node 20 app pins it, as we do.
        overrides: ourManifest().overrides,
      },
      null,
      2,
    ),
  );
  const install = await run('npm', ['install', '--prefer-offline', '--no-package-lock'], {
    cwd: dir,
    env,
    maxBuffer: 16 << 20,
  });
  return {
    dir,
    tarball,
    packed: { size: report.size, unpackedSize: report.unpackedSize, files: report.entryCount },
    installLog: install.stdout + install.stderr,
    node: (args, extra) =>
      run(process.execPath, args, { cwd: dir, env: { ...process.env, ...extra }, maxBuffer: 16 << 20 }),
    spawn: (command, args) => spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }),
    remove: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** The installed package's files (node_modules/victor-perf), for publint. */
export function installedPackageDir(app: InstalledApp): string {
  return join(app.dir, 'node_modules', 'victor-perf');
}

/** Resolves with the first URL the process prints (`listening on http://...`), or rejects after `ms`. */
export function listeningUrl(child: ChildProcess, ms = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within ${ms} ms:\n${out}`)), ms);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Resolves once nothing accepts connections at `url` any more, or rejects after `ms`. */
export async function untilClosed(url: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} still answers after ${ms} ms`);
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
