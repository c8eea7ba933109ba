// Prometheus mode: each panel's PromQL (the Grafana dashboard's, variables filled in) read through the server's
// proxy from /api/v1/query_range and /api/v1/query; the Alerts row lists /api/v1/alerts.

import { alertsTable } from './alerts.js';
import { PHASES, lastNotNull } from './format.js';

/**
 * @typedef {import('./page.d.ts').ApiAlert} ApiAlert
 * @typedef {import('./page.d.ts').AlertsResponse} AlertsResponse
 * @typedef {import('./page.d.ts').Filters} Filters
 * @typedef {import('./page.d.ts').Frame} Frame
 * @typedef {import('./page.d.ts').Item} Item
 * @typedef {import('./page.d.ts').LabelValues} LabelValues
 * @typedef {import('./page.d.ts').PageConfig} PageConfig
 * @typedef {import('./page.d.ts').PagePanel} PagePanel
 * @typedef {import('./page.d.ts').PromResult} PromResult
 * @typedef {import('./page.d.ts').SeriesFrame} SeriesFrame
 * @typedef {import('./page.d.ts').TableFrame} TableFrame
 * @typedef {{result: PromResult[], legend: string, instant?: boolean, error?: string}} QueryResult
 */

const SCRAPE_S = 15;

/** @param {string} v */
function escapeRegex(v) {
  // Regex-escaped, then escaped again for a PromQL double-quoted string.
  return v
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"');
}

/**
 * Fills Grafana's variables in (the same rules as monitoring/dashboard.ts interpolateQuery).
 * @param {string} expr
 * @param {{rateInterval: string, range: string, values: Record<string, string>}} vars
 */
export function interpolate(expr, { rateInterval, range, values }) {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__range', range)
    .replace(/\$([a-z_]+)/g, (_, /** @type {string} */ name) => {
      const v = values[name];
      return v ? escapeRegex(v) : '.*';
    });
}

/**
 * @param {string} format
 * @param {Record<string, string>} metric
 */
function legend(format, metric) {
  const text = format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, /** @type {string} */ k) => metric[k] ?? '');
  return text || Object.values(metric).join(', ') || 'value';
}

/** @param {string} v */
const num = (v) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/**
 * Bootstrap phases in start-up order, labelled like the local mode.
 * @param {Array<Item & {label: string}>} items
 */
function phases(items) {
  /** @param {string} p */
  const rank = (p) => (PHASES.includes(p) ? PHASES.indexOf(p) : PHASES.length);
  return items
    .sort((a, b) => rank(a.label) - rank(b.label) || a.label.localeCompare(b.label))
    .map((i) => ({ ...i, label: i.label.charAt(0).toUpperCase() + i.label.slice(1).replace(/_/g, ' ') }));
}

export class PromSource {
  /** @param {PageConfig} config */
  constructor(config) {
    this.config = config;
    this.base = `${config.prometheusPath}/api/v1`;
    /** @type {Map<string, QueryResult>} */
    this.results = new Map();
    /** @type {ApiAlert[]} */
    this.alerts = [];
    /** @type {LabelValues} */
    this.labels = { namespace: [], provider: [], tool: [] };
    /** The time axis of the last load, in seconds. */
    this.frame = { start: 0, end: 0, step: 1 };
  }

  /**
   * The `data` of a Prometheus API answer; throws with Prometheus's error message.
   * @template T
   * @param {string} path
   * @param {Record<string, string | number>} params
   * @returns {Promise<T>}
   */
  async get(path, params) {
    const query = new window.URLSearchParams();
    for (const [k, v] of Object.entries(params)) query.set(k, String(v));
    const r = await fetch(`${this.base}/${path}?${query}`);
    /** @type {Partial<import('./page.d.ts').PromResponse<T>>} */
    const body = await r.json().catch(() => ({}));
    if (!r.ok || body.status !== 'success' || body.data === undefined)
      throw new Error(body.message ?? body.error ?? `Prometheus ${path}: HTTP ${r.status}`);
    return body.data;
  }

  /**
   * @param {string} query
   * @param {Record<string, string | number>} params
   * @returns {Promise<PromResult[]>}
   */
  async query(query, params = {}) {
    /** @type {{result: PromResult[]}} */
    const data = await this.get('query', { query, ...params });
    return data.result;
  }

  /**
   * Runs every panel's queries for the range ending now.
   * @param {number} rangeMs
   * @param {Filters} filters
   * @param {readonly PagePanel[]} panels
   */
  async load(rangeMs, filters, panels) {
    const end = Math.floor(Date.now() / 1000);
    const rangeS = Math.round(rangeMs / 1000);
    const step = Math.max(1, Math.ceil(rangeS / 360));
    this.frame = { start: end - rangeS, end, step };
    const vars = {
      rateInterval: `${Math.max(4 * SCRAPE_S, step + SCRAPE_S)}s`,
      range: `${rangeS}s`,
      values: filters,
    };
    const jobs = [];
    for (const panel of panels) {
      if (panel.id === 'firing-alerts') continue;
      for (const q of panel.queries) {
        const query = interpolate(q.expr, vars);
        const key = `${panel.id}/${q.refId}`;
        /** @type {Promise<{result: PromResult[]}>} */
        const data = q.instant
          ? this.get('query', { query, time: end })
          : this.get('query_range', { query, start: end - rangeS, end, step });
        const run = data.then((d) => ({ instant: q.instant, result: d.result }));
        jobs.push(
          run.then(
            (r) => this.results.set(key, { ...r, legend: q.legend }),
            (err) => this.results.set(key, { error: err.message, result: [], legend: q.legend }),
          ),
        );
      }
    }
    /** @type {Promise<AlertsResponse['data']>} */
    const alerts = this.get('alerts', {});
    jobs.push(
      alerts.then(
        (d) => (this.alerts = d.alerts ?? []),
        () => (this.alerts = []),
      ),
    );
    jobs.push(this.loadLabels());
    await Promise.all(jobs);
  }

  async loadLabels() {
    const { prefix, selector } = this.config;
    /** @type {Array<[keyof LabelValues, string]>} */
    const pairs = [
      ['namespace', `${prefix}cache_operations_total`],
      ['provider', `${prefix}provider_health`],
      ['tool', `${prefix}tool_executions_total`],
    ];
    await Promise.all(
      pairs.map(([label, metric]) =>
        this.query(`group by (${label}) (${metric}{${selector}})`).then(
          (result) =>
            (this.labels[label] = result
              .map((r) => r.metric[label] ?? '')
              .filter(Boolean)
              .sort()),
          () => {},
        ),
      ),
    );
  }

  labelValues() {
    return this.labels;
  }

  /**
   * The panel's results as series on a common time axis.
   * @param {PagePanel} panel
   * @returns {SeriesFrame}
   */
  seriesOf(panel) {
    const { start, end, step } = this.frame;
    /** @type {number[]} */
    const t = [];
    for (let s = start; s <= end; s += step) t.push(s);
    /** @type {SeriesFrame['series']} */
    const series = [];
    for (const q of panel.queries) {
      const r = this.results.get(`${panel.id}/${q.refId}`);
      if (!r) continue;
      for (const m of r.result) {
        /** @type {Array<number | null>} */
        const values = new Array(t.length).fill(null);
        for (const [ts, v] of m.values ?? (m.value ? [m.value] : [])) {
          const i = Math.round((ts - start) / step);
          if (i >= 0 && i < t.length) values[i] = num(v);
        }
        series.push({ label: legend(r.legend, m.metric), values });
      }
    }
    return { t, range: [start, end], series };
  }

  /**
   * Last value of each result (Grafana's lastNotNull reduction).
   * @param {PagePanel} panel
   */
  itemsOf(panel) {
    return this.seriesOf(panel).series.map((s) => ({
      label: s.label,
      value: lastNotNull(s.values),
      spark: s.values,
    }));
  }

  /**
   * @param {PagePanel} panel
   * @returns {Frame}
   */
  frameFor(panel) {
    switch (panel.type) {
      case 'timeseries':
        return this.seriesOf(panel);
      case 'stat': {
        // increase() extrapolates: a count of events reads best as a whole number
        const items = this.itemsOf(panel).map((i) =>
          panel.unit === 'short' && i.value !== null ? { ...i, value: Math.round(i.value) } : i,
        );
        return { items: items.slice(0, 1), spark: items[0]?.spark };
      }
      case 'bargauge':
        if (panel.id === 'bootstrap-phases') return { items: phases(this.itemsOf(panel)) };
        return { items: this.itemsOf(panel) };
      case 'gauge':
        return {
          items: this.itemsOf(panel).map((i) => ({
            ...i,
            label: panel.type === 'gauge' && i.label === 'hit rate' ? '' : i.label,
          })),
        };
      case 'piechart':
        return { items: this.itemsOf(panel) };
      case 'table':
        return panel.id === 'firing-alerts' ? alertsTable(this.alerts) : this.table(panel);
    }
    return { items: [] };
  }

  /**
   * @param {PagePanel} panel
   * @returns {TableFrame}
   */
  table(panel) {
    /** @param {number | null} v */
    const mapping = (v) => panel.mappings?.find((m) => m.value === v);
    const items = this.itemsOf(panel).sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
    const name = panel.id === 'provider-health' ? 'Provider' : 'Tool';
    return {
      columns: [
        { key: 'label', title: name },
        panel.mappings
          ? { key: 'value', title: 'Health' }
          : { key: 'value', title: 'Executions', unit: panel.unit },
      ],
      rows: items.map((i) => {
        const m = mapping(i.value);
        const value = panel.mappings
          ? (m ?? { text: i.value === null ? 'No data' : 'Degraded', color: 'yellow' })
          : i.value === null
            ? null
            : Math.round(i.value);
        return { label: i.label, value };
      }),
    };
  }
}
