import { expect } from 'vitest';
import type { Source } from '../../src/collector/types.ts';
import { Registry } from '../../src/metrics/registry.ts';

/** A component's exposition after one collection, as the collector would render it. */
export function render(source: Source<unknown>): string {
  source.collect();
  const registry = new Registry();
  for (const m of source.metrics()) registry.register(m);
  return registry.metricsText();
}

/** Quantiles come from a sketch with at most 1 % relative error. */
export function near(actual: number | null, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected) / expected).toBeLessThanOrEqual(0.01);
}
