/**
 * The shared part of counters, gauges and histograms: spec validation, label-set resolution into bound
 * children, the cardinality limit, and the family header of the text format.
 *
 * A child is resolved once per label set (`metric.labels({tool: 'grep'})`) and keeps its label text ready
 * for exposition, so recording through a child is one numeric update.
 */
import { OVERFLOW_LABEL_VALUE, type MetricSpec } from './catalog.ts';
import {
  MetricError,
  escapeHelp,
  escapeLabelValue,
  validateLabelNames,
  validateMetricName,
} from './names.ts';

export type Labels<L extends string> = { readonly [K in L]: string };

export interface MetricOptions {
  /** Label sets kept apart before new ones fold into the overflow series (default 1000). */
  maxSeries?: number;
  /** Called when a new label set folds into the overflow series. */
  onOverflow?: (metric: string) => void;
}

export const DEFAULT_MAX_SERIES = 1000;

export abstract class Metric<L extends string, C> {
  readonly spec: MetricSpec<L>;
  protected readonly children = new Map<string, C>();
  private readonly maxSeries: number;
  private readonly onOverflow: ((metric: string) => void) | undefined;
  /** Look-ups folded into the overflow series so far. */
  overflowed = 0;
  private headerPrefix: string | undefined;
  private header = '';

  constructor(spec: MetricSpec<L>, options: MetricOptions = {}) {
    validateMetricName(spec.name);
    validateLabelNames(spec.name, spec.labels);
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    if (!Number.isInteger(maxSeries) || maxSeries < 1) {
      throw new MetricError(`metric ${spec.name}: maxSeries must be a positive integer, got ${maxSeries}`);
    }
    this.spec = spec;
    this.maxSeries = maxSeries;
    this.onOverflow = options.onOverflow;
  }

  /** The child for one label set: resolve it once and keep it on hot paths. */
  labels(values: Labels<L>): C {
    const names = this.spec.labels;
    if (values === null || typeof values !== 'object') {
      throw new MetricError(`metric ${this.spec.name}: labels must be an object, got ${String(values)}`);
    }
    let key = '';
    for (let i = 0; i < names.length; i++) {
      const v = (values as Record<string, unknown>)[names[i]!];
      if (typeof v !== 'string') {
        throw new MetricError(
          `metric ${this.spec.name}: label ${names[i]} must be a string, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`,
        );
      }
      key += i === 0 ? v : '\u0000' + v;
    }
    const found = this.children.get(key);
    if (found !== undefined) return found;
    const given = Object.keys(values);
    if (given.length !== names.length) {
      const extra = given.filter((k) => !(names as readonly string[]).includes(k));
      throw new MetricError(
        `metric ${this.spec.name}: unknown label ${JSON.stringify(extra[0])}; declared labels are [${names.join(', ')}]`,
      );
    }
    if (this.children.size >= this.maxSeries) return this.overflowChild();
    return this.addChild(
      key,
      names.map((n) => (values as Record<string, string>)[n]!),
    );
  }

  private overflowChild(): C {
    this.overflowed++;
    this.onOverflow?.(this.spec.name);
    const key = this.spec.labels.map(() => OVERFLOW_LABEL_VALUE).join('\u0000');
    const found = this.children.get(key);
    // The overflow series may exceed the limit by exactly one.
    return (
      found ??
      this.addChild(
        key,
        this.spec.labels.map(() => OVERFLOW_LABEL_VALUE),
      )
    );
  }

  private addChild(key: string, values: readonly string[]): C {
    const parts = this.spec.labels.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`);
    const child = this.createChild(parts.join(','), values);
    this.children.set(key, child);
    return child;
  }

  /** Forget one label set (its series disappears from the exposition). */
  remove(values: Labels<L>): void {
    const key = this.spec.labels.map((n) => (values as Record<string, string>)[n]).join('\u0000');
    this.children.delete(key);
  }

  /** Forget every label set. */
  clear(): void {
    this.children.clear();
  }

  get seriesCount(): number {
    return this.children.size;
  }

  /** `# HELP` and `# TYPE` lines for a prefix, cached. */
  protected familyHeader(prefix: string): string {
    if (this.headerPrefix !== prefix) {
      const name = prefix + this.spec.name;
      this.header = `# HELP ${name} ${escapeHelp(this.spec.help)}\n# TYPE ${name} ${this.spec.type}\n`;
      this.headerPrefix = prefix;
    }
    return this.header;
  }

  /** `labelText` is the rendered label pairs without braces (empty for no labels). */
  protected abstract createChild(labelText: string, values: readonly string[]): C;

  /** The family in the text format, or '' when it has no series. */
  abstract render(prefix: string): string;
}

/** Renders `{a="x"}`, or '' for no labels. */
export function braces(labelText: string): string {
  return labelText === '' ? '' : `{${labelText}}`;
}
