import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CACHE_SETTINGS,
  SettingsError,
  loadCacheSettings,
  type CacheSettings,
} from '../../src/sources/settings.ts';

const dir = fileURLToPath(new URL('../fixtures/settings/', import.meta.url));
const fixture = (name: string): string => dir + name;
const project = fixture('project');

function fails(run: () => unknown): SettingsError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(SettingsError);
    expect((e as Error).name).toBe('SettingsError');
    return e as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

const settings = (size: number, query: number, context: number, rl: number): CacheSettings => ({
  size,
  ttlSeconds: { query, context, rl },
});

describe('loadCacheSettings', () => {
  it('gives the description defaults with no file and no environment', () => {
    expect(loadCacheSettings({ env: {}, cwd: dir })).toEqual(settings(1000, 3600, 300, 3600));
    expect(loadCacheSettings({ env: {}, file: false })).toEqual(DEFAULT_CACHE_SETTINGS);
  });

  it('reads config/settings.yaml under cwd by default', () => {
    expect(loadCacheSettings({ env: {}, cwd: project })).toEqual(settings(42, 3600, 60, 3600));
  });

  it('reads the VICTOR_CACHE_* keys written as YAML', () => {
    expect(loadCacheSettings({ env: {}, file: fixture('flat.yaml') })).toEqual(
      settings(500, 1800, 120, 7200),
    );
  });

  it('reads the nested cache section, quoted digits included, and ignores other sections', () => {
    expect(loadCacheSettings({ env: {}, file: fixture('nested.yaml') })).toEqual(
      settings(250, 600, 300, 900),
    );
  });

  it('treats an empty file as setting nothing', () => {
    expect(loadCacheSettings({ env: {}, file: fixture('empty.yaml') })).toEqual(DEFAULT_CACHE_SETTINGS);
  });

  it('lets environment variables override the file, one by one', () => {
    const env = { VICTOR_CACHE_SIZE: ' 77 ', VICTOR_CACHE_RL_TTL: '60', PATH: '/bin' };
    expect(loadCacheSettings({ env, file: fixture('flat.yaml') })).toEqual(settings(77, 1800, 120, 60));
    expect(loadCacheSettings({ env: { VICTOR_CACHE_CONTEXT_TTL: '5' }, file: false })).toEqual(
      settings(1000, 3600, 5, 3600),
    );
  });

  it('reads process.env when no env is given', () => {
    const saved = process.env.VICTOR_CACHE_QUERY_TTL;
    process.env.VICTOR_CACHE_QUERY_TTL = '11';
    try {
      expect(loadCacheSettings({ file: false }).ttlSeconds.query).toBe(11);
    } finally {
      if (saved === undefined) delete process.env.VICTOR_CACHE_QUERY_TTL;
      else process.env.VICTOR_CACHE_QUERY_TTL = saved;
    }
  });
});

describe('loadCacheSettings: bad environment values name the variable and the value', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [
      { VICTOR_CACHE_SIZE: 'abc' },
      'environment variable VICTOR_CACHE_SIZE: expected an integer from 1 to 1000000, got "abc"',
    ],
    [
      { VICTOR_CACHE_QUERY_TTL: '-1' },
      'VICTOR_CACHE_QUERY_TTL: expected an integer from 1 to 31536000, got "-1"',
    ],
    [{ VICTOR_CACHE_RL_TTL: '0' }, 'VICTOR_CACHE_RL_TTL: expected an integer from 1 to 31536000, got "0"'],
    [
      { VICTOR_CACHE_CONTEXT_TTL: '2.5' },
      'VICTOR_CACHE_CONTEXT_TTL: expected an integer from 1 to 31536000, got "2.5"',
    ],
    [
      { VICTOR_CACHE_SIZE: '99999999' },
      'VICTOR_CACHE_SIZE: expected an integer from 1 to 1000000, got "99999999"',
    ],
    [
      { VICTOR_CACHE_SIZE: '' },
      'VICTOR_CACHE_SIZE: expected an integer from 1 to 1000000, got "" (empty; unset it',
    ],
  ];
  it.each(cases)('%o', (env, message) => {
    const e = fails(() => loadCacheSettings({ env, file: false }));
    expect(e.message).toContain(message);
    const name = Object.keys(env)[0]!;
    expect(e.key).toBe(name);
    expect(e.source).toBe(`env ${name}`);
  });

  it('rejects an unknown VICTOR_CACHE_ variable instead of ignoring a typo', () => {
    const e = fails(() => loadCacheSettings({ env: { VICTOR_CACHE_SIZ: '3' }, file: false }));
    expect(e.message).toBe(
      'unknown environment variable VICTOR_CACHE_SIZ; the cache reads VICTOR_CACHE_SIZE, VICTOR_CACHE_QUERY_TTL, VICTOR_CACHE_CONTEXT_TTL, VICTOR_CACHE_RL_TTL',
    );
  });

  it('checks the environment even when the file is fine', () => {
    const e = fails(() => loadCacheSettings({ env: { VICTOR_CACHE_SIZE: 'x' }, cwd: project }));
    expect(e.message).toContain('"x"');
  });
});

// The two fixtures that are not valid YAML end in .txt so that `prettier --check .` leaves them alone.
describe('loadCacheSettings: bad files name the file, the line, the key and the value', () => {
  const cases: Array<[string, string, string | undefined]> = [
    [
      'negative.yaml',
      'negative.yaml:3: cache.query_ttl: expected an integer from 1 to 31536000, got -5',
      'cache.query_ttl',
    ],
    [
      'fraction.yaml',
      'fraction.yaml:1: VICTOR_CACHE_SIZE: expected an integer from 1 to 1000000, got 10.5',
      'VICTOR_CACHE_SIZE',
    ],
    [
      'zero.yaml',
      'zero.yaml:2: cache.context_ttl: expected an integer from 1 to 31536000, got 0',
      'cache.context_ttl',
    ],
    [
      'text-value.yaml',
      'text-value.yaml:2: cache.size: expected an integer from 1 to 1000000, got "lots"',
      'cache.size',
    ],
    [
      'empty-value.yaml',
      'empty-value.yaml:1: VICTOR_CACHE_RL_TTL: expected an integer from 1 to 31536000, got an empty value',
      'VICTOR_CACHE_RL_TTL',
    ],
    [
      'unknown-key.yaml',
      'unknown-key.yaml:3: unknown key cache.sizee; known keys are size, query_ttl, context_ttl, rl_ttl',
      'cache.sizee',
    ],
    [
      'unknown-env-key.yaml',
      'unknown-env-key.yaml:2: unknown key VICTOR_CACHE_TTL; the cache reads VICTOR_CACHE_SIZE, VICTOR_CACHE_QUERY_TTL, VICTOR_CACHE_CONTEXT_TTL, VICTOR_CACHE_RL_TTL',
      'VICTOR_CACHE_TTL',
    ],
    ['twice.yaml', 'twice.yaml:3: cache.size sets VICTOR_CACHE_SIZE a second time', 'cache.size'],
    [
      'env-syntax.yaml.txt',
      'env-syntax.yaml.txt:2: "VICTOR_CACHE_SIZE=1000  # Max entries per namespace" is environment syntax; write it in YAML as "VICTOR_CACHE_SIZE: <value>"',
      'VICTOR_CACHE_SIZE',
    ],
    [
      'malformed.yaml.txt',
      'malformed.yaml.txt:2:9: malformed YAML: Nested mappings are not allowed in compact mappings',
      undefined,
    ],
    ['not-a-map.yaml', 'not-a-map.yaml:1: expected a mapping of settings at the top level', undefined],
  ];
  it.each(cases)('%s', (file, message, key) => {
    const e = fails(() => loadCacheSettings({ env: {}, file: fixture(file) }));
    expect(e.message).toBe(dir + message);
    expect(e.key).toBe(key);
    expect(e.source.startsWith(dir + file)).toBe(true);
  });

  it('errors when a file given explicitly is missing, but not the default one', () => {
    const e = fails(() => loadCacheSettings({ env: {}, file: fixture('missing.yaml') }));
    expect(e.message).toBe(`settings file ${dir}missing.yaml does not exist`);
    expect(loadCacheSettings({ env: {}, cwd: fixture('nowhere') })).toEqual(DEFAULT_CACHE_SETTINGS);
  });

  it('resolves a relative file against cwd', () => {
    expect(loadCacheSettings({ env: {}, cwd: dir, file: 'flat.yaml' }).size).toBe(500);
  });
});
