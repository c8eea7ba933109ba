import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN, ROOT, runCaptured, spawnDemo } from './helpers.ts';

const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 45_000,
    env: { ...process.env, VICTOR_PERF_TOKEN: '', ...env },
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('victor-perf demo (child process)', () => {
  it('serves live data from every category and exits 0 on SIGTERM', async () => {
    const demo = spawnDemo(['--port', '0']);
    const { child, exited } = demo;
    children.push(child);

    // The banner is several writes; wait for its last line (a pipe may deliver the first one alone).
    const base = await waitFor('the banner on stdout', async () =>
      demo.stdout().includes('Press Ctrl+C to stop.')
        ? /listening on (http:\/\/\S+)/.exec(demo.stdout())?.[1]
        : undefined,
    );
    expect(demo.stdout()).toContain(`dashboard  ${base}/`);
    expect(demo.stdout()).toContain(`summary    ${base}/api/performance/summary`);
    expect(demo.stdout()).toContain(`metrics    ${base}/metrics`);
    await waitFor('readiness', async () =>
      (await fetch(`${base}/readyz`)).status === 200 ? true : undefined,
    );

    const read = async () => {
      const res = await fetch(`${base}/api/performance/summary`);
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const first = await read();
    const categories = ['tool_selection', 'cache', 'bootstrap', 'provider_pool', 'tool_execution', 'system'];
    for (const category of categories) expect(first[category], category).toBeTypeOf('object');
    // Every category moves while the workload runs (a busy machine only makes it take longer).
    let unchanged: string[] = [];
    const second = await waitFor(
      'every category to change',
      async () => {
        const next = await read();
        unchanged = categories.filter((c) => JSON.stringify(next[c]) === JSON.stringify(first[c]));
        return unchanged.length === 0 ? next : undefined;
      },
      30_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: unchanged ${unchanged.join(', ')}`);
    });
    expect(second.errors).toEqual([]);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('victor_provider_requests_total{provider="anthropic"}');

    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    expect(code, demo.stderr()).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(demo.stdout()).toContain('SIGTERM: shutting down');
  }, 60_000);
});

describe('command line', () => {
  it('exits 2 with one line on stderr for an invalid flag, command or value', () => {
    for (const [args, message] of [
      [['demo', '--bogus'], 'victor-perf demo: unknown option --bogus (see victor-perf demo --help)'],
      [['nope'], 'victor-perf: unknown command "nope" (see victor-perf --help)'],
      [
        ['demo', '--port', 'eighty'],
        'victor-perf demo: --port must be an integer from 0 to 65535, got "eighty"',
      ],
    ] as const) {
      const r = cli([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain(message);
    }
  }, 120_000);

  it('prints help for every command, through the bin script too', () => {
    const main = cli(['--help']);
    expect(main.status).toBe(0);
    expect(main.stdout).toMatch(/^victor-perf: performance monitoring/);
    for (const cmd of ['demo', 'serve']) expect(main.stdout).toContain(`  ${cmd} `);

    const bin = spawnSync(process.execPath, ['bin/victor-perf.js', 'demo', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 45_000,
    });
    expect(bin.status, bin.stderr).toBe(0);
    expect(bin.stdout).toMatch(/^Usage: victor-perf demo \[options\]/);
    expect(bin.stdout).toContain('cache-miss-storm');
  }, 90_000);

  it('validates every flag in process', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['demo', '--scenario', 'chaos'], /unknown scenario "chaos"; scenarios: normal, cache-miss-storm/],
      [['demo', '--seed=-1'], /--seed must be an integer/],
      [['demo', '--seed', '1.5'], /--seed must be an integer/],
      [['demo', '--port', '70000'], /--port must be an integer from 0 to 65535/],
      [['demo', '--port'], /argument missing/],
      [['demo', 'extra'], /unexpected argument extra/],
      [['demo', '--memory-cap-mb', '1'], /--memory-cap-mb must be an integer from 64/],
      [['serve', '--scenario', 'normal'], /unknown option --scenario/],
      [['serve', '--prometheus-url', 'not a url'], /--prometheus-url is not a URL/],
      [['serve', '--prometheus-url', 'ftp://x'], /must be http or https/],
      [['--port', '1'], /unknown option --port/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCaptured(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(message);
      expect(r.err.trimEnd().split('\n'), argv.join(' ')).toHaveLength(1);
    }
  });

  it('prints each command help and exits 0; no command is a usage error', async () => {
    for (const cmd of ['demo', 'serve']) {
      for (const flag of ['--help', '-h']) {
        const r = await runCaptured([cmd, flag]);
        expect(r.code).toBe(0);
        expect(r.out).toMatch(new RegExp(`^Usage: victor-perf ${cmd} \\[options\\]`));
        expect(r.out).toContain('--token-file');
      }
    }
    const none = await runCaptured([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('Usage: victor-perf <command>');
  });

  it('delegates generate to the monitoring generator', async () => {
    expect((await runCaptured(['generate', '--help'])).code).toBe(0);
  });

  it('serve starts, reports this process, and stops on the signal', async () => {
    const r = await runCaptured(['serve', '--port', '0']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.out).toContain('SIGTERM: shutting down');
  });

  it('refuses an unreadable token file with exit 2', async () => {
    const r = await runCaptured(['serve', '--port', '0', '--token-file', '/nonexistent/token']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read token file \/nonexistent\/token/);
  });
});
