/** Test helpers: temp dirs, the real tools (promtool, amtool, yamllint) and Go template formatting. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; a non-zero exit is returned, not thrown, so tests can assert on its output. */
export async function run(cmd: string, args: string[], cwd?: string): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs `fn` in a fresh temp dir that is removed afterwards, even on failure. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'victor-monitoring-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// --- Go's fmt %.4g and Prometheus' template functions, for the values the tests choose ---

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
    if (!m) throw new Error(`unsupported printf format ${fmt}`);
    return v.toFixed(Number(m[1]));
  },
};

/** Expands the subset of Prometheus' alert templates our rules use: `$labels.x` and `$value | fn "arg"`. */
export function renderTemplate(template: string, labels: Record<string, string>, value: number): string {
  return template.replace(/\{\{\s*(.+?)\s*\}\}/g, (_, body: string) => {
    const lm = /^\$labels\.(\w+)$/.exec(body);
    if (lm) return labels[lm[1] as string] ?? '';
    const vm = /^\$value\s*\|\s*(\w+)(?:\s+"([^"]*)")?$/.exec(body);
    if (!vm) throw new Error(`unsupported template action {{ ${body} }}`);
    const fn = TEMPLATE_FUNCS[vm[1] as string];
    if (!fn) throw new Error(`unsupported template function ${vm[1]}`);
    return fn(value, vm[2]);
  });
}

export function durationSeconds(d: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  let total = 0;
  for (const m of d.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * (units[m[2] as string] ?? 0);
  return total;
}
