/**
 * A reader of our own exposition (text format 0.0.4): families with their type, help and samples. Bridges
 * that need values rather than text (the `custom` section of the JSON, the OpenTelemetry producer, merging
 * with prom-client) read what a scrape would read, so they can never disagree with `/metrics`.
 */
export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, ... for a histogram). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: FamilyType;
  help: string;
  samples: Sample[];
}

/** One histogram series: cumulative bucket counts by upper bound (the last is +Inf), sum and count. */
export interface HistogramSeries {
  labels: Record<string, string>;
  bounds: number[];
  cumulative: number[];
  sum: number;
  count: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseNumber(v: string): number {
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

export function parseExposition(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue;
      current = family(m[2]!);
      if (m[1] === 'TYPE') current.type = m[3] as FamilyType;
      else current.help = m[3]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = Object.create(null) as Record<string, string>;
    if (labelText) {
      LABEL.lastIndex = 0;
      let l: RegExpExecArray | null;
      while (LABEL.lastIndex < labelText.length && (l = LABEL.exec(labelText)))
        labels[l[1]!] = unescape(l[2]!);
    }
    const owner =
      current && (name === current.name || name.startsWith(current.name + '_')) ? current : family(name);
    owner.samples.push({ name, labels, value: parseNumber(value) });
  }
  return [...families.values()];
}

/** Groups a histogram family's samples into series (by labels other than `le`). */
export function histogramSeries(f: Family): HistogramSeries[] {
  const series = new Map<string, HistogramSeries>();
  for (const s of f.samples) {
    const { le, ...labels } = s.labels;
    const key = JSON.stringify(Object.entries(labels));
    let h = series.get(key);
    if (!h) series.set(key, (h = { labels, bounds: [], cumulative: [], sum: 0, count: 0 }));
    if (s.name === `${f.name}_bucket` && le !== undefined) {
      h.bounds.push(parseNumber(le));
      h.cumulative.push(s.value);
    } else if (s.name === `${f.name}_sum`) h.sum = s.value;
    else if (s.name === `${f.name}_count`) h.count = s.value;
  }
  return [...series.values()];
}
