import { describe, expect, it } from 'vitest';
import { HOST_ENV, parseDemoArgs, parseServeArgs } from '../../src/cli/args.ts';
import { run, type CliIO } from '../../src/cli/main.ts';

async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIO = {
    out: (l) => (out += `${l}\n`),
    err: (l) => (out += `${l}\n`),
    env,
    untilSignal: () => Promise.resolve('SIGTERM'),
  };
  return { code: await run(['serve', '--port', '0', ...argv], io), out };
}

describe(`${HOST_ENV}: the listen address from the environment (a container binds beyond loopback)`, () => {
  it('is the default of serve and demo; --host wins; blank means unset', () => {
    const env = { [HOST_ENV]: '0.0.0.0' };
    expect(parseServeArgs([], env)).toMatchObject({ host: '0.0.0.0' });
    expect(parseDemoArgs([], env)).toMatchObject({ host: '0.0.0.0' });
    expect(parseServeArgs(['--host', '127.0.0.1'], env)).toMatchObject({ host: '127.0.0.1' });
    expect(parseServeArgs([], { [HOST_ENV]: '  ' })).toMatchObject({ host: '127.0.0.1' });
    expect(parseServeArgs([], {})).toMatchObject({ host: '127.0.0.1' });
  });

  it('reaches the real listen: serve binds the address the variable names', async () => {
    // 127.0.0.2 is loopback on Linux but not the default, so the bind proves the variable was used.
    const r = await serve([], { [HOST_ENV]: '127.0.0.2' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/listening on http:\/\/127\.0\.0\.2:\d+/);
  });
});
