import { describe, expect, it } from 'vitest';
import { UsageError, parseDemoArgs, parseServeArgs } from '../../src/cli/args.ts';
import { run, type CliIO } from '../../src/cli/main.ts';

describe('--units', () => {
  it('serve and demo take seed (the default) or base, and refuse anything else in one line', () => {
    expect(parseServeArgs([], {})).toMatchObject({ units: 'seed' });
    expect(parseServeArgs(['--units', 'base'], {})).toMatchObject({ units: 'base' });
    expect(parseDemoArgs(['--units', 'base'], {})).toMatchObject({ units: 'base' });
    expect(() => parseServeArgs(['--units', 'si'], {})).toThrow(UsageError);
    expect(() => parseDemoArgs(['--units', 'si'], {})).toThrow(/--units must be seed or base, got "si"/);
  });

  it('exits 2 on a bad mode and documents the flag in the help', async () => {
    let out = '';
    const io: CliIO = {
      out: (l) => (out += `${l}\n`),
      err: (l) => (out += `${l}\n`),
      env: {},
      untilSignal: () => Promise.resolve('SIGTERM'),
    };
    expect(await run(['serve', '--units', 'metric'], io)).toBe(2);
    expect(out).toContain('--units must be seed or base');
    expect(await run(['serve', '--help'], io)).toBe(0);
    expect(out).toMatch(/--units <seed\|base>/);
  });
});
