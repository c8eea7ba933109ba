/**
 * One history sample: every built-in panel's queries (the query-form definitions the Grafana dashboard is
 * printed from) evaluated in-process over the last minutes of the collector's own exposition.
 *
 * Each sample reads one `collectAndExport()` into a raw-sample store (recent.ts) that keeps each metric only as
 * far back as the panels read it, then evaluates every panel query at that instant with `evaluate()`. Grafana's
 * variables are filled in as follows:
 *
 * - `$__rate_interval`: `rateInterval`, by default the larger of 1m and 4 samples (a rate needs two);
 * - `$__range`: `rangeWindow` (default 1h). The page's visible range is not known when the sample is taken,
 *   so instant panels (pie, top tools, lazy loads) show their increase over this fixed window, and say so;
 * - filter variables (`$namespace`, `$provider`, `$tool`, ...): `.*`; the page filters on the result labels.
 *
 * A result series is keyed by panel id, refId and its canonical label set (names sorted, values escaped as in
 * the exposition), so label values with `,`, `=`, `"`, `\` or `}` stay distinct; the page receives the labels
 * as an object and never parses a key.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import { escapeLabelValue } from '../metrics/names.ts';
import type { MonitoringConfig } from '../monitoring/config.ts';
import { recordedQueries } from '../monitoring/rules.ts';
import { evaluate, parseDuration, type EvalOptions } from '../query/evaluate.ts';
import { forEachSelector, selectedMetrics, type Expr } from '../query/expr.ts';
import type { PagePanel } from './panels.ts';
import { localTarget, RecentSamples } from './recent.ts';

/** What a history series is: which panel query produced it, with which labels. */
export interface SeriesInfo {
  panel: string;
  refId: string;
  labels: Record<string, string>;
  /** An instant query (tables, pies): its latest value is what the panel shows. */
  instant: boolean;
}

export interface PanelSample {
  /** Value of every result series of this sample, by key (null: not a finite number). */
  values: Map<string, number | null>;
  info: Map<string, SeriesInfo>;
  snapshot: PerformanceSnapshot;
}

export interface LocalWindows {
  /** `$__rate_interval` (a duration). */
  rateInterval: string;
  /** `$__range` (a duration). */
  rangeWindow: string;
}

export const DEFAULT_RANGE_WINDOW = '1h';

/** `$__rate_interval` for a sampling interval: at least 1m and 4 samples, in whole seconds. */
export function defaultRateInterval(resolutionMs: number): string {
  return `${Math.max(60, Math.ceil((4 * resolutionMs) / 1000))}s`;
}

/** `panel/refId{a="x",b="y"}`: label names sorted, values escaped as in the exposition (one key per label set). */
export function seriesKey(panel: string, refId: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`);
  return `${panel}/${refId}{${pairs.join(',')}}`;
}

/** Panels the history evaluates: all but the ones reading Prometheus' own `ALERTS` (the server lists those). */
export function sampledPanels(panels: readonly PagePanel[]): PagePanel[] {
  return panels.filter((p) => !p.queries.some((q) => selectedMetrics(q.query).includes('ALERTS')));
}

/** Per metric name, the longest range window any of `exprs` reads it with (0 for an instant selector). */
export function metricWindows(
  exprs: readonly Expr[],
  windowMs: (w: string) => number,
  recorded: ReadonlyMap<string, Expr>,
): Map<string, number> {
  const out = new Map<string, number>();
  const note = (metric: string, ms: number): void => {
    out.set(metric, Math.max(out.get(metric) ?? 0, ms));
  };
  const seen = new Set<string>();
  const walk = (e: Expr): void =>
    forEachSelector(e, (s, window) => {
      const def = recorded.get(s.metric);
      if (!def) note(s.metric, window === undefined ? 0 : windowMs(window));
      else if (!seen.has(s.metric)) {
        // A recorded series is evaluated from its definition: what it reads is kept instead.
        seen.add(s.metric);
        walk(def);
      }
    });
  for (const e of exprs) walk(e);
  return out;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export class PanelSampler {
  readonly store: RecentSamples;
  readonly evalOptions: EvalOptions;
  /** Panel queries that failed to evaluate (counted; the other panels are still sampled). */
  evaluationErrors = 0;
  private readonly panels: PagePanel[];
  private readonly target: Record<string, string>;

  constructor(
    private readonly collector: PerformanceMetricsCollector,
    panels: readonly PagePanel[],
    config: MonitoringConfig,
    resolutionMs: number,
    windows: LocalWindows,
  ) {
    this.panels = sampledPanels(panels);
    this.target = localTarget(config);
    const recorded = recordedQueries(config);
    this.evalOptions = {
      vars: { rateInterval: windows.rateInterval, range: windows.rangeWindow },
      recorded,
    };
    const windowMs = (w: string): number =>
      parseDuration(
        w === '$__rate_interval' ? windows.rateInterval : w === '$__range' ? windows.rangeWindow : w,
      );
    const keep = metricWindows(
      this.panels.flatMap((p) => p.queries.map((q) => q.query)),
      windowMs,
      recorded,
    );
    // Two samples' slack on top of each window, so the newest sample is always there for instant selectors.
    for (const [name, ms] of keep) keep.set(name, ms + 2 * resolutionMs);
    this.store = new RecentSamples((name) => keep.get(name));
  }

  sample(t: number): PanelSample {
    const { snapshot, text } = this.collector.collectAndExport();
    this.store.append(t, text, this.target);
    const values = new Map<string, number | null>();
    const info = new Map<string, SeriesInfo>();
    for (const panel of this.panels) {
      for (const q of panel.queries) {
        let result;
        try {
          result = evaluate(q.query, this.store, t, this.evalOptions);
        } catch {
          this.evaluationErrors++;
          continue;
        }
        for (const s of result) {
          const { __name__: _name, ...labels } = s.labels;
          const key = seriesKey(panel.id, q.refId, labels);
          values.set(key, finite(s.value));
          info.set(key, { panel: panel.id, refId: q.refId, labels, instant: q.instant });
        }
      }
    }
    return { values, info, snapshot };
  }
}
