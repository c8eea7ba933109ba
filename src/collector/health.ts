/**
 * The in-process health score: the terms of query/health.ts (the recording rule's definition) evaluated over a
 * trailing window of the collector's own samples, with the same weights and window as the rule when the
 * collector is given the monitoring config's (`collectorHealthOptions(config)` in victor-perf/monitoring).
 *
 * Each collection records, at most once per `window / 60` (so at most ~61 points per series), the series the
 * terms read, as the exposition renders them; points older than the window are dropped, and so are series
 * that stop appearing. Memory is bounded by the sources' own series caps times those points.
 */
import { evaluate, type SeriesStore, type SeriesView } from '../query/evaluate.ts';
import { selectedMetrics, vector, type Expr } from '../query/expr.ts';
import {
  healthQuery,
  healthWindowMs,
  resolveHealthDefinition,
  type HealthDefinition,
  type HealthWeights,
} from '../query/health.ts';
import { ArraySeries, lowerBound } from '../query/store.ts';
import { parseExposition } from '../metrics/parse.ts';
import type { AnyMetric } from '../metrics/primitives.ts';

export interface HealthOptions {
  /** Weights by term; merged onto the defaults and checked to sum to 1. */
  weights?: Partial<HealthWeights>;
  /** Memory at which the memory headroom reaches 0 (default 2 GiB). */
  memoryBudgetBytes?: number;
  /** Selection P95 at which the latency headroom reaches 0 (default 5000 ms). */
  latencyBudgetMs?: number;
  /** Provider failure ratio at which the provider availability term reaches 0 (default 0.3). */
  providerFailureBudget?: number;
  /** Range of the rates and the selection P95: the rules' rate window (default `5m`). */
  window?: string;
  /** Milliseconds since the epoch (tests). */
  clock?: () => number;
}

export const DEFAULT_HEALTH_WINDOW = '5m';

class WindowSeries extends ArraySeries {
  /** Drops points before `from`. */
  trim(from: number): void {
    const n = lowerBound(this.t, from);
    if (n > 0) {
      this.t.splice(0, n);
      this.v.splice(0, n);
    }
  }
}

export class HealthScore implements SeriesStore {
  readonly definition: HealthDefinition;
  readonly window: string;
  readonly query: Expr;
  private readonly windowMs: number;
  private readonly spacingMs: number;
  private readonly names: Set<string>;
  private readonly clock: () => number;
  private readonly byName = new Map<string, Map<string, WindowSeries>>();
  private last: { t: number; score: number | null } | undefined;

  constructor(
    private readonly prefix: string,
    options: HealthOptions = {},
  ) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`health options must be an object, got ${String(options)}`);
    }
    this.definition = resolveHealthDefinition(options, 'health');
    this.window = options.window ?? DEFAULT_HEALTH_WINDOW;
    this.windowMs = healthWindowMs(this.window);
    this.spacingMs = Math.min(15_000, Math.max(100, this.windowMs / 60));
    this.clock = options.clock ?? Date.now;
    // In-process there is no selector and no replica: the process that computes the score is up.
    this.query = healthQuery(
      { prefix, matchers: [], replicaLabels: [], window: this.window, anchor: vector(1) },
      this.definition,
    );
    this.names = new Set(selectedMetrics(this.query));
  }

  series(metric: string): Iterable<SeriesView> {
    return this.byName.get(metric)?.values() ?? [];
  }

  /**
   * Records the terms' series from `metrics` (already collected) and returns the score at this instant,
   * rounded to 2 decimals; within `window / 60` of the last recording, returns that recording's score.
   */
  score(metrics: Iterable<AnyMetric>): number | null {
    const t = this.clock();
    if (this.last && t >= this.last.t && t - this.last.t < this.spacingMs) return this.last.score;
    this.record(t, metrics);
    const samples = evaluate(this.query, this, t);
    const value = samples.length === 1 ? samples[0]!.value : NaN;
    const score = Number.isFinite(value) ? Math.round(value * 100) / 100 : null;
    this.last = { t, score };
    return score;
  }

  /** Points held now (for tests of the memory bound). */
  get points(): number {
    let n = 0;
    for (const m of this.byName.values()) for (const s of m.values()) n += s.t.length;
    return n;
  }

  private record(t: number, metrics: Iterable<AnyMetric>): void {
    for (const m of metrics) {
      const name = this.prefix + m.spec.name;
      if (!this.names.has(name) && !this.names.has(`${name}_bucket`)) continue;
      let text: string;
      try {
        text = m.render(this.prefix, 'seed'); // the terms read seed names, whatever the exposition's units
      } catch {
        continue; // counted by the exposition, which leaves the source out too
      }
      for (const family of parseExposition(text)) {
        for (const sample of family.samples) {
          if (!this.names.has(sample.name)) continue;
          const labels = { ...sample.labels, __name__: sample.name };
          let byKey = this.byName.get(sample.name);
          if (!byKey) this.byName.set(sample.name, (byKey = new Map()));
          const key = JSON.stringify(Object.entries(labels).sort());
          let s = byKey.get(key);
          if (!s) byKey.set(key, (s = new WindowSeries(labels)));
          if (s.t.length > 0 && s.t[s.t.length - 1]! >= t) continue; // a clock that went backwards
          s.t.push(t);
          s.v.push(sample.value);
        }
      }
    }
    // Keep what the window needs: a series not seen for a whole window is gone.
    const from = t - this.windowMs;
    for (const [name, byKey] of this.byName) {
      for (const [key, s] of byKey) {
        s.trim(from);
        if (s.t.length === 0) byKey.delete(key);
      }
      if (byKey.size === 0) this.byName.delete(name);
    }
  }
}
