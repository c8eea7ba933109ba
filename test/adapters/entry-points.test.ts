import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SDKS = ['ai', '@ai-sdk/', 'openai', '@anthropic-ai/sdk', '@modelcontextprotocol/sdk'];
const root = resolve(import.meta.dirname, '../..');

/** Every module specifier reachable from `entry` through our own files, and the bare ones it names. */
function bareImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(resolve(root, entry));
  return bare;
}

const isSdk = (spec: string): boolean =>
  SDKS.some((s) => spec === s || spec.startsWith(s.endsWith('/') ? s : `${s}/`));

describe('adapter entry points', () => {
  it('the root entry imports no agent SDK', () => {
    expect([...bareImports('src/index.ts')].filter(isSdk)).toEqual([]);
  });

  it('each adapter imports only its own SDK', () => {
    const own: Record<string, string[]> = {
      'ai-sdk': ['ai'],
      openai: ['openai'],
      anthropic: ['@anthropic-ai/sdk'],
      mcp: ['@modelcontextprotocol/sdk/client/index.js', '@modelcontextprotocol/sdk/server/mcp.js'],
    };
    for (const [name, sdks] of Object.entries(own)) {
      expect([...bareImports(`src/adapters/${name}/index.ts`)].filter(isSdk).sort(), name).toEqual(
        sdks.sort(),
      );
    }
  });

  it('declares every SDK as an optional peer dependency', () => {
    const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    for (const sdk of ['ai', 'openai', '@anthropic-ai/sdk', '@modelcontextprotocol/sdk']) {
      expect(pkg.peerDependencies?.[sdk], sdk).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[sdk]?.optional, sdk).toBe(true);
    }
  });
});
