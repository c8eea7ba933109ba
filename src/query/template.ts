/**
 * The part of Prometheus' alert templates our annotations use: `{{ $labels.x }}` and
 * `{{ $value | fn "arg" }}` with humanizePercentage, humanize1024, humanizeDuration and printf "%.Nf",
 * formatted as Go does (`%.4g`), so a locally evaluated alert reads like the one Prometheus sends.
 */
import { QueryError } from './expr.ts';

/** Go's `%.{precision}g`. */
export function goG(v: number, precision = 4): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  const rounded = Number(v.toPrecision(precision));
  const exp = Math.floor(Math.log10(Math.abs(rounded)));
  if (exp < -4 || exp >= precision) {
    const [m = '', e = '0'] = v.toExponential(precision - 1).split('e');
    const mantissa = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(rounded);
}

const TEMPLATE_FUNCS: Record<string, (v: number, arg?: string) => string> = {
  humanizePercentage: (v) => `${goG(v * 100)}%`,
  humanize1024: (v) => {
    if (Math.abs(v) <= 1) return goG(v);
    let prefix = '';
    for (const p of ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']) {
      if (Math.abs(v) < 1024) break;
      prefix = p;
      v /= 1024;
    }
    return `${goG(v)}${prefix}`;
  },
  humanizeDuration: (v) => {
    if (v === 0) return '0s';
    if (Math.abs(v) >= 1) {
      const d = Math.trunc(v);
      const [days, hours, minutes, seconds] = [
        Math.trunc(d / 86400),
        Math.trunc(d / 3600) % 24,
        Math.trunc(d / 60) % 60,
        d % 60,
      ];
      if (days) return `${days}d ${hours}h ${minutes}m ${seconds}s`;
      if (hours) return `${hours}h ${minutes}m ${seconds}s`;
      if (minutes) return `${minutes}m ${seconds}s`;
      return `${goG(v)}s`;
    }
    let prefix = '';
    for (const p of ['m', 'u', 'n']) {
      if (Math.abs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
    return `${goG(v)}${prefix}s`;
  },
  printf: (v, fmt) => {
    const m = /^%\.(\d+)f$/.exec(fmt ?? '');
    if (!m) throw new QueryError(`unsupported printf format ${fmt}`);
    return v.toFixed(Number(m[1]));
  },
};

/** Expands `{{ $labels.x }}` and `{{ $value | fn "arg" }}`; anything else is an error. */
export function renderTemplate(
  template: string,
  labels: Readonly<Record<string, string>>,
  value: number,
): string {
  return template.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, body: string) => {
    const lm = /^\$labels\.(\w+)$/.exec(body);
    if (lm) return labels[lm[1] as string] ?? '';
    const vm = /^\$value\s*\|\s*(\w+)(?:\s+"([^"]*)")?$/.exec(body);
    if (!vm) throw new QueryError(`unsupported template action {{ ${body} }}`);
    const fn = TEMPLATE_FUNCS[vm[1] as string];
    if (!fn) throw new QueryError(`unsupported template function ${vm[1]}`);
    return fn(value, vm[2]);
  });
}
