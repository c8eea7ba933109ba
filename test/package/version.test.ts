import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VERSION } from 'victor-perf';

describe('VERSION', () => {
  it("is package.json's version (npm version rewrites it through scripts/sync-version.mjs)", () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(VERSION).toBe(manifest.version);
  });
});
