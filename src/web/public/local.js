// Local mode: panels drawn from the server's in-memory history (/dashboard/api/history, incremental) and
// kept live by server-sent events (/dashboard/api/stream).
import { lastNotNull } from './format.js';

const ID_RE = /^([a-z0-9_]+)(?:\{(.*)\})?$/;

function parseId(id) {
  const m = ID_RE.exec(id);
  if (!m) return null;
  const labels = {};
  for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { name: m[1], labels };
}

export class LocalSource {
  constructor(config, onLive) {
    this.config = config;
    this.onLive = onLive;
    this.store = { t: [], series: {} };
    this.latest = null;
    this.step = config.resolutionMs;
    this.rangeMs = 3600_000;
    this.alerts = [];
  }

  /** The server's in-process alerts (pending and firing), shaped like Prometheus' /api/v1/alerts. */
  async loadAlerts() {
    try {
      const r = await fetch('api/performance/alerts');
      const body = await r.json();
      this.alerts = r.ok && body.status === 'success' ? body.data.alerts : [];
    } catch {
      this.alerts = [];
    }
  }

  /** Loads the whole range at a step of about one bucket per 2 px of a wide chart. */
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
    const last = this.store.t.length ? this.store.t[this.store.t.length - 1] : Date.now() - this.rangeMs;
    const body = await this.fetch(last);
    const keep = this.store.t.findIndex((t) => t >= last);
    const cut = keep === -1 ? this.store.t.length : keep;
    const ids = new Set([...Object.keys(this.store.series), ...Object.keys(body.series)]);
    const series = {};
    for (const id of ids) {
      const old = this.store.series[id] ?? new Array(this.store.t.length).fill(null);
      series[id] = old.slice(0, cut).concat(body.series[id] ?? new Array(body.t.length).fill(null));
    }
    this.store = { t: this.store.t.slice(0, cut).concat(body.t), series };
    this.trim();
    if (body.latest) this.latest = body.latest;
  }

  trim() {
    const from = Date.now() - this.rangeMs - this.step;
    const drop = this.store.t.findIndex((t) => t >= from);
    if (drop <= 0) return;
    this.store.t = this.store.t.slice(drop);
    for (const id of Object.keys(this.store.series))
      this.store.series[id] = this.store.series[id].slice(drop);
  }

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
    });
  }

  /** Whether the stream keeps the store current (no incremental fetch needed). */
  get live() {
    return this.streamed && this.step === this.config.resolutionMs && this.events?.readyState === 1;
  }

  /** Series ids with their parsed labels, for one metric name, filtered on one label. */
  matching(name, label, value) {
    const out = [];
    for (const id of Object.keys(this.store.series)) {
      const p = parseId(id);
      if (!p || p.name !== name) continue;
      if (label && value && p.labels[label] !== value) continue;
      out.push({ id, labels: p.labels, values: this.store.series[id] });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  values(id) {
    return this.store.series[id] ?? [];
  }

  last(id) {
    return lastNotNull(this.values(id));
  }

  labelValues() {
    const sets = { namespace: new Set(), provider: new Set(), tool: new Set() };
    for (const id of Object.keys(this.store.series)) {
      const p = parseId(id);
      for (const k of Object.keys(sets)) {
        const v = p?.labels[k];
        if (v && v !== 'overall' && v !== 'total') sets[k].add(v);
      }
    }
    return Object.fromEntries(Object.entries(sets).map(([k, s]) => [k, [...s].sort()]));
  }

  /** Sum over the range of a per-second rate series (bucket means times the step): an increase. */
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

  /** Difference of a cumulative counter between the first and last known values in the range. */
  delta(values) {
    let first = null;
    let last = null;
    for (const v of values) {
      if (v === null) continue;
      first ??= v;
      last = v;
    }
    return first === null ? null : Math.max(0, last - first);
  }
}
