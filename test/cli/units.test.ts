import { describe, expect, it } from 'vitest';
import { UsageError, parseDemoArgs, parseServeArgs } from '../../src/cli/args.ts';
import { runCaptured } from './helpers.ts';

describe('--units', () => {
  it('serve and demo take seed (the default) or base, and refuse anything else in one line', () => {
    expect(parseServeArgs([], {})).toMatchObject({ units: 'seed' });
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
