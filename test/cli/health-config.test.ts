/**
 * `serve --config`: the monitoring config's health score (weights, window) reaches the collector, so the JSON
 * `health_score` is the recording rule's definition; a bad file is a usage error naming the setting.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type CliIO } from '../../src/cli/main.ts';
import { parseServeArgs } from '../../src/cli/args.ts';

const dir = mkdtempSync(join(tmpdir(), 'victor-perf-health-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIO & { lines: string[]; errors: string[]; stop: () => void } {
  let stop = (): void => {};
  const stopped = new Promise<string>((resolve) => (stop = () => resolve('SIGTERM')));
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    out: (l) => lines.push(l),
    err: (l) => errors.push(l),
    env: {},
    untilSignal: () => stopped,
    lines,
    errors,
    stop: () => stop(),
  };
}

describe('serve --config', () => {
  it('parses the flag', () => {
    expect(parseServeArgs(['--config', 'm.yaml'], {})).toMatchObject({ configFile: 'm.yaml' });
    expect(parseServeArgs([], {})).toMatchObject({ configFile: undefined });
  });

  it('refuses a config whose weights do not sum to 1, naming the setting', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'healthScore:\n  weights:\n    providerAvailability: 0.3\n');
    const cli = io();
    expect(await run(['serve', '--port', '0', '--config', file], cli)).toBe(2);
    expect(cli.errors.join('\n')).toMatch(/healthScore\.weights: must sum to 1, got 1\.[0-9]+/);
  });

  it("serves health_score with the config's weights", async () => {
    const file = join(dir, 'weights.yaml');
    // Only CPU and memory headroom count: `serve` registers only the process's system metrics.
    writeFileSync(
      file,
      [
        'rateWindow: 1m',
        'healthScore:',
        '  memoryBudgetBytes: 1024',
        '  weights: { cacheHitRate: 0, toolSuccess: 0, cpuHeadroom: 0.5, memoryHeadroom: 0.5, latencyHeadroom: 0 }',
      ].join('\n'),
    );
    const cli = io();
    const exit = run(['serve', '--port', '0', '--config', file], cli);
    try {
      const deadline = Date.now() + 20_000;
      while (!cli.lines.some((l) => l.startsWith('victor-perf listening on ')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const url = cli.lines
        .find((l) => l.startsWith('victor-perf listening on '))!
        .split(' ')
        .at(-1)!;
      const summary = (await (await fetch(`${url}/api/performance/summary`)).json()) as {
        health_score: number;
      };
      // Memory far above a 1 KiB budget: that half is 0, so the score is at most 50 (the CPU half).
      expect(summary.health_score).toBeLessThanOrEqual(50);
      expect(summary.health_score).toBeGreaterThan(0);
    } finally {
      cli.stop();
      expect(await exit).toBe(0);
    }
  });
});
