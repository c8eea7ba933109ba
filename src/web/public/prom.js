// Prometheus mode: each panel's PromQL (the Grafana dashboard's, variables filled in) read through the server's
// proxy from /api/v1/query_range and /api/v1/query; the Alerts row lists /api/v1/alerts.

import { alertsTable } from './alerts.js';
import { PHASES } from './format.js';

const SCRAPE_S = 15;

function escapeRegex(v) {
  // Regex-escaped, then escaped again for a PromQL double-quoted string.
  return v
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"');
}

/** Fills Grafana's variables in (the same rules as monitoring/dashboard.ts interpolateQuery). */
export function interpolate(expr, { rateInterval, range, values }) {
  return expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__range', range)
    .replace(/\$([a-z_]+)/g, (_, name) => (values[name] ? escapeRegex(values[name]) : '.*'));
}

function legend(format, metric) {
  const text = format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => metric[k] ?? '');
  return text || Object.values(metric).join(', ') || 'value';
}

const num = (v) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** Bootstrap phases in start-up order, labelled like the local mode. */
function phases(items) {
  const rank = (p) => (PHASES.includes(p) ? PHASES.indexOf(p) : PHASES.length);
  return items
    .sort((a, b) => rank(a.label) - rank(b.label) || a.label.localeCompare(b.label))
    .map((i) => ({ ...i, label: i.label.charAt(0).toUpperCase() + i.label.slice(1).replace(/_/g, ' ') }));
}

export class PromSource {
  constructor(config) {
    this.config = config;
    this.base = `${config.prometheusPath}/api/v1`;
    this.results = new Map();
    this.alerts = [];
    this.labels = { namespace: [], provider: [], tool: [] };
  }

  async get(path, params) {
    const r = await fetch(`${this.base}/${path}?${new window.URLSearchParams(params)}`);
    const body = await r.json().catch(() => ({}));
    if (!r.ok || body.status !== 'success')
      throw new Error(body.message ?? body.error ?? `Prometheus ${path}: HTTP ${r.status}`);
    return body.data;
  }

  /** Runs every panel's queries for the range ending now. */
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
        const run = q.instant
          ? this.get('query', { query, time: end }).then((d) => ({ instant: true, result: d.result }))
          : this.get('query_range', { query, start: end - rangeS, end, step }).then((d) => ({
              result: d.result,
            }));
        jobs.push(
          run.then(
            (r) => this.results.set(key, { ...r, legend: q.legend }),
            (err) => this.results.set(key, { error: err.message, result: [], legend: q.legend }),
          ),
        );
      }
    }
    jobs.push(
      this.get('alerts', {}).then(
        (d) => (this.alerts = d.alerts ?? []),
        () => (this.alerts = []),
      ),
    );
    jobs.push(this.loadLabels());
    await Promise.all(jobs);
  }

  async loadLabels() {
    const { prefix, selector } = this.config;
    const pairs = [
      ['namespace', `${prefix}cache_operations_total`],
      ['provider', `${prefix}provider_health`],
      ['tool', `${prefix}tool_executions_total`],
    ];
    await Promise.all(
      pairs.map(([label, metric]) =>
        this.get('query', { query: `group by (${label}) (${metric}{${selector}})` }).then(
          (d) =>
            (this.labels[label] = d.result
              .map((r) => r.metric[label])
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

  /** The panel's results as series on a common time axis. */
  seriesOf(panel) {
    const { start, end, step } = this.frame;
    const t = [];
    for (let s = start; s <= end; s += step) t.push(s);
    const series = [];
    for (const q of panel.queries) {
      const r = this.results.get(`${panel.id}/${q.refId}`);
      for (const m of r?.result ?? []) {
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

  /** Last value of each result (Grafana's lastNotNull reduction). */
  itemsOf(panel) {
    return this.seriesOf(panel).series.map((s) => {
      let value = null;
      for (let i = s.values.length - 1; i >= 0 && value === null; i--) value = s.values[i];
      return { label: s.label, value, spark: s.values };
    });
  }

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

  table(panel) {
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
