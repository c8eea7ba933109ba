// The dashboard page: toolbar (filters, time range, auto-refresh), rows of panels, expand/shrink (a modal that
// keeps the keyboard inside it), the firing alerts count beside the health score, and the refresh loop over the
// local history or Prometheus.
import { firingSummary } from './alerts.js';
import { drawTimeseries } from './charts.js';
import { escapeHtml, formatTime } from './format.js';
import { LocalSource } from './local.js';
import { localFrame, unfilteredBy } from './local-panels.js';
import { PromSource } from './prom.js';
import { drawBars, drawGauges, drawPie, drawStat, drawTable } from './widgets.js';

/**
 * @typedef {import('./page.d.ts').DashboardDebug} DashboardDebug
 * @typedef {import('./page.d.ts').Filters} Filters
 * @typedef {import('./page.d.ts').Frame} Frame
 * @typedef {import('./page.d.ts').ItemsFrame} ItemsFrame
 * @typedef {import('./page.d.ts').PageConfig} PageConfig
 * @typedef {import('./page.d.ts').PagePanel} PagePanel
 * @typedef {import('./page.d.ts').PanelView} PanelView
 * @typedef {import('./page.d.ts').RenderContext} RenderContext
 * @typedef {import('./page.d.ts').SeriesFrame} SeriesFrame
 * @typedef {import('./page.d.ts').TableFrame} TableFrame
 */

const RANGES = { '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000 };
const REFRESH = { off: 0, '5s': 5_000, '30s': 30_000, '1m': 60_000 };
/** @type {ReadonlyArray<keyof Filters>} */
const FILTERS = ['namespace', 'provider', 'tool'];
/** Panel errors kept for `window.__dashboard` (a page left open for days must not grow with a failing panel). */
const ERROR_LIMIT = 100;
/** The panel that shows the firing alerts count beside its value. */
const SCORE_PANEL = 'health-score';
const FOCUSABLE = 'a[href], button, select, input, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * @template {object} T
 * @param {T} options
 * @param {string | null} key
 * @returns {key is keyof T & string}
 */
const isOption = (options, key) => key !== null && Object.hasOwn(options, key);

const params = new window.URLSearchParams(window.location.search);
const rangeParam = params.get('range');
const refreshParam = params.get('refresh');
/**
 * @type {{range: keyof RANGES, refresh: keyof REFRESH, filters: Filters, expanded: string | null,
 *   opener: HTMLElement | null}}
 */
const state = {
  range: isOption(RANGES, rangeParam) ? rangeParam : '1h',
  refresh: isOption(REFRESH, refreshParam) ? refreshParam : '30s',
  filters: {
    namespace: params.get('namespace') ?? '',
    provider: params.get('provider') ?? '',
    tool: params.get('tool') ?? '',
  },
  expanded: null,
  // Where focus goes back to when the expanded panel closes.
  opener: null,
};
/** @type {Map<string, PanelView>} */
const views = new Map();
/** @type {PageConfig | undefined} */
let config;
/** @type {LocalSource | PromSource | undefined} */
let source;
/** @type {ReturnType<typeof setInterval> | undefined} */
let timer;
/** @type {Promise<void>} */
let loading = Promise.resolve();

// State for tests and the curious: what each panel drew last.
/** @type {DashboardDebug} */
const debug = {
  ready: false,
  renders: 0,
  renderMs: 0,
  errors: [],
  firing: 0,
  views: () =>
    [...views.values()].map((v) => ({
      id: v.panel.id,
      type: v.panel.type,
      title: v.panel.title,
      points: v.points ?? 0,
      range: v.range ?? null,
      labels: v.chart ? v.chart.series.slice(1).map((s) => String(s.label ?? '')) : [],
      expanded: v.el.classList.contains('expanded'),
    })),
  chartData: (id) => {
    const chart = views.get(id)?.chart;
    return chart ? chart.data.map((values) => Array.from(values, (v) => v ?? null)) : null;
  },
  stored: () => {
    if (!(source instanceof LocalSource)) return null;
    const series = [...source.store.series.values()];
    return {
      newest: source.store.t[source.store.t.length - 1] ?? null,
      points: source.store.t.length,
      longestSeries: Math.max(0, ...series.map((s) => s.values.length)),
      series: series.length,
    };
  },
};
window.__dashboard = debug;

/**
 * An element the page's markup always has.
 * @param {string} sel
 */
function $(sel) {
  const el = document.querySelector(sel);
  if (!(el instanceof HTMLElement)) throw new Error(`the page has no ${sel}`);
  return el;
}

/** @param {string} sel */
function $select(sel) {
  const el = $(sel);
  if (!(el instanceof HTMLSelectElement)) throw new Error(`${sel} is not a select`);
  return el;
}

function saveState() {
  const p = new window.URLSearchParams();
  if (state.range !== '1h') p.set('range', state.range);
  if (state.refresh !== '30s') p.set('refresh', state.refresh);
  for (const f of FILTERS) if (state.filters[f]) p.set(f, state.filters[f]);
  const q = p.toString();
  window.history.replaceState(null, '', q ? `?${q}` : window.location.pathname);
}

/**
 * @param {string} kind
 * @param {string} text
 */
function setStatus(kind, text) {
  const el = $('#status');
  el.dataset.kind = kind;
  const label = el.querySelector('.status-text');
  if (label) label.textContent = text;
}

/**
 * @template {string} K
 * @param {string} id
 * @param {Array<[K, string]>} options
 * @param {K} value
 * @param {(value: K) => void} onChange
 */
function select(id, options, value, onChange) {
  const el = $select(id);
  el.innerHTML = options
    .map(([v, label]) => `<option value="${escapeHtml(v)}">${escapeHtml(label)}</option>`)
    .join('');
  el.value = value;
  el.onchange = () => {
    const chosen = options.find(([v]) => v === el.value);
    if (chosen) onChange(chosen[0]);
  };
}

/** @param {LocalSource | PromSource} src */
function fillFilters(src) {
  const values = src.labelValues();
  for (const f of FILTERS) {
    const el = $select(`#f-${f}`);
    const current = state.filters[f];
    const opts = [...new Set([...values[f], ...(current ? [current] : [])])];
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

/** @param {PageConfig} page */
function buildLayout(page) {
  const main = $('#dashboard');
  main.innerHTML = '';
  for (const row of page.rows) {
    const panels = page.panels.filter((p) => p.row === row);
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
    toggle?.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      section.classList.toggle('collapsed', !open);
    });
    const grid = section.querySelector('.grid');
    for (const panel of panels) grid?.appendChild(buildPanel(panel));
    main.appendChild(section);
  }
}

/** @param {PagePanel} panel */
function buildPanel(panel) {
  const el = document.createElement('article');
  el.className = `panel type-${panel.type}`;
  el.id = `panel-${panel.id}`;
  el.dataset.panel = panel.id;
  el.style.setProperty('--span', String(panel.span));
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
  const body = el.querySelector('.panel-body');
  if (!(body instanceof HTMLElement)) throw new Error('panel markup without a body');
  views.set(panel.id, { panel, el, body });
  el.querySelector('.panel-expand')?.addEventListener('click', (ev) => {
    ev.stopPropagation();
    toggleExpand(panel.id);
  });
  el.addEventListener('click', (ev) => {
    const target = ev.target instanceof Element ? ev.target : null;
    if (state.expanded || target?.closest('button, a, select, .legend, .panel-info')) return;
    toggleExpand(panel.id);
  });
  return el;
}

/** @param {PanelView} view */
function expandButton(view) {
  const button = view.el.querySelector('.panel-expand');
  return button instanceof HTMLElement ? button : null;
}

/** @param {string} id */
function toggleExpand(id) {
  const current = state.expanded ? views.get(state.expanded) : undefined;
  if (current) {
    const button = expandButton(current);
    current.el.classList.remove('expanded');
    current.el.removeAttribute('role');
    current.el.removeAttribute('aria-modal');
    button?.setAttribute('aria-label', `Expand ${current.panel.title}`);
    state.expanded = null;
    document.body.classList.remove('has-expanded');
    $('#backdrop').hidden = true;
    const back = state.opener?.isConnected ? state.opener : button;
    state.opener = null;
    back?.focus();
    if (current.panel.id === id) return;
  }
  const v = views.get(id);
  if (!v) return;
  const button = expandButton(v);
  const active = document.activeElement;
  // Opened from the keyboard on something inside the panel: focus returns there; otherwise to its button.
  state.opener = active instanceof HTMLElement && v.el.contains(active) ? active : button;
  state.expanded = id;
  v.el.classList.add('expanded');
  v.el.setAttribute('role', 'dialog');
  v.el.setAttribute('aria-modal', 'true');
  button?.setAttribute('aria-label', `Close ${v.panel.title}`);
  document.body.classList.add('has-expanded');
  $('#backdrop').hidden = false;
  button?.focus();
}

/**
 * What can take focus inside an element, in tab order (visible and enabled).
 * @param {HTMLElement} el
 */
function focusables(el) {
  return [...el.querySelectorAll(FOCUSABLE)].filter(
    /** @returns {e is HTMLElement} */
    (e) =>
      e instanceof HTMLElement &&
      !e.hasAttribute('disabled') &&
      e.tabIndex >= 0 &&
      e.getClientRects().length > 0,
  );
}

/**
 * Tab and Shift+Tab cycle inside the expanded panel.
 * @param {KeyboardEvent} ev
 * @param {PanelView} view
 */
function trapTab(ev, view) {
  const list = focusables(view.el);
  const first = list[0];
  const last = list[list.length - 1];
  if (!first || !last) {
    ev.preventDefault();
    return;
  }
  const active = document.activeElement;
  const inside = active instanceof Node && view.el.contains(active);
  if (ev.shiftKey && (!inside || active === first)) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && (!inside || active === last)) {
    ev.preventDefault();
    first.focus();
  }
}

/**
 * Draws a frame with the panel's widget, after checking that it has the shape that widget draws.
 * @param {PanelView} view
 * @param {Frame} frame
 */
function draw(view, frame) {
  const type = view.panel.type;
  const need = type === 'timeseries' ? 'series' : type === 'table' ? 'rows' : 'items';
  if (!(need in frame))
    throw new Error(`a ${type} panel needs ${need}, got ${Object.keys(frame).join(', ')}`);
  if ('series' in frame) return drawTimeseries(view, frame);
  if ('rows' in frame) return drawTable(view, frame);
  switch (type) {
    case 'gauge':
      return drawGauges(view, frame);
    case 'stat':
      return drawStat(view, frame);
    case 'piechart':
      return drawPie(view, frame);
    case 'bargauge':
      return drawBars(view, frame);
  }
  throw new Error(`no widget draws ${type} panels`);
}

/**
 * The firing alerts count beside the health score: from the alerts the Alerts row lists (the server's
 * in-process ones, or Prometheus's).
 * @param {PanelView} view
 * @param {LocalSource | PromSource} src
 */
function showFiring(view, src) {
  const { count, severity } = firingSummary(src.alerts);
  debug.firing = count;
  const link = document.createElement('a');
  link.className = 'firing-count';
  link.href = '#row-alerts-title';
  link.dataset.severity = severity || 'none';
  link.textContent = count === 0 ? 'No alerts firing' : `${count} alert${count === 1 ? '' : 's'} firing`;
  (view.body.querySelector('.stat') ?? view.body).appendChild(link);
}

/**
 * @param {PanelView} view
 * @param {unknown} err
 */
function panelFailed(view, err) {
  const message = err instanceof Error ? err.message : String(err);
  const errEl = view.el.querySelector('.panel-error');
  if (errEl instanceof HTMLElement) {
    errEl.hidden = false;
    errEl.textContent = '!';
    errEl.title = message;
  }
  debug.errors.push(`${view.panel.id}: ${message}`);
  if (debug.errors.length > ERROR_LIMIT) debug.errors.splice(0, debug.errors.length - ERROR_LIMIT);
  // Logged once per distinct failure, not on every refresh.
  if (view.error !== message) console.error(`panel ${view.panel.id}:`, err);
  view.error = message;
}

/**
 * Says on a panel's title which filters it does not follow (local mode, overall lines).
 * @param {PanelView} view
 * @param {string[]} labels
 */
function noteUnfiltered(view, labels) {
  const title = view.el.querySelector('h3');
  if (!title) return;
  view.el.dataset.unfiltered = labels.join(' ');
  if (labels.length)
    title.title = `Not filtered by ${labels.join(', ')}: the built-in history keeps the overall line`;
  else title.removeAttribute('title');
}

/** @param {LocalSource | PromSource} src */
function render(src) {
  const started = performance.now();
  const now = Date.now();
  const rangeMs = RANGES[state.range];
  const tMs = src instanceof LocalSource ? src.store.t : [];
  /** @type {RenderContext} */
  const ctx = {
    f: state.filters,
    tMs,
    t: tMs.map((t) => t / 1000),
    range: [(now - rangeMs) / 1000, now / 1000],
  };
  for (const view of views.values()) {
    try {
      const frame = src instanceof LocalSource ? localFrame(view.panel, src, ctx) : src.frameFor(view.panel);
      draw(view, frame);
      if (view.panel.id === SCORE_PANEL) showFiring(view, src);
      if (src instanceof LocalSource) noteUnfiltered(view, unfilteredBy(view.panel, src, state.filters));
      const errEl = view.el.querySelector('.panel-error');
      if (errEl instanceof HTMLElement) errEl.hidden = true;
      view.error = undefined;
    } catch (err) {
      panelFailed(view, err);
    }
  }
  fillFilters(src);
  debug.renders++;
  debug.renderMs = performance.now() - started;
  debug.ready = true;
  // Series the history could not keep (its cap) are said, never silently missing.
  const local = src instanceof LocalSource ? src : undefined;
  const dropped = local?.droppedSeries ?? 0;
  const updated = $('#updated');
  updated.textContent =
    `Updated ${formatTime(now)}` +
    (dropped ? ` · ${dropped} series not kept (history cap ${local?.maxSeries})` : '');
  updated.dataset.dropped = String(dropped);
}

/** @param {boolean} full */
async function reload(full) {
  const run = async () => {
    const src = source;
    if (!src || !config) return;
    try {
      if (src instanceof LocalSource) {
        if (full) await src.load(RANGES[state.range]);
        else if (!src.live) await src.refresh();
        else src.trim();
        await src.loadAlerts();
      } else {
        await src.load(RANGES[state.range], state.filters, config.panels);
      }
      render(src);
      if (src instanceof PromSource) setStatus('ok', 'Prometheus');
    } catch (err) {
      setStatus('error', `Offline: ${err instanceof Error ? err.message : String(err)}`);
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
    Object.keys(RANGES)
      .filter((r) => isOption(RANGES, r))
      .map((r) => [
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
    Object.keys(REFRESH)
      .filter((r) => isOption(REFRESH, r))
      .map((r) => [r, r === 'off' ? 'Off' : r]),
    state.refresh,
    (v) => {
      state.refresh = v;
      saveState();
      schedule();
    },
  );
  for (const f of FILTERS) {
    const el = $select(`#f-${f}`);
    el.onchange = () => {
      state.filters[f] = el.value;
      saveState();
      if (source instanceof PromSource) reload(true);
      else if (source) render(source);
    };
  }
  $('#refresh-now').addEventListener('click', () => reload(false));
  $('#backdrop').addEventListener('click', () => state.expanded && toggleExpand(state.expanded));
  document.addEventListener('keydown', (ev) => {
    const view = state.expanded ? views.get(state.expanded) : undefined;
    if (!view) return;
    if (ev.key === 'Escape') {
      ev.preventDefault();
      toggleExpand(view.panel.id);
    } else if (ev.key === 'Tab') {
      trapTab(ev, view);
    }
  });
  // Focus that lands outside the expanded panel anyway (a click on the page behind it) is brought back.
  document.addEventListener('focusin', (ev) => {
    const view = state.expanded ? views.get(state.expanded) : undefined;
    if (view && ev.target instanceof Node && !view.el.contains(ev.target)) expandButton(view)?.focus();
  });
}

async function main() {
  // The controls never submit (the CSP allows no inline handler to say so in the markup).
  document.querySelector('form.controls')?.addEventListener('submit', (e) => e.preventDefault());
  const r = await fetch('dashboard/api/config');
  if (!r.ok) throw new Error(`config: HTTP ${r.status}`);
  /** @type {PageConfig} */
  const page = await r.json();
  config = page;
  document.title = page.title;
  $('#mode').textContent = page.mode === 'prometheus' ? 'Prometheus' : 'Built-in history';
  document.body.dataset.mode = page.mode;
  buildControls();
  buildLayout(page);
  if (page.mode === 'prometheus') {
    source = new PromSource(page);
    setStatus('pending', 'Connecting…');
  } else {
    const local = new LocalSource(page, (live) =>
      setStatus(live ? 'ok' : 'error', live ? 'Live' : 'Reconnecting…'),
    );
    source = local;
    local.connect();
  }
  await reload(true);
  schedule();
}

main().catch((err) => {
  setStatus('error', `Failed to start: ${err instanceof Error ? err.message : String(err)}`);
  console.error(err);
});
