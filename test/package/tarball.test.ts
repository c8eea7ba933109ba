/**
 * The published package, proven from its tarball in a fresh app: plain ESM, require(), a strict TypeScript
 * consumer, an esbuild bundle, the CLI through npx, and the checks of publint and are-the-types-wrong.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from 'victor-perf';
import { NO_SDK_NOTICE } from '../../src/demo/agent.ts';
import {
  ROOT,
  exitOf,
  installPackedApp,
  installedPackageDir,
  listeningUrl,
  untilClosed,
  type InstalledApp,
} from './helpers.ts';

const run = promisify(execFile);
let app: InstalledApp;

beforeAll(async () => {
  app = await installPackedApp();
}, 300_000);

afterAll(() => app?.remove());

const json = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('the packed package', () => {
  it('holds only what it needs: dist/ (JavaScript, declarations, maps, dashboard files), bin/, README', async () => {
    const { stdout } = await run('tar', ['tzf', app.tarball]);
    const files = stdout.trim().split('\n');
    const tops = new Set(files.map((f) => f.split('/')[1]));
    expect([...tops].sort()).toEqual(['README.md', 'bin', 'dist', 'package.json']);
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/index.js.map');
    expect(files).toContain('package/dist/web/public/index.html');
    expect(files.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toBe(false);
  });

  it('installs on Node 20 without engine warnings and without tsx', () => {
    expect(app.installLog).not.toMatch(/EBADENGINE/);
    expect(app.installLog).not.toMatch(/\btsx\b/);
  });

  it('publint reports nothing', async () => {
    const pkgDir = installedPackageDir(app);
    const { messages, pkg } = await publint({ pkgDir, pack: false, strict: true });
    expect(messages.map((m) => formatMessage(m, pkg))).toEqual([]);
  });

  it(
    'are-the-types-wrong reports nothing (ESM-only profile: require() of ESM is Node >= 20.19)',
    { timeout: 180_000 },
    async () => {
      const attw = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
      const result = await run(
        process.execPath,
        [attw, app.tarball, '--profile', 'esm-only', '--format', 'json'],
        {
          maxBuffer: 16 << 20,
        },
      ).then(
        ({ stdout }) => ({ stdout, code: 0 }),
        (err: { stdout: string; code: number }) => err,
      );
      // The profile leaves out node10 (no `exports` support) and require() from CJS under node16 rules (it
      // predates require() of ESM); every other resolution must be clean, and the CLI's verdict must be a pass.
      const report = JSON.parse(result.stdout) as {
        analysis: { problems: Array<{ resolutionKind?: string }> };
      };
      const counted = report.analysis.problems.filter(
        (p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs',
      );
      expect(counted).toEqual([]);
      expect(result.code).toBe(0);
    },
  );
});

describe('a consumer of the installed package', () => {
  it('imports every entry point from plain node ESM and measures', async () => {
    const out = json((await app.node(['esm.mjs'])).stdout);
    expect(out).toMatchObject({
      result: 'contents of a.txt',
      calls: true,
      entries: {
        fastify: 'function',
        monitoring: 'function',
        otel: 'function',
        server: 'function',
        aiSdk: 'function',
        openai: 'function',
        anthropic: 'function',
        mcp: 'function',
      },
    });
  });

  it('loads the root entry without an HTTP framework, a YAML parser, the demo or the server', async () => {
    const out = json((await app.node(['root-only.mjs'])).stdout);
    expect(out).toEqual({ metrics: 'string' });
  });

  it("loads through require('victor-perf')", async () => {
    const out = json((await app.node(['require.cjs'])).stdout);
    expect(out).toEqual({ calls: true });
  });

  it(
    'compiles a strict nodenext TypeScript consumer with zero errors, and runs it',
    { timeout: 180_000 },
    async () => {
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const compiled = await app.node([tsc, '-p', 'tsconfig.json']).catch((err: { stdout: string }) => err);
      expect(compiled.stdout).toBe('');
      const out = json((await app.node(['out/consumer.js'])).stdout);
      expect(out).toEqual({ answer: 'HELLO', tools: ['upper'], port: 0, panels: true });
    },
  );

  it('runs as an esbuild bundle: the root entry as one ESM file, with no help', async () => {
    await bundle('bundle-root.mjs', 'bundle/root.mjs', {});
    const out = json((await app.node(['bundle/root.mjs'])).stdout);
    expect(out).toEqual({ version: VERSION, bundled: true });
  });

  it('runs as an esbuild bundle: the server finds the dashboard files and the version from the bundle', async () => {
    // Dependencies written as CommonJS (YAML) need `require` inside an ESM bundle: esbuild's usual banner.
    const banner = {
      js: "import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);",
    };
    await bundle('bundle-server.mjs', 'bundle/server.mjs', { external: ['fastify'], banner });
    const out = json((await app.node(['bundle/server.mjs'])).stdout);
    expect(out).toEqual({
      version: VERSION,
      page: 200,
      uplot: true,
      openapiVersion: VERSION,
      bundleTool: true,
    });
  });
});

function bundle(entry: string, outfile: string, options: BuildOptions): Promise<unknown> {
  return build({
    absWorkingDir: app.dir,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    ...options,
  });
}

describe('the victor-perf bin, installed', () => {
  it('`npx victor-perf demo` without the AI SDK packages says so in one line, serves the simulated workload and the dashboard, and a SIGTERM to npx stops the server', async () => {
    const npx = app.spawn('npx', ['victor-perf', 'demo', '--port', '0']);
    let stderr = '';
    npx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const url = await listeningUrl(npx);
      // The consumer installed the library alone: no `ai`, no `@ai-sdk/openai-compatible`.
      const notices = (): string[] => stderr.split('\n').filter((l) => l.includes('not installed'));
      const noticeBy = Date.now() + 30_000;
      while (notices().length === 0 && Date.now() < noticeBy) await new Promise((r) => setTimeout(r, 100));
      expect(notices()).toEqual([NO_SDK_NOTICE]);
      // ...and the demo still serves data: the simulated providers and tools.
      const deadline = Date.now() + 60_000;
      let summary: {
        provider_pool?: { requests: { total: number } };
        tool_execution?: { executions: { total: number } };
      } = {};
      while (!(
        (summary.provider_pool?.requests.total ?? 0) > 0 &&
        (summary.tool_execution?.executions.total ?? 0) > 0
      )) {
        if (Date.now() > deadline)
          throw new Error(`no provider requests or tool executions: ${JSON.stringify(summary)}`);
        await new Promise((r) => setTimeout(r, 250));
        summary = (await (await fetch(`${url}/api/performance/summary`)).json()) as typeof summary;
      }
      const page = await fetch(url + '/');
      const html = await page.text();
      expect(page.status).toBe(200);
      // asset paths are relative to the page, so that a basePath in a host app keeps them under it
      const script = /src="\/?(dashboard\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toMatch(/\.js$/);
      expect((await fetch(`${url}/${script}`)).status).toBe(200);
      npx.kill('SIGTERM');
      await exitOf(npx);
      // npx's shell passes the signal on to nobody: the bin notices its parent is gone and stops too.
      await untilClosed(url);
    } finally {
      npx.kill('SIGKILL');
    }
  });

  it('stops on SIGTERM sent to the bin itself, exit code 0', async () => {
    const bin = app.spawn(process.execPath, [
      join('node_modules', '.bin', 'victor-perf'),
      'demo',
      '--port',
      '0',
    ]);
    try {
      const url = await listeningUrl(bin);
      bin.kill('SIGTERM');
      expect(await exitOf(bin)).toBe(0);
      await untilClosed(url);
    } finally {
      bin.kill('SIGKILL');
    }
  });
});
