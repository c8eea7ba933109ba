// Units, colours and thresholds, with the Grafana unit ids the panels carry (ms, s, bytes, percentunit, ops, short).

/** @typedef {import('./page.d.ts').Value} Value */

/** Named colours of thresholds, mappings and states, and the chart's greys. */
export const COLORS = {
  green: '#73bf69',
  yellow: '#fade2a',
  red: '#f2495c',
  blue: '#5794f2',
  orange: '#ff9830',
  purple: '#b877d9',
  text: '#d8d9da',
  muted: '#8e8e9e',
  grid: 'rgba(204, 204, 220, 0.09)',
};

/**
 * A colour by name (a threshold's, a mapping's), or the name itself when it is a CSS colour already.
 * @param {string} name
 */
export function colorOf(name) {
  /** @type {Record<string, string | undefined>} */
  const named = COLORS;
  return named[name] ?? name;
}

/** Series colours, in order. */
export const PALETTE = [
  '#73bf69',
  '#f2cc0c',
  '#8ab8ff',
  '#ff780a',
  '#f2495c',
  '#5794f2',
  '#b877d9',
  '#37b4a8',
  '#fade2a',
  '#e0752d',
];

/** @type {(v: number, digits?: number) => string} */
const round = (v, digits) => {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const d = digits ?? (abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3);
  return v.toFixed(d).replace(/\.0+$|(\.\d*?)0+$/, '$1');
};

/** @param {number} seconds */
function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${round(seconds, seconds < 10 ? 1 : 0)} s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

/** @param {number} ms */
function millis(ms) {
  if (ms >= 60000) return duration(ms / 1000);
  if (ms >= 1000) return `${round(ms / 1000)} s`;
  if (ms > 0 && ms < 1) return `${round(ms * 1000)} µs`;
  return `${round(ms)} ms`;
}

/** @param {number} b */
function bytes(b) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(b) >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return `${round(b)} ${units[i]}`;
}

/** @param {number} v */
function short(v) {
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${round(v / 1e9)} B`;
  if (abs >= 1e6) return `${round(v / 1e6)} M`;
  if (abs >= 1e4) return `${round(v / 1e3)} K`;
  return round(v);
}

/**
 * Formats a value in a Grafana unit; null/NaN is shown as "No data".
 * @param {Value | undefined} v
 * @param {string | undefined} unit
 */
export function formatValue(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'No data';
  switch (unit) {
    case 'ms':
      return millis(v);
    case 's':
      return duration(v);
    case 'bytes':
      return bytes(v);
    case 'percentunit':
      return `${round(v * 100, Math.abs(v) >= 0.1 ? 1 : 2)}%`;
    case 'percent':
      return `${round(v, 1)}%`;
    case 'ops':
      return `${short(v)} ops/s`;
    default:
      return short(v);
  }
}

/**
 * Axis tick labels: as many decimals as the tick spacing needs.
 * @param {number[]} ticks
 * @param {string} unit
 */
export function formatAxis(ticks, unit) {
  const [first, second] = ticks;
  const spacing = first !== undefined && second !== undefined ? Math.abs(second - first) : 0;
  /** @param {number} scale */
  const digits = (scale) =>
    spacing > 0 ? Math.max(0, Math.min(4, -Math.floor(Math.log10(spacing * scale)))) : 0;
  return ticks.map((v) => {
    if (v === null || v === undefined) return '';
    if (unit === 'percentunit') return `${(v * 100).toFixed(digits(100))}%`;
    if (unit === 'ops' || unit === 'short' || unit === 'none' || !unit) return short(v);
    return formatValue(v, unit);
  });
}

/**
 * Colour of the threshold step a value falls in (steps ascending, the first has value null).
 * @param {Value | undefined} v
 * @param {readonly {color: string, value: number | null}[] | undefined} steps
 */
export function thresholdColor(v, steps, fallback = COLORS.green) {
  if (!steps || steps.length === 0 || v === null || v === undefined || Number.isNaN(v)) return fallback;
  let color = steps[0]?.color ?? fallback;
  for (const s of steps) if (s.value === null || v >= s.value) color = s.color;
  return colorOf(color);
}

/** @param {unknown} s */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// One formatter for every call: toLocaleTimeString builds a new one each time, which costs milliseconds per
// thousand values (a chart's value table formats one time per row).
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** @param {number} ms */
export function formatTime(ms) {
  return TIME.format(ms);
}

/**
 * @param {readonly (Value | undefined)[]} values
 * @returns {Value}
 */
export function lastNotNull(values) {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return null;
}

/** The five start-up phases of the catalog (BOOTSTRAP_PHASES), in start-up order. */
export const PHASES = [
  'container_bootstrap',
  'service_registration',
  'provider_initialization',
  'tool_loading',
  'cache_warming',
];
