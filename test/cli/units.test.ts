import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError, parseDemoArgs, parseServeArgs } from '../../src/cli/args.ts';
import { run } from '../../src/cli/main.ts';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { createDashboard } from '../../src/web/dashboard.ts';
import { runCaptured } from './helpers.ts';

describe('--units', () => {
  it('serve and demo take seed (the default) or base, and refuse anything else in one line', () => {
    expect(parseServeArgs([], {})).toMatchObject({ units: undefined }); // seed, or the --config file's units
    expect(parseServeArgs(['--units', 'base'], {})).toMatchObject({ units: 'base' });
    expect(parseDemoArgs(['--units', 'base'], {})).toMatchObject({ units: 'base' });
    expect(() => parseServeArgs(['--units', 'si'], {})).toThrow(UsageError);
    expect(() => parseDemoArgs(['--units', 'si'], {})).toThrow(/--units must be seed or base, got "si"/);
  });

  it('exits 2 on a bad mode and documents the flag in the help', async () => {
    const bad = await runCaptured(['serve', '--units', 'metric']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--units must be seed or base');
    const help = await runCaptured(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/--units <seed\|base>/);
  });
});

describe('--units with --config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'victor-perf-units-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'base.yaml');
  writeFileSync(file, 'units: base\n');

  /** Starts `serve` with these arguments, returns its /metrics text and dashboard config's names. */
  async function served(args: string[]): Promise<{ metrics: string; queries: string }> {
    let stop = (): void => {};
    const stopped = new Promise<string>((resolve) => (stop = () => resolve('SIGTERM')));
    const lines: string[] = [];
    const exit = run(['serve', '--port', '0', ...args], {
      out: (l) => lines.push(l),
      err: () => {},
      env: {},
      untilSignal: () => stopped,
    });
    try {
      const deadline = Date.now() + 20_000;
      const listening = (): string | undefined =>
        lines.find((l) => l.startsWith('victor-perf listening on '));
      while (!listening() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = listening()!.split(' ').at(-1)!;
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const queries = await (await fetch(`${url}/dashboard/api/config`)).text();
      return { metrics, queries };
    } finally {
      stop();
      expect(await exit).toBe(0);
    }
  }

  it("takes the config file's units when --units is not given, so the page queries what is exposed", async () => {
    const { metrics, queries } = await served(['--config', file]);
    expect(metrics).toContain('victor_system_event_loop_delay_p99_seconds');
    expect(metrics).not.toContain('victor_system_memory_mb');
    expect(queries).toContain('victor_system_memory_bytes');
    expect(queries).not.toMatch(/victor_[a-z_]+_ms\b/);
  });

  it('--units wins over the config file', async () => {
    const { metrics, queries } = await served(['--config', file, '--units', 'seed']);
    expect(metrics).toContain('victor_system_event_loop_delay_p99_ms');
    expect(queries).toMatch(/victor_[a-z_]+_ms\b/);
  });

  it('a dashboard whose monitoring config names other units than its collector is refused at the call', () => {
    const collector = new PerformanceMetricsCollector({ units: 'seed' });
    expect(() =>
      createDashboard({ collector, monitoring: resolveMonitoringConfig({ units: 'base' }) }),
    ).toThrow(/units \(base\) differ from the collector's \(seed\)/);
  });
});
