/**
 * Raw samples of the collector's own exposition, kept only as far back as the queries that read them look:
 * the store the in-process alerts and the built-in panels evaluate their query-form definitions over.
 *
 * Each `append` reads one exposition text, adds one sample to every series it holds (with the target labels a
 * scrape would add), then drops samples older than the metric's window and series with none left, so memory
 * is bounded by series x window / interval however label values come and go.
 */
import type { MonitoringConfig } from '../monitoring/config.ts';
import { selectorMatchers } from '../monitoring/promql.ts';
import { parseExposition } from '../metrics/parse.ts';
import type { SeriesStore, SeriesView } from '../query/evaluate.ts';
import { lowerBound, upperBound } from '../query/store.ts';

interface StoredSeries {
  labels: Record<string, string>;
  t: number[];
  v: number[];
}

/** The labels the process's series carry as one target: the selector's `=` matchers and `instance="local"`. */
export function localTarget(config: MonitoringConfig): Record<string, string> {
  const target: Record<string, string> = { instance: 'local' };
  for (const m of selectorMatchers(config)) if (m.op === '=') target[m.label] = m.value;
  return target;
}

/** `name{labels} value`: the label block is greedy, so a `}` inside a label value stays in it. */
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/;

function parseValue(v: string): number {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

export class RecentSamples implements SeriesStore {
  private readonly byName = new Map<string, Map<string, StoredSeries>>();
  private readonly keepFor: (metric: string) => number | undefined;

  /**
   * `keep`: how long samples are kept, for every metric (a number of ms) or per metric name (undefined: the
   * metric is not stored at all).
   */
  constructor(keep: number | ((metric: string) => number | undefined)) {
    this.keepFor = typeof keep === 'number' ? () => keep : keep;
  }

  append(t: number, text: string, target: Readonly<Record<string, string>>): void {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const m = LINE.exec(line);
      if (!m) continue;
      const name = m[1]!;
      if (this.keepFor(name) === undefined) continue;
      let byKey = this.byName.get(name);
      if (!byKey) this.byName.set(name, (byKey = new Map()));
      // The rendered label set is the series' identity: our exposition renders it the same way every time.
      const key = m[2] ?? '';
      let series = byKey.get(key);
      if (!series) {
        const [sample] = parseExposition(line)[0]?.samples ?? [];
        if (!sample) continue;
        byKey.set(key, (series = { labels: { ...sample.labels, ...target, __name__: name }, t: [], v: [] }));
      }
      if (series.t.length > 0 && series.t[series.t.length - 1]! >= t) continue;
      series.t.push(t);
      series.v.push(parseValue(m[3]!));
    }
    this.prune(t);
  }

  /** Drops samples older than their metric's window, and series (and metrics) left without any. */
  prune(t: number): void {
    for (const [name, byKey] of this.byName) {
      const oldest = t - (this.keepFor(name) ?? 0);
      for (const [key, s] of byKey) {
        const cut = lowerBound(s.t, oldest);
        if (cut === s.t.length) byKey.delete(key);
        else if (cut > 0) {
          s.t.splice(0, cut);
          s.v.splice(0, cut);
        }
      }
      if (byKey.size === 0) this.byName.delete(name);
    }
  }

  series(metric: string): Iterable<SeriesView> {
    const byKey = this.byName.get(metric);
    if (!byKey) return [];
    return [...byKey.values()].map((s) => ({
      labels: s.labels,
      points: (from: number, to: number) => {
        const a = lowerBound(s.t, from);
        const b = upperBound(s.t, to, a);
        return { t: s.t.slice(a, b), v: s.v.slice(a, b) };
      },
    }));
  }

  get seriesCount(): number {
    let n = 0;
    for (const m of this.byName.values()) n += m.size;
    return n;
  }

  get sampleCount(): number {
    let n = 0;
    for (const m of this.byName.values()) for (const s of m.values()) n += s.t.length;
    return n;
  }
}
