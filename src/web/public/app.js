// The dashboard page: toolbar (filters, time range, auto-refresh), rows of panels, expand/shrink, and the
// refresh loop over the local history or Prometheus.
import { drawTimeseries } from './charts.js';
import { escapeHtml, formatTime } from './format.js';
import { LocalSource } from './local.js';
import { LOCAL_PANELS } from './local-panels.js';
import { PromSource } from './prom.js';
import { drawBars, drawGauges, drawPie, drawStat, drawTable } from './widgets.js';

const RANGES = { '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000 };
const REFRESH = { off: 0, '5s': 5_000, '30s': 30_000, '1m': 60_000 };
const FILTERS = ['namespace', 'provider', 'tool'];
const DRAW = {
  timeseries: drawTimeseries,
  gauge: drawGauges,
  stat: drawStat,
  piechart: drawPie,
  bargauge: drawBars,
  table: drawTable,
};

const params = new window.URLSearchParams(window.location.search);
const state = {
  range: RANGES[params.get('range')] ? params.get('range') : '1h',
  refresh: params.has('refresh') && params.get('refresh') in REFRESH ? params.get('refresh') : '30s',
  filters: Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])),
  expanded: null,
};
const views = new Map();
let config;
let source;
let timer;
let loading = Promise.resolve();
// State for tests and the curious: what each panel drew last.
const debug = {
  ready: false,
  renders: 0,
  errors: [],
  views: () =>
    [...views.values()].map((v) => ({
      id: v.panel.id,
      type: v.panel.type,
      title: v.panel.title,
      points: v.points ?? 0,
      range: v.range ?? null,
      labels: v.chart ? v.chart.series.slice(1).map((s) => s.label) : [],
      expanded: v.el.classList.contains('expanded'),
    })),
};
window.__dashboard = debug;

const $ = (sel) => document.querySelector(sel);

function saveState() {
  const p = new window.URLSearchParams();
  if (state.range !== '1h') p.set('range', state.range);
  if (state.refresh !== '30s') p.set('refresh', state.refresh);
  for (const f of FILTERS) if (state.filters[f]) p.set(f, state.filters[f]);
  const q = p.toString();
  window.history.replaceState(null, '', q ? `?${q}` : window.location.pathname);
}

function setStatus(kind, text) {
  const el = $('#status');
  el.dataset.kind = kind;
  el.querySelector('.status-text').textContent = text;
}

function select(id, options, value, onChange) {
  const el = $(id);
  el.innerHTML = options
    .map(([v, label]) => `<option value="${escapeHtml(v)}">${escapeHtml(label)}</option>`)
    .join('');
  el.value = value;
  el.onchange = () => onChange(el.value);
}

function fillFilters() {
  const values = source.labelValues();
  for (const f of FILTERS) {
    const el = $(`#f-${f}`);
    const current = state.filters[f];
    const opts = [...new Set([...(values[f] ?? []), ...(current ? [current] : [])])];
    const html = [
      '<option value="">All</option>',
      ...opts.map((v) => `<option>${escapeHtml(v)}</option>`),
    ].join('');
    if (el.dataset.html !== html) {
      el.innerHTML = html;
      el.dataset.html = html;
    }
    el.value = current;
  }
}

function buildLayout() {
  const main = $('#dashboard');
  main.innerHTML = '';
  for (const row of config.rows) {
    const panels = config.panels.filter((p) => p.row === row);
    if (panels.length === 0) continue;
    const id = `row-${row.toLowerCase().replace(/[^a-z]+/g, '-')}`;
    const section = document.createElement('section');
    section.className = 'row';
    section.setAttribute('aria-labelledby', `${id}-title`);
    section.innerHTML =
      `<h2 id="${id}-title" class="row-title"><button type="button" class="row-toggle" aria-expanded="true" ` +
      `aria-controls="${id}-grid"><span class="chevron" aria-hidden="true"></span>${escapeHtml(row)}</button></h2>` +
      `<div class="grid" id="${id}-grid"></div>`;
    const toggle = section.querySelector('.row-toggle');
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      section.classList.toggle('collapsed', !open);
    });
    const grid = section.querySelector('.grid');
    for (const panel of panels) grid.appendChild(buildPanel(panel));
    main.appendChild(section);
  }
}

function buildPanel(panel) {
  const el = document.createElement('article');
  el.className = `panel type-${panel.type}`;
  el.id = `panel-${panel.id}`;
  el.dataset.panel = panel.id;
  el.style.setProperty('--span', panel.span);
  el.setAttribute('aria-labelledby', `${el.id}-title`);
  el.innerHTML =
    `<header class="panel-header"><h3 id="${el.id}-title">${escapeHtml(panel.title)}</h3>` +
    (panel.description
      ? `<span class="panel-info" tabindex="0" role="note" aria-label="${escapeHtml(panel.description)}" data-tip="${escapeHtml(panel.description)}">i</span>`
      : '') +
    `<span class="panel-error" hidden></span>` +
    `<button type="button" class="panel-expand" aria-label="Expand ${escapeHtml(panel.title)}" title="Expand (Esc to close)">` +
    `<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M2 6V2h4M14 6V2h-4M2 10v4h4M14 10v4h-4"/></svg></button></header>` +
    `<div class="panel-body"><div class="loading" aria-hidden="true"></div></div>`;
  const view = { panel, el, body: el.querySelector('.panel-body') };
  views.set(panel.id, view);
  el.querySelector('.panel-expand').addEventListener('click', (ev) => {
    ev.stopPropagation();
    toggleExpand(panel.id);
  });
  el.addEventListener('click', (ev) => {
    if (state.expanded || ev.target.closest('button, a, select, .legend, .panel-info')) return;
    toggleExpand(panel.id);
  });
  return el;
}

function toggleExpand(id) {
  const current = state.expanded;
  if (current) {
    const v = views.get(current);
    v.el.classList.remove('expanded');
    v.el.querySelector('.panel-expand').setAttribute('aria-label', `Expand ${v.panel.title}`);
    state.expanded = null;
    document.body.classList.remove('has-expanded');
    $('#backdrop').hidden = true;
    v.el.querySelector('.panel-expand').focus();
    if (current === id) return;
  }
  const v = views.get(id);
  if (!v) return;
  state.expanded = id;
  v.el.classList.add('expanded');
  v.el.querySelector('.panel-expand').setAttribute('aria-label', `Close ${v.panel.title}`);
  document.body.classList.add('has-expanded');
  $('#backdrop').hidden = false;
  v.el.querySelector('.panel-expand').focus();
}

function render() {
  const now = Date.now();
  const rangeMs = RANGES[state.range];
  const tMs = source instanceof LocalSource ? source.store.t : [];
  const ctx = {
    f: state.filters,
    tMs,
    t: tMs.map((t) => t / 1000),
    range: [(now - rangeMs) / 1000, now / 1000],
  };
  for (const view of views.values()) {
    const errEl = view.el.querySelector('.panel-error');
    try {
      const frame =
        source instanceof LocalSource
          ? (LOCAL_PANELS[view.panel.id] ?? (() => ({ items: [] })))(source, ctx)
          : source.frameFor(view.panel);
      DRAW[view.panel.type](view, frame);
      errEl.hidden = true;
    } catch (err) {
      errEl.hidden = false;
      errEl.textContent = '!';
      errEl.title = String(err?.message ?? err);
      debug.errors.push(`${view.panel.id}: ${err?.message ?? err}`);
      console.error(`panel ${view.panel.id}:`, err);
    }
  }
  fillFilters();
  debug.renders++;
  debug.ready = true;
  $('#updated').textContent = `Updated ${formatTime(now)}`;
}

async function reload(full) {
  const run = async () => {
    try {
      if (source instanceof LocalSource) {
        if (full) await source.load(RANGES[state.range]);
        else if (!source.live) await source.refresh();
        else source.trim();
        await source.loadAlerts();
      } else {
        await source.load(RANGES[state.range], state.filters, config.panels);
      }
      render();
      if (source instanceof PromSource) setStatus('ok', 'Prometheus');
    } catch (err) {
      setStatus('error', `Offline: ${err.message}`);
    }
  };
  loading = loading.then(run, run);
  return loading;
}

function schedule() {
  clearInterval(timer);
  const ms = REFRESH[state.refresh];
  if (ms) timer = setInterval(() => reload(false), ms);
}

function buildControls() {
  select(
    '#range',
    Object.keys(RANGES).map((r) => [
      r,
      `Last ${r.replace('m', ' minutes').replace('h', ' hours').replace('1 hours', '1 hour')}`,
    ]),
    state.range,
    (v) => {
      state.range = v;
      saveState();
      reload(true);
    },
  );
  select(
    '#refresh',
    Object.keys(REFRESH).map((r) => [r, r === 'off' ? 'Off' : r]),
    state.refresh,
    (v) => {
      state.refresh = v;
      saveState();
      schedule();
    },
  );
  for (const f of FILTERS) {
    $(`#f-${f}`).onchange = (ev) => {
      state.filters[f] = ev.target.value;
      saveState();
      if (source instanceof PromSource) reload(true);
      else render();
    };
  }
  $('#refresh-now').addEventListener('click', () => reload(false));
  $('#backdrop').addEventListener('click', () => state.expanded && toggleExpand(state.expanded));
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && state.expanded) toggleExpand(state.expanded);
  });
}

async function main() {
  // The controls never submit (the CSP allows no inline handler to say so in the markup).
  document.querySelector('form.controls')?.addEventListener('submit', (e) => e.preventDefault());
  const r = await fetch('dashboard/api/config');
  config = await r.json();
  document.title = config.title;
  $('#mode').textContent = config.mode === 'prometheus' ? 'Prometheus' : 'Built-in history';
  document.body.dataset.mode = config.mode;
  buildControls();
  buildLayout();
  if (config.mode === 'prometheus') {
    source = new PromSource(config);
    setStatus('pending', 'Connecting…');
  } else {
    source = new LocalSource(config, (live) =>
      setStatus(live ? 'ok' : 'error', live ? 'Live' : 'Reconnecting…'),
    );
    source.connect();
  }
  await reload(true);
  schedule();
}

main().catch((err) => {
  setStatus('error', `Failed to start: ${err.message}`);
  console.error(err);
});
