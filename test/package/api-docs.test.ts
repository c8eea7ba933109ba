/**
 * The API reference (`npm run docs`, TypeDoc over every entry point's types) documents every exported
 * option: each name below is a property of an exported type and carries a doc comment.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.ts';

const OPTIONS = [
  'maxSeries',
  'windowMs',
  'failureThreshold',
  'cooldownMs',
  'classify',
  'prefix',
  'buckets',
  'omitProcessMetrics',
];
const dir = mkdtempSync(join(tmpdir(), 'victor-perf-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Reflection {
  name: string;
  kind: number;
  comment?: { summary?: Array<{ text: string }> };
  children?: Reflection[];
}

describe('API reference', () => {
  it('documents every exported option', { timeout: 180_000 }, async () => {
    const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    await promisify(execFile)(
      process.execPath,
      [typedoc, '--json', join(dir, 'api.json'), '--out', join(dir, 'html')],
      {
        cwd: ROOT,
        maxBuffer: 16 << 20,
      },
    );
    const documented = new Map<string, boolean>();
    const walk = (r: Reflection): void => {
      // 1024: a property
      if (r.kind === 1024) {
        const has = (r.comment?.summary ?? []).some((t) => t.text.trim() !== '');
        documented.set(r.name, (documented.get(r.name) ?? false) || has);
      }
      r.children?.forEach(walk);
    };
    walk(JSON.parse(readFileSync(join(dir, 'api.json'), 'utf8')) as Reflection);
    expect(Object.fromEntries(OPTIONS.map((o) => [o, documented.get(o) ?? 'missing']))).toEqual(
      Object.fromEntries(OPTIONS.map((o) => [o, true])),
    );
  });
});
