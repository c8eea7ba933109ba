// Local mode: every panel drawn from its own query results, the same way for every panel of a type. The
// server evaluates each panel's query (the definition the Grafana dashboard is printed from) at every
// history sample; here the series are filtered on the page's filters, named by the query's legend format
// (`{{provider}}`) and shaped for the panel type. The Alerts row lists the server's in-process alerts.

import { alertsTable } from './alerts.js';
import { lastNotNull } from './format.js';

/**
 * @typedef {import('./local.js').LocalSource} LocalSource
 * @typedef {import('./page.d.ts').Filters} Filters
 * @typedef {import('./page.d.ts').Frame} Frame
 * @typedef {import('./page.d.ts').Item} Item
 * @typedef {import('./page.d.ts').PageConfig} PageConfig
 * @typedef {import('./page.d.ts').PagePanel} PagePanel
 * @typedef {import('./page.d.ts').RenderContext} RenderContext
 * @typedef {import('./page.d.ts').TableFrame} TableFrame
 * @typedef {import('./page.d.ts').Value} Value
 * @typedef {{label: string, labels: Record<string, string>, values: Value[]}} NamedSeries
 */

const FIRING_ALERTS = 'firing-alerts';
const TEMPLATE = /\{\{\s*(\w+)\s*\}\}/g;

/**
 * Grafana's legend format: `{{label}}` replaced by the series' label value.
 * @param {string} format
 * @param {Record<string, string>} labels
 */
function legendOf(format, labels) {
  const text = format.replace(TEMPLATE, (_, k) => labels[k] ?? '').trim();
  return text || Object.values(labels).join(', ') || 'value';
}

/**
 * Label names a legend format reads.
 * @param {string} format
 * @returns {string[]}
 */
const legendLabels = (format) => [...format.matchAll(TEMPLATE)].map((m) => m[1] ?? '');

/**
 * Whether a series passes the page's filters (a filter on a label the series does not carry passes).
 * @param {Record<string, string>} labels
 * @param {Filters} filters
 */
function passes(labels, filters) {
  for (const [label, value] of Object.entries(filters)) {
    if (value && labels[label] !== undefined && labels[label] !== value) return false;
  }
  return true;
}

/**
 * Sort order on a label: the catalog's order where it knows the values (bootstrap phases in start-up
 * order), then alphabetical.
 * @param {PageConfig} config
 * @param {string} label
 * @returns {(a: NamedSeries, b: NamedSeries) => number}
 */
function byKnownOrder(config, label) {
  const known = config.labelOrder[label] ?? [];
  /** @param {NamedSeries} s */
  const rank = (s) => {
    const i = known.indexOf(s.labels[label] ?? '');
    return i === -1 ? known.length : i;
  };
  return (a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label);
}

/**
 * The panel's series, filtered and named, in a stable order.
 * @param {PagePanel} panel
 * @param {LocalSource} src
 * @param {Filters} filters
 * @returns {NamedSeries[]}
 */
function namedSeries(panel, src, filters) {
  /** @type {NamedSeries[]} */
  const out = [];
  for (const q of panel.queries) {
    const named = src
      .seriesOf(panel.id, q.refId)
      .filter((s) => passes(s.labels, filters))
      .map((s) => ({ label: legendOf(q.legend, s.labels), labels: s.labels, values: s.values }));
    const [first] = legendLabels(q.legend);
    out.push(...(first ? named.sort(byKnownOrder(src.config, first)) : named));
  }
  return out;
}

/** @param {string} s */
const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * One row per series, largest value first: the legend's label, then the value (or its mapped text).
 * @param {PagePanel} panel
 * @param {NamedSeries[]} series
 * @returns {TableFrame}
 */
function table(panel, series) {
  const q = panel.queries[0];
  const keyLabel = legendLabels(q?.legend ?? '')[0];
  // An increase extrapolates: a count of events reads best as a whole number.
  const whole = Boolean(q?.instant) && panel.unit === 'short' && !panel.mappings;
  const rows = series
    .map((s) => ({ label: s.label, value: lastNotNull(s.values) }))
    .flatMap((r) =>
      r.value === null ? [] : [{ label: r.label, value: whole ? Math.round(r.value) : r.value }],
    )
    .sort((a, b) => b.value - a.value || a.label.localeCompare(b.label))
    .map((r) => {
      if (!panel.mappings) return r;
      const m = panel.mappings.find((x) => x.value === r.value);
      return {
        label: r.label,
        value: m ? { text: m.text, color: m.color } : { text: 'Degraded', color: 'yellow' },
      };
    });
  return {
    columns: [
      { key: 'label', title: keyLabel ? capitalize(keyLabel) : 'Series' },
      panel.mappings
        ? { key: 'value', title: 'Status' }
        : { key: 'value', title: panel.window ? `Last ${panel.window}` : 'Value', unit: panel.unit },
    ],
    rows,
    empty: panel.window ? `No data in the last ${panel.window}` : 'No data',
  };
}

/**
 * The frame a panel's widget draws. Instant panels (tables, pies, stats over `$__range`) show their latest
 * value, over the fixed window the server evaluates them on (`panel.window`), and say so.
 * @param {PagePanel} panel
 * @param {LocalSource} src
 * @param {RenderContext} ctx
 * @returns {Frame}
 */
export function localFrame(panel, src, ctx) {
  if (panel.id === FIRING_ALERTS) return alertsTable(src.alerts);
  const series = namedSeries(panel, src, ctx.f);
  const [first] = panel.queries;
  // One unnamed line: gauges and bars need no caption for it.
  const single = panel.queries.length === 1 && legendLabels(first?.legend ?? '').length === 0;
  /** @type {() => Item[]} */
  const items = () =>
    series.map((s) => ({ label: single ? '' : s.label, value: lastNotNull(s.values), spark: s.values }));
  switch (panel.type) {
    case 'timeseries':
      return {
        t: ctx.t,
        range: ctx.range,
        series: series.map((s) => ({ label: s.label, values: s.values })),
      };
    case 'stat': {
      const [item] = items();
      if (!item) return { items: [{ value: null }] };
      const instant = Boolean(first?.instant);
      const value =
        instant && panel.unit === 'short' && item.value !== null ? Math.round(item.value) : item.value;
      const sub = panel.window ? `last ${panel.window}` : undefined;
      return { items: [{ value, sub }], spark: instant ? undefined : item.spark };
    }
    case 'gauge':
    case 'bargauge':
    case 'piechart':
      return { items: items() };
    case 'table':
      return table(panel, series);
  }
  return { items: [] };
}

/**
 * Filters set on the page that a panel's query takes (`$tool`) but whose series do not carry the label (an
 * overall line, e.g. the error rate of all tools): the history evaluates the query over every value, so
 * such a filter cannot narrow it here (Prometheus mode can).
 * @param {PagePanel} panel
 * @param {LocalSource} src
 * @param {Filters} filters
 * @returns {string[]}
 */
export function unfilteredBy(panel, src, filters) {
  /** @type {string[]} */
  const out = [];
  for (const [label, value] of Object.entries(filters)) {
    if (!value || !panel.queries.some((q) => q.expr.includes(`$${label}`))) continue;
    const carried = panel.queries.some((q) => src.seriesOf(panel.id, q.refId).some((s) => label in s.labels));
    if (!carried) out.push(label);
  }
  return out;
}
