/**
 * An in-memory series store, and the input of a `promtool test rules` file (series selectors and the
 * expanding notation `0+10x60`, `1x5`, `_x3`) loaded into it.
 */
import { QueryError, parseMatchers } from './expr.ts';
import type { Labels, SeriesStore, SeriesView } from './evaluate.ts';

/** First index with `t[i] >= x` in an ascending array. */
export function lowerBound(t: ArrayLike<number>, x: number, lo = 0, hi = t.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index with `t[i] > x` (an epsilon added to x would vanish at epoch-millisecond magnitudes). */
export function upperBound(t: ArrayLike<number>, x: number, lo = 0, hi = t.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One series' samples in ascending time. */
export class ArraySeries implements SeriesView {
  readonly t: number[] = [];
  readonly v: number[] = [];
  constructor(readonly labels: Labels) {}
  points(from: number, to: number): { t: number[]; v: number[] } {
    const a = lowerBound(this.t, from);
    const b = upperBound(this.t, to, a);
    return { t: this.t.slice(a, b), v: this.v.slice(a, b) };
  }
}

export class MemoryStore implements SeriesStore {
  private readonly byName = new Map<string, ArraySeries[]>();
  private readonly index = new Map<string, ArraySeries>();

  /** Adds samples (ascending times) to the series with these labels (`__name__` included). */
  add(labels: Labels, times: readonly number[], values: readonly number[]): void {
    const name = labels.__name__;
    if (!name) throw new QueryError('a series needs a __name__ label');
    let list = this.byName.get(name);
    if (!list) this.byName.set(name, (list = []));
    const key = JSON.stringify(Object.entries(labels).sort());
    let s = this.index.get(key);
    if (!s) {
      list.push((s = new ArraySeries(labels)));
      this.index.set(key, s);
    }
    for (let i = 0; i < times.length; i++) {
      s.t.push(times[i]!);
      s.v.push(values[i]!);
    }
  }

  series(metric: string): Iterable<SeriesView> {
    return this.byName.get(metric) ?? [];
  }
}

/** `name{a="x", b="y"}` into labels. */
export function parseSeriesSelector(text: string): Record<string, string> {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/s.exec(text);
  if (!m) throw new QueryError(`invalid series ${JSON.stringify(text)}`);
  const labels: Record<string, string> = { __name__: m[1]! };
  for (const matcher of parseMatchers(m[2] ?? '')) {
    if (matcher.op !== '=') throw new QueryError(`input series ${text} may only use = matchers`);
    labels[matcher.label] = matcher.value;
  }
  return labels;
}

/**
 * Expands promtool's series values: `a+bxn` is n+1 values from a in steps of b, `axn` is a repeated n+1
 * times, `_` is a missing sample and `_xn` n of them. Returns one entry per step (undefined = missing).
 */
export function expandValues(text: string): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const item of text.trim().split(/\s+/)) {
    if (item === '') continue;
    let m = /^_(?:x(\d+))?$/.exec(item);
    if (m) {
      for (let i = 0; i < (m[1] === undefined ? 1 : Number(m[1])); i++) out.push(undefined);
      continue;
    }
    if (item === 'stale' || item.startsWith('stale'))
      throw new QueryError('stale markers are not supported in input series');
    m =
      /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|[-+]?Inf|NaN)(?:([-+](?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)?x(\d+))?$/i.exec(
        item,
      );
    if (!m) throw new QueryError(`invalid series value ${JSON.stringify(item)}`);
    let v = parseNumber(m[1]!);
    if (m[3] === undefined) {
      out.push(v);
      continue;
    }
    const step = m[2] === undefined ? 0 : Number(m[2]);
    out.push(v);
    for (let i = 1; i <= Number(m[3]); i++) {
      v += step; // accumulated, as promtool does (not a + i*b), so the floats agree
      out.push(v);
    }
  }
  return out;
}

function parseNumber(s: string): number {
  const lower = s.toLowerCase();
  if (lower.endsWith('inf')) return lower.startsWith('-') ? -Infinity : Infinity;
  if (lower === 'nan') return NaN;
  return Number(s);
}

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

/** A store holding a promtool test's `input_series`, one sample every `intervalMs` from time 0. */
export function storeFromInput(input: readonly InputSeries[], intervalMs: number): MemoryStore {
  const store = new MemoryStore();
  for (const s of input) {
    const labels = parseSeriesSelector(s.series);
    const times: number[] = [];
    const values: number[] = [];
    expandValues(s.values).forEach((v, i) => {
      if (v === undefined) return;
      times.push(i * intervalMs);
      values.push(v);
    });
    store.add(labels, times, values);
  }
  return store;
}
