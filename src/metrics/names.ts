/**
 * Validation and escaping for the Prometheus text format (0.0.4). Everything here runs when a metric or a
 * label set is created, never per recorded value.
 */

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED_LABELS = new Set(['le', 'quantile']);

export class MetricError extends Error {
  override name = 'MetricError';
}

export function validateMetricName(name: string): void {
  if (typeof name !== 'string' || !METRIC_NAME_RE.test(name)) {
    throw new MetricError(`invalid metric name ${JSON.stringify(name)}: must match [a-zA-Z_:][a-zA-Z0-9_:]*`);
  }
}

export function validateLabelNames(metric: string, labels: readonly string[]): void {
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== 'string' || !LABEL_NAME_RE.test(label)) {
      throw new MetricError(
        `metric ${metric}: invalid label name ${JSON.stringify(label)}: must match [a-zA-Z_][a-zA-Z0-9_]*`,
      );
    }
    if (label.startsWith('__')) {
      throw new MetricError(
        `metric ${metric}: label name ${JSON.stringify(label)} is reserved (starts with __)`,
      );
    }
    if (RESERVED_LABELS.has(label)) {
      throw new MetricError(
        `metric ${metric}: label name ${JSON.stringify(label)} is reserved for histogram buckets and summaries`,
      );
    }
    if (seen.has(label))
      throw new MetricError(`metric ${metric}: label ${JSON.stringify(label)} is declared twice`);
    seen.add(label);
  }
}

export function validateBuckets(metric: string, buckets: readonly number[]): void {
  if (buckets.length === 0) throw new MetricError(`metric ${metric}: a histogram needs at least one bucket`);
  for (let i = 0; i < buckets.length; i++) {
    const b = buckets[i]!;
    if (!Number.isFinite(b)) {
      throw new MetricError(`metric ${metric}: bucket bound ${b} is not finite (+Inf is added by itself)`);
    }
    if (i > 0 && b <= buckets[i - 1]!) {
      throw new MetricError(`metric ${metric}: bucket bounds must increase, got ${buckets[i - 1]} then ${b}`);
    }
  }
}

export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

export function escapeHelp(text: string): string {
  return /[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
}

/** A sample value as the text format writes it. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/**
 * The error for a bad recorded value: a TypeError for a non-number (no coercion: `"5"`, `null` or `true` are
 * refused, not read as numbers), a RangeError for NaN, an infinity or a negative. `what` says what was
 * expected, e.g. "observation must be a finite number >= 0".
 */
export function badValue(subject: string, what: string, v: unknown): TypeError | RangeError {
  if (typeof v !== 'number') {
    const shown = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? '[array]' : String(v);
    return new TypeError(`${subject}: ${what}, got ${typeof v} ${shown}`);
  }
  return new RangeError(`${subject}: ${what}, got ${v}`);
}

/** Throws unless v is a number, finite and >= 0. */
export function checkNonNegative(subject: string, what: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !(v >= 0 && v < Infinity)) throw badValue(subject, what, v);
}

/** a + b, held at Number.MAX_VALUE: a running sum of finite values stays finite and usable. */
export function addSaturating(a: number, b: number): number {
  const s = a + b;
  return s > Number.MAX_VALUE ? Number.MAX_VALUE : s < -Number.MAX_VALUE ? -Number.MAX_VALUE : s;
}
