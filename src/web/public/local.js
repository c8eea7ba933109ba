// Local mode: panels drawn from the server's in-memory history (/dashboard/api/history, incremental) and
// kept live by server-sent events (/dashboard/api/stream).
import { lastNotNull } from './format.js';

/**
 * @typedef {import('./page.d.ts').ApiAlert} ApiAlert
 * @typedef {import('./page.d.ts').AlertsResponse} AlertsResponse
 * @typedef {import('./page.d.ts').HistoryResponse} HistoryResponse
 * @typedef {import('./page.d.ts').LabelValues} LabelValues
 * @typedef {import('./page.d.ts').PageConfig} PageConfig
 * @typedef {import('./page.d.ts').PerformanceSnapshot} PerformanceSnapshot
 * @typedef {import('./page.d.ts').StreamPoint} StreamPoint
 * @typedef {import('./page.d.ts').Value} Value
 */

const ID_RE = /^([a-z0-9_]+)(?:\{(.*)\})?$/;

/** @param {string} id */
function parseId(id) {
  const m = ID_RE.exec(id);
  if (!m?.[1]) return null;
  /** @type {Record<string, string>} */
  const labels = {};
  for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name: m[1], labels };
}

export class LocalSource {
  /**
   * @param {PageConfig} config
   * @param {(live: boolean, t?: number) => void} onLive
   */
  constructor(config, onLive) {
    this.config = config;
    this.onLive = onLive;
    /** @type {{t: number[], series: Record<string, Value[]>}} */
    this.store = { t: [], series: {} };
    /** @type {PerformanceSnapshot | null} */
    this.latest = null;
    this.step = config.resolutionMs;
    this.rangeMs = 3600_000;
    /** @type {ApiAlert[]} */
    this.alerts = [];
    /** @type {EventSource | undefined} */
    this.events = undefined;
    this.streamed = false;
  }

  /** The server's in-process alerts (pending and firing), shaped like Prometheus' /api/v1/alerts. */
  async loadAlerts() {
    try {
      const r = await fetch('api/performance/alerts');
      /** @type {AlertsResponse} */
      const body = await r.json();
      this.alerts = r.ok && body.status === 'success' ? body.data.alerts : [];
    } catch {
      this.alerts = [];
    }
  }

  /**
   * Loads the whole range at a step of about one bucket per 2 px of a wide chart.
   * @param {number} rangeMs
   */
  async load(rangeMs) {
    this.rangeMs = rangeMs;
    const res = this.config.resolutionMs;
    this.step = Math.max(res, Math.ceil(rangeMs / 360 / res) * res);
    const from = Date.now() - rangeMs;
    const body = await this.fetch(Math.floor(from / this.step) * this.step);
    this.store = { t: body.t, series: body.series };
    this.latest = body.latest;
  }

  /** Fetches from the start of the last (possibly partial) bucket and replaces it. */
  async refresh() {
    const last = this.store.t[this.store.t.length - 1] ?? Date.now() - this.rangeMs;
    const body = await this.fetch(last);
    const keep = this.store.t.findIndex((t) => t >= last);
    const cut = keep === -1 ? this.store.t.length : keep;
    const ids = new Set([...Object.keys(this.store.series), ...Object.keys(body.series)]);
    /** @type {Record<string, Value[]>} */
    const series = {};
    for (const id of ids) {
      const old = this.store.series[id] ?? new Array(this.store.t.length).fill(null);
      series[id] = old.slice(0, cut).concat(body.series[id] ?? new Array(body.t.length).fill(null));
    }
    this.store = { t: this.store.t.slice(0, cut).concat(body.t), series };
    this.trim();
    if (body.latest) this.latest = body.latest;
  }

  /** Drops what is older than the range (before the newest point, if the server's clock runs ahead). */
  trim() {
    const newest = Math.max(Date.now(), this.store.t[this.store.t.length - 1] ?? 0);
    const from = newest - this.rangeMs - this.step;
    const drop = this.store.t.findIndex((t) => t >= from);
    if (drop === -1) {
      this.store = { t: [], series: {} };
      return;
    }
    if (drop === 0) return;
    this.store.t = this.store.t.slice(drop);
    for (const [id, values] of Object.entries(this.store.series)) this.store.series[id] = values.slice(drop);
  }

  /**
   * @param {number} from
   * @returns {Promise<HistoryResponse>}
   */
  async fetch(from) {
    const r = await fetch(`dashboard/api/history?from=${Math.max(0, Math.floor(from))}&step=${this.step}`);
    if (!r.ok) throw new Error(`history: HTTP ${r.status}`);
    return r.json();
  }

  /** Subscribes to the stream; each point updates the latest snapshot and, at full resolution, the store. */
  connect() {
    if (this.events) return;
    this.events = new EventSource('dashboard/api/stream');
    this.events.addEventListener('open', () => this.onLive(true));
    this.events.addEventListener('error', () => this.onLive(false));
    this.events.addEventListener('point', (ev) => {
      /** @type {StreamPoint} */
      const p = JSON.parse(ev.data);
      this.latest = p.latest;
      this.onLive(true, p.t);
      const last = this.store.t[this.store.t.length - 1];
      if (this.step !== this.config.resolutionMs || (last !== undefined && p.t <= last)) return;
      const n = this.store.t.length;
      this.store.t.push(p.t);
      for (const [id, v] of Object.entries(p.values)) {
        (this.store.series[id] ??= new Array(n).fill(null)).push(v);
      }
      for (const vals of Object.values(this.store.series)) if (vals.length === n) vals.push(null);
      this.streamed = true;
      // Auto-refresh may be off: the stream alone must not grow the store past the range.
      this.trim();
    });
  }

  /** Whether the stream keeps the store current (no incremental fetch needed). */
  get live() {
    return this.streamed && this.step === this.config.resolutionMs && this.events?.readyState === 1;
  }

  /**
   * Series ids with their parsed labels, for one metric name, filtered on one label.
   * @param {string} name
   * @param {string} [label]
   * @param {string} [value]
   */
  matching(name, label, value) {
    /** @type {Array<{id: string, labels: Record<string, string>, values: Value[]}>} */
    const out = [];
    for (const id of Object.keys(this.store.series)) {
      const p = parseId(id);
      if (!p || p.name !== name) continue;
      if (label && value && p.labels[label] !== value) continue;
      out.push({ id, labels: p.labels, values: this.values(id) });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  /**
   * @param {string} id
   * @returns {Value[]}
   */
  values(id) {
    return this.store.series[id] ?? [];
  }

  /** @param {string} id */
  last(id) {
    return lastNotNull(this.values(id));
  }

  /** @returns {LabelValues} */
  labelValues() {
    /** @type {Record<keyof LabelValues, Set<string>>} */
    const sets = { namespace: new Set(), provider: new Set(), tool: new Set() };
    for (const id of Object.keys(this.store.series)) {
      const p = parseId(id);
      for (const [k, set] of Object.entries(sets)) {
        const v = p?.labels[k];
        if (v && v !== 'overall' && v !== 'total') set.add(v);
      }
    }
    return {
      namespace: [...sets.namespace].sort(),
      provider: [...sets.provider].sort(),
      tool: [...sets.tool].sort(),
    };
  }

  /**
   * Sum over the range of a per-second rate series (bucket means times the step): an increase.
   * @param {readonly Value[]} values
   */
  increase(values) {
    let sum = 0;
    let any = false;
    for (const v of values) {
      if (v === null) continue;
      sum += (v * this.step) / 1000;
      any = true;
    }
    return any ? sum : null;
  }

  /**
   * Difference of a cumulative counter between the first and last known values in the range.
   * @param {readonly Value[]} values
   */
  delta(values) {
    /** @type {number | null} */
    let first = null;
    let last = 0;
    for (const v of values) {
      if (v === null) continue;
      first ??= v;
      last = v;
    }
    return first === null ? null : Math.max(0, last - first);
  }
}
