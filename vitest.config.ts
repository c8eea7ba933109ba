import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Live tests start real Prometheus/Alertmanager/Chromium processes; two cores do not take many at once.
    maxWorkers: 2,
  },
});
