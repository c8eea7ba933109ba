// Local mode: the panels' query results kept by the server's in-memory history (/dashboard/api/history,
// incremental) and kept live by server-sent events (/dashboard/api/stream). Each series comes with its panel,
// refId and labels; its key is opaque (never parsed here).

/**
 * @typedef {import('./page.d.ts').ApiAlert} ApiAlert
 * @typedef {import('./page.d.ts').AlertsResponse} AlertsResponse
 * @typedef {import('./page.d.ts').HistoryResponse} HistoryResponse
 * @typedef {import('./page.d.ts').LabelValues} LabelValues
 * @typedef {import('./page.d.ts').PageConfig} PageConfig
 * @typedef {import('./page.d.ts').PerformanceSnapshot} PerformanceSnapshot
 * @typedef {import('./page.d.ts').StreamPoint} StreamPoint
 * @typedef {import('./page.d.ts').Value} Value
 * @typedef {import('../history.ts').HistorySeries} HistorySeries
 */

/** @returns {{t: number[], series: Map<string, HistorySeries>}} */
const emptyStore = () => ({ t: [], series: new Map() });

export class LocalSource {
  /**
   * @param {PageConfig} config
   * @param {(live: boolean, t?: number) => void} onLive
   */
  constructor(config, onLive) {
    this.config = config;
    this.onLive = onLive;
    /** Bucket times (ms) and the series by key. */
    this.store = emptyStore();
    /** @type {PerformanceSnapshot | null} */
    this.latest = null;
    this.step = config.resolutionMs;
    this.rangeMs = 3600_000;
    /** @type {ApiAlert[]} */
    this.alerts = [];
    /** @type {EventSource | undefined} */
    this.events = undefined;
    this.streamed = false;
    /** A streamed value belonged to a series the page has not been told about: fetch to catch up. */
    this.missing = false;
    /** Series of the latest sample the server's history could not keep, and its cap. */
    this.droppedSeries = 0;
    this.maxSeries = 0;
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
    this.store = { t: body.t, series: new Map(body.series.map((s) => [s.key, s])) };
    this.missing = false;
    this.took(body);
  }

  /** Fetches from the start of the last (possibly partial) bucket and replaces it. */
  async refresh() {
    const last = this.store.t[this.store.t.length - 1] ?? Date.now() - this.rangeMs;
    const body = await this.fetch(last);
    const keep = this.store.t.findIndex((t) => t >= last);
    const cut = keep === -1 ? this.store.t.length : keep;
    const fresh = new Map(body.series.map((s) => [s.key, s]));
    /** @type {Map<string, HistorySeries>} */
    const series = new Map();
    for (const key of new Set([...this.store.series.keys(), ...fresh.keys()])) {
      const old = this.store.series.get(key);
      const add = fresh.get(key);
      const info = add ?? old;
      if (!info) continue;
      /** @type {Value[]} */
      const before = old?.values ?? new Array(this.store.t.length).fill(null);
      /** @type {Value[]} */
      const after = add?.values ?? new Array(body.t.length).fill(null);
      series.set(key, { ...info, values: before.slice(0, cut).concat(after) });
    }
    this.store = { t: this.store.t.slice(0, cut).concat(body.t), series };
    this.missing = false;
    this.trim();
    this.took(body);
  }

  /** @param {HistoryResponse} body */
  took(body) {
    if (body.latest) this.latest = body.latest;
    this.droppedSeries = body.dropped_series;
    this.maxSeries = body.max_series;
  }

  /**
   * Drops what is older than the range (before the newest point, if the server's clock runs ahead), and
   * series left without a value.
   */
  trim() {
    const newest = Math.max(Date.now(), this.store.t[this.store.t.length - 1] ?? 0);
    const from = newest - this.rangeMs - this.step;
    const drop = this.store.t.findIndex((t) => t >= from);
    if (drop === -1) {
      this.store = emptyStore();
      return;
    }
    if (drop === 0) return;
    this.store.t = this.store.t.slice(drop);
    for (const [key, s] of this.store.series) {
      s.values = s.values.slice(drop);
      if (!s.values.some((v) => v !== null)) this.store.series.delete(key);
    }
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

  /** Subscribes to the stream; at full resolution each point is appended to the store. */
  connect() {
    if (this.events) return;
    this.events = new EventSource('dashboard/api/stream');
    this.events.addEventListener('open', () => this.onLive(true));
    this.events.addEventListener('error', () => this.onLive(false));
    this.events.addEventListener('point', (ev) => {
      /** @type {StreamPoint} */
      const p = JSON.parse(ev.data);
      this.latest = p.latest;
      this.droppedSeries = p.dropped_series;
      this.onLive(true, p.t);
      const last = this.store.t[this.store.t.length - 1];
      if (this.step !== this.config.resolutionMs || (last !== undefined && p.t <= last)) return;
      const n = this.store.t.length;
      this.store.t.push(p.t);
      for (const info of p.added) {
        if (!this.store.series.has(info.key))
          this.store.series.set(info.key, { ...info, values: new Array(n).fill(null) });
      }
      for (const [key, v] of Object.entries(p.values)) {
        const s = this.store.series.get(key);
        // A series added while the page was not listening (between its fetch and this point): the next
        // incremental fetch brings it.
        if (!s) this.missing = true;
        else s.values.push(v);
      }
      for (const s of this.store.series.values()) if (s.values.length === n) s.values.push(null);
      this.streamed = true;
      // Auto-refresh may be off: the stream alone must not grow the store past the range.
      this.trim();
    });
  }

  /** Whether the stream keeps the store current (no incremental fetch needed). */
  get live() {
    return (
      this.streamed &&
      !this.missing &&
      this.step === this.config.resolutionMs &&
      this.events?.readyState === 1
    );
  }

  /**
   * The series of one panel query.
   * @param {string} panelId
   * @param {string} refId
   */
  seriesOf(panelId, refId) {
    /** @type {HistorySeries[]} */
    const out = [];
    for (const s of this.store.series.values()) if (s.panel === panelId && s.refId === refId) out.push(s);
    return out;
  }

  /**
   * Values of the filter labels seen in the series, sorted.
   * @returns {LabelValues}
   */
  labelValues() {
    /** @type {Record<keyof LabelValues, Set<string>>} */
    const sets = { namespace: new Set(), provider: new Set(), tool: new Set() };
    for (const s of this.store.series.values()) {
      for (const [k, set] of Object.entries(sets)) {
        const v = s.labels[k];
        if (v) set.add(v);
      }
    }
    return {
      namespace: [...sets.namespace].sort(),
      provider: [...sets.provider].sort(),
      tool: [...sets.tool].sort(),
    };
  }
}
