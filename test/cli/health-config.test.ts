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

  /** `serve --config` with this memory budget, only memory headroom weighed: its JSON health_score. */
  async function scoreWithBudget(budget: number): Promise<number> {
    const file = join(dir, `memory-${budget}.yaml`);
    // Only memory headroom counts (CPU at start-up depends on how busy the machine is).
    writeFileSync(
      file,
      [
        'rateWindow: 1m',
        'healthScore:',
        `  memoryBudgetBytes: ${budget}`,
        '  weights: { cacheHitRate: 0, toolSuccess: 0, cpuHeadroom: 0, memoryHeadroom: 1, latencyHeadroom: 0 }',
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
      return summary.health_score;
    } finally {
      cli.stop();
      expect(await exit).toBe(0);
    }
  }

  it("serves health_score with the config's weights and memory budget", async () => {
    // Resident memory is far above 1 KiB and far below 1 PB: the score is all or nothing.
    expect(await scoreWithBudget(1024)).toBe(0);
    expect(await scoreWithBudget(1e15)).toBeGreaterThan(99);
  });
});
