/**
 * Tool selection cache settings: capacity per namespace and a TTL per namespace (as the description sets them).
 *
 * Sources, strongest first: environment variables, then `config/settings.yaml`, then the defaults. A bad value
 * is an error at start-up, naming the key, the value and where it came from, rather than a cache that quietly
 * runs with a default the operator did not ask for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Node, Pair } from 'yaml';
import type { CacheNamespace } from '../metrics/catalog.ts';

export interface CacheSettings {
  /** Maximum entries per namespace. */
  size: number;
  /** Time to live per namespace, in seconds. */
  ttlSeconds: Record<CacheNamespace, number>;
}

export const DEFAULT_CACHE_SETTINGS: Readonly<CacheSettings> = Object.freeze({
  size: 1000,
  ttlSeconds: Object.freeze({ query: 3600, context: 300, rl: 3600 }),
});

export const DEFAULT_SETTINGS_FILE = 'config/settings.yaml';

/**
 * lru-cache preallocates its slot arrays for `max` entries (about 50 bytes per slot), so a mistyped size such as
 * 10000000000 would take gigabytes at start-up: it is bounded.
 */
export const MAX_CACHE_SIZE = 1_000_000;
/** One year. */
export const MAX_TTL_SECONDS = 31_536_000;

type SettingKey = 'size' | CacheNamespace;

/** Each setting with its environment variable and its key in the nested `cache:` section of the file. */
const SETTINGS: ReadonlyArray<{ key: SettingKey; env: string; nested: string; max: number }> = [
  { key: 'size', env: 'VICTOR_CACHE_SIZE', nested: 'size', max: MAX_CACHE_SIZE },
  { key: 'query', env: 'VICTOR_CACHE_QUERY_TTL', nested: 'query_ttl', max: MAX_TTL_SECONDS },
  { key: 'context', env: 'VICTOR_CACHE_CONTEXT_TTL', nested: 'context_ttl', max: MAX_TTL_SECONDS },
  { key: 'rl', env: 'VICTOR_CACHE_RL_TTL', nested: 'rl_ttl', max: MAX_TTL_SECONDS },
];

export const CACHE_ENV_VARS: readonly string[] = SETTINGS.map((s) => s.env);
const ENV_PREFIX = 'VICTOR_CACHE_';

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    message: string,
    /** The key as written where it came from (env var name, or file key). */
    readonly key: string | undefined,
    /** `env VICTOR_CACHE_SIZE`, or `path:line`. */
    readonly source: string,
  ) {
    super(message);
  }
}

export interface LoadCacheSettingsOptions {
  /** Environment to read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Settings file. Default `config/settings.yaml` (relative to `cwd`), skipped when missing; a file given
   * explicitly must exist. `false` skips the file.
   */
  file?: string | false;
  /** Directory relative paths are resolved against (default `process.cwd()`). */
  cwd?: string;
}

/** Reads the cache settings from the environment and the settings file. Throws SettingsError on bad input. */
export function loadCacheSettings(options: LoadCacheSettingsOptions = {}): CacheSettings {
  const values: Partial<Record<SettingKey, number>> = {};
  if (options.file !== false) {
    const explicit = options.file !== undefined;
    const path = resolve(options.cwd ?? process.cwd(), options.file || DEFAULT_SETTINGS_FILE);
    if (existsSync(path)) Object.assign(values, readSettingsFile(path));
    else if (explicit) throw new SettingsError(`settings file ${path} does not exist`, undefined, path);
  }
  Object.assign(values, readEnv(options.env ?? process.env));
  return {
    size: values.size ?? DEFAULT_CACHE_SETTINGS.size,
    ttlSeconds: {
      query: values.query ?? DEFAULT_CACHE_SETTINGS.ttlSeconds.query,
      context: values.context ?? DEFAULT_CACHE_SETTINGS.ttlSeconds.context,
      rl: values.rl ?? DEFAULT_CACHE_SETTINGS.ttlSeconds.rl,
    },
  };
}

function readEnv(env: Readonly<Record<string, string | undefined>>): Partial<Record<SettingKey, number>> {
  const out: Partial<Record<SettingKey, number>> = {};
  for (const name of Object.keys(env)) {
    // A mistyped variable (VICTOR_CACHE_SIZ) would otherwise be ignored without a word.
    if (name.startsWith(ENV_PREFIX) && !CACHE_ENV_VARS.includes(name)) {
      throw new SettingsError(
        `unknown environment variable ${name}; the cache reads ${CACHE_ENV_VARS.join(', ')}`,
        name,
        `env ${name}`,
      );
    }
  }
  for (const s of SETTINGS) {
    const raw = env[s.env];
    if (raw === undefined) continue;
    const where = `environment variable ${s.env}`;
    const text = raw.trim();
    if (!/^\d+$/.test(text)) {
      const hint = text === '' ? ' (empty; unset it to use the default)' : '';
      throw new SettingsError(
        `${where}: expected an integer from 1 to ${s.max}, got ${JSON.stringify(raw)}${hint}`,
        s.env,
        `env ${s.env}`,
      );
    }
    out[s.key] = checkRange(Number(text), s.max, where, JSON.stringify(raw), s.env, `env ${s.env}`);
  }
  return out;
}

function checkRange(
  v: number,
  max: number,
  where: string,
  shown: string,
  key: string,
  source: string,
): number {
  if (!Number.isInteger(v) || v < 1 || v > max) {
    throw new SettingsError(`${where}: expected an integer from 1 to ${max}, got ${shown}`, key, source);
  }
  return v;
}

let yamlModule: typeof import('yaml') | undefined;
/** Loaded when there is a file to read, so that importing the package does not load a YAML parser. */
function yaml(): typeof import('yaml') {
  return (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

function readSettingsFile(path: string): Partial<Record<SettingKey, number>> {
  const { LineCounter, isMap, isScalar, parseDocument } = yaml();
  const text = readFileSync(path, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? path : `${path}:${lines.linePos(offset).line}`;
  };

  // The description writes the settings as `VICTOR_CACHE_SIZE=1000`, which is not YAML; point at the line.
  const envLine = text.split('\n').findIndex((l) => /^\s*VICTOR_CACHE_\w+\s*=/.test(l));
  if (envLine >= 0) {
    const line = text.split('\n')[envLine]!.trim();
    const key = line.split('=')[0]!.trim();
    throw new SettingsError(
      `${path}:${envLine + 1}: ${JSON.stringify(line)} is environment syntax; write it in YAML as "${key}: <value>"`,
      key,
      `${path}:${envLine + 1}`,
    );
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    const where = `${path}:${pos.line}`;
    throw new SettingsError(`${where}:${pos.col}: malformed YAML: ${e.message}`, undefined, where);
  }
  if (doc.contents === null) return {}; // an empty file sets nothing
  if (!isMap(doc.contents)) {
    throw new SettingsError(
      `${at(doc.contents)}: expected a mapping of settings at the top level`,
      undefined,
      path,
    );
  }

  const out: Partial<Record<SettingKey, number>> = {};
  const setFrom = (s: (typeof SETTINGS)[number], pair: Pair, shownKey: string): void => {
    const where = at(pair.key as Node);
    if (out[s.key] !== undefined) {
      throw new SettingsError(`${where}: ${shownKey} sets ${s.env} a second time`, shownKey, where);
    }
    out[s.key] = fileValue(pair, shownKey, s.max, where);
  };

  for (const pair of doc.contents.items) {
    const key = scalarKey(pair);
    const s = SETTINGS.find((x) => x.env === key);
    if (s) {
      setFrom(s, pair, key);
    } else if (key === 'cache') {
      const section = pair.value;
      if (section === null || (isScalar(section) && section.value === null)) continue;
      if (!isMap(section)) {
        throw new SettingsError(
          `${at(section as Node)}: "cache" must be a mapping`,
          'cache',
          at(section as Node),
        );
      }
      for (const inner of section.items) {
        const innerKey = scalarKey(inner);
        const n = SETTINGS.find((x) => x.nested === innerKey);
        if (!n) {
          const where = at(inner.key as Node);
          throw new SettingsError(
            `${where}: unknown key cache.${innerKey}; known keys are ${SETTINGS.map((x) => x.nested).join(', ')}`,
            `cache.${innerKey}`,
            where,
          );
        }
        setFrom(n, inner, `cache.${innerKey}`);
      }
    } else if (key.startsWith(ENV_PREFIX)) {
      const where = at(pair.key as Node);
      throw new SettingsError(
        `${where}: unknown key ${key}; the cache reads ${CACHE_ENV_VARS.join(', ')}`,
        key,
        where,
      );
    }
    // Other top-level keys belong to other parts of the application that share config/settings.yaml.
  }
  return out;
}

function scalarKey(pair: Pair): string {
  const { isScalar } = yaml();
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function fileValue(pair: Pair, key: string, max: number, where: string): number {
  const { isMap, isScalar } = yaml();
  const node = pair.value;
  const v: unknown = isScalar(node) ? node.value : node;
  // Quoted digits ("1000") are accepted as the same number; anything else must be a YAML integer.
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  const shown =
    v === null || v === undefined
      ? 'an empty value'
      : typeof v === 'string'
        ? JSON.stringify(v)
        : isScalar(node)
          ? (node.source ?? String(v))
          : `a ${isMap(node) ? 'mapping' : 'sequence'}`;
  return checkRange(n, max, `${where}: ${key}`, shown, key, where);
}
