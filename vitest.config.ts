import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // Tests and snippets import the package by name, as users do; here that name is the sources (as in tsconfig).
  resolve: {
    alias: [
      { find: /^victor-perf$/, replacement: `${src}index.ts` },
      { find: /^victor-perf\/(ai-sdk|openai|anthropic|mcp)$/, replacement: `${src}adapters/$1/index.ts` },
      { find: /^victor-perf\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits on a condition; its default 1 s deadline is too short for a busy two-core machine.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    // Live tests start real Prometheus/Alertmanager/Chromium processes; two cores do not take many at once.
    maxWorkers: 2,
  },
});
