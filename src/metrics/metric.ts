/**
 * The shared part of counters, gauges and histograms: spec validation, label-set resolution into bound
 * children, the cardinality limit, and the family header of the text format.
 *
 * A child is resolved once per label set (`metric.labels({tool: 'grep'})`) and keeps its label text ready
 * for exposition, so recording through a child is one numeric update.
 */
import { OVERFLOW_LABEL_VALUE, unitsForm, type MetricSpec, type Units, type UnitsForm } from './catalog.ts';
import {
  MetricError,
  escapeHelp,
  escapeLabelValue,
  validateLabelNames,
  validateMetricName,
} from './names.ts';

export type Labels<L extends string> = { readonly [K in L]: string };

export interface MetricOptions {
  /** Label sets kept apart before new ones fold into the overflow series (default 1000, at most 100,000). */
  maxSeries?: number;
  /** Called when a new label set folds into the overflow series. */
  onOverflow?: (metric: string) => void;
}

export const DEFAULT_MAX_SERIES = 1000;
/** The most label sets one metric may keep apart: past this, exposition and memory stop being reasonable. */
export const MAX_SERIES_LIMIT = 100_000;

/** Validates a label-set limit given to a constructor (the error names the value). */
export function validateMaxSeries(owner: string, maxSeries: unknown): number {
  if (
    typeof maxSeries !== 'number' ||
    !Number.isInteger(maxSeries) ||
    maxSeries < 1 ||
    maxSeries > MAX_SERIES_LIMIT
  ) {
    throw new MetricError(
      `${owner}: maxSeries must be an integer from 1 to ${MAX_SERIES_LIMIT}, got ${String(maxSeries)}`,
    );
  }
  return maxSeries;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

function wellFormed(v: string): string {
  return LONE_SURROGATE.test(v) ? v.replace(LONE_SURROGATES, '\uFFFD') : v;
}

/**
 * The map key of a label set. One label: its value. More: each value prefixed by its length, a prefix code,
 * so no two label sets share a key whatever characters the values hold.
 */
export function labelSetKey(values: readonly string[]): string {
  if (values.length === 1) return values[0]!;
  let key = '';
  for (const v of values) key += `${v.length}:${v}`;
  return key;
}

export abstract class Metric<L extends string, C> {
  readonly spec: MetricSpec<L>;
  /** Label sets given by callers; the overflow series is kept apart so that no user value can reach it. */
  protected readonly children = new Map<string, C>();
  private readonly overflowSlots = new Map<string, C>();
  private readonly maxSeries: number;
  private readonly onOverflow: ((metric: string) => void) | undefined;
  /** Records folded into the overflow series so far (look-ups through labels(), plus noteOverflow()). */
  overflowed = 0;
  private headerKey: string | undefined;
  private header = '';

  constructor(spec: MetricSpec<L>, options: MetricOptions = {}) {
    validateMetricName(spec.name);
    validateLabelNames(spec.name, spec.labels);
    this.spec = spec;
    this.maxSeries = validateMaxSeries(`metric ${spec.name}`, options.maxSeries ?? DEFAULT_MAX_SERIES);
    this.onOverflow = options.onOverflow;
  }

  /** The child for one label set: resolve it once and keep it on hot paths. */
  labels(values: Labels<L>): C {
    const names = this.spec.labels;
    if (values === null || typeof values !== 'object') {
      throw new MetricError(`metric ${this.spec.name}: labels must be an object, got ${String(values)}`);
    }
    const list: string[] = [];
    for (let i = 0; i < names.length; i++) {
      // Own properties only: a label named like an Object.prototype member is not inherited.
      const v = Object.hasOwn(values, names[i]!) ? (values as Record<string, unknown>)[names[i]!] : undefined;
      if (typeof v !== 'string' || v === '') {
        throw new MetricError(
          `metric ${this.spec.name}: label ${names[i]} must be a non-empty string (the empty value marks the overflow series), got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
        );
      }
      list.push(v);
    }
    let key = labelSetKey(list);
    let found = this.children.get(key);
    if (found !== undefined) return found;
    if (list.some((v) => LONE_SURROGATE.test(v))) {
      // UTF-8 exposition writes every lone surrogate as U+FFFD: key the label set as Prometheus will see it.
      for (let i = 0; i < list.length; i++) list[i] = wellFormed(list[i]!);
      key = labelSetKey(list);
      found = this.children.get(key);
      if (found !== undefined) return found;
    }
    const given = Object.keys(values);
    if (given.length !== names.length) {
      const extra = given.filter((k) => !(names as readonly string[]).includes(k));
      throw new MetricError(
        `metric ${this.spec.name}: unknown label ${JSON.stringify(extra[0])}; declared labels are [${names.join(', ')}]`,
      );
    }
    if (this.children.size >= this.maxSeries) {
      this.noteOverflow();
      this.onOverflow?.(this.spec.name);
      return this.overflowSeries();
    }
    const child = this.createChild(labelText(names, list), list);
    this.children.set(key, child);
    return child;
  }

  /**
   * The overflow series: every label empty (the series Prometheus sees without those labels) except those
   * given in `keep` (say, a status kept apart within the overflow). Created on first use. Getting it is not
   * counted as a fold: a source that keeps it bound counts its records with noteOverflow().
   */
  overflowSeries(keep: Partial<Labels<L>> = {}): C {
    const values = this.spec.labels.map((n) =>
      Object.hasOwn(keep, n) ? String((keep as Record<string, string>)[n]) : OVERFLOW_LABEL_VALUE,
    );
    const key = labelSetKey(values);
    let child = this.overflowSlots.get(key);
    if (child === undefined) {
      child = this.createChild(labelText(this.spec.labels, values), values);
      this.overflowSlots.set(key, child);
    }
    return child;
  }

  /**
   * For sources that carry the overflow name along: a label set where a label is '' (OVERFLOW_LABEL_VALUE)
   * is the overflow series for that label, the others kept; any other label set is `labels(values)`.
   */
  childFor(values: Labels<L>): C {
    const keep: Partial<Record<L, string>> = {};
    let overflow = false;
    for (const name of this.spec.labels) {
      const v = (values as Record<string, string>)[name];
      if (v === OVERFLOW_LABEL_VALUE) overflow = true;
      else keep[name] = v;
    }
    return overflow ? this.overflowSeries(keep as Partial<Labels<L>>) : this.labels(values);
  }

  /** Counts records folded into the overflow series (series_overflow_total). */
  noteOverflow(n = 1): void {
    this.overflowed += n;
  }

  /** Every series: the label sets kept apart, then the overflow series if any. */
  protected *allSeries(): IterableIterator<C> {
    yield* this.children.values();
    yield* this.overflowSlots.values();
  }

  /** Forget one label set (its series disappears from the exposition). */
  remove(values: Labels<L>): void {
    const list = this.spec.labels.map((n) => wellFormed(String((values as Record<string, string>)[n])));
    this.children.delete(labelSetKey(list));
  }

  /** Forget every label set, and the overflow series. */
  clear(): void {
    this.children.clear();
    this.overflowSlots.clear();
  }

  get seriesCount(): number {
    return this.children.size + this.overflowSlots.size;
  }

  /** `# HELP` and `# TYPE` lines for a prefix and naming mode, cached. */
  protected familyHeader(prefix: string, form: UnitsForm): string {
    const key = prefix + '\0' + form.name;
    if (this.headerKey !== key) {
      const name = prefix + form.name;
      this.header = `# HELP ${name} ${escapeHelp(form.help)}\n# TYPE ${name} ${this.spec.type}\n`;
      this.headerKey = key;
    }
    return this.header;
  }

  /** How this metric is named and scaled in a naming mode (null: the mode leaves it out). */
  protected form(units: Units): UnitsForm | null {
    return unitsForm(this.spec, units);
  }

  /** `labelText` is the rendered label pairs without braces (empty for no labels). */
  protected abstract createChild(labelText: string, values: readonly string[]): C;

  /** The family in the text format, or '' when it has no series (or the naming mode leaves it out). */
  abstract render(prefix: string, units?: Units): string;
}

function labelText(names: readonly string[], values: readonly string[]): string {
  return names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`).join(',');
}

/** Renders `{a="x"}`, or '' for no labels. */
export function braces(labelText: string): string {
  return labelText === '' ? '' : `{${labelText}}`;
}
