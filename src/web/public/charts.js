// Time series panels drawn with uPlot: Grafana-like axes, a floating tooltip with exact values, a legend with
// last values (click to hide a series), dashed threshold lines, and the drawn values as a table for screen
// readers (visually hidden, redrawn with the chart and with the legend's choice of series).
import {
  COLORS,
  PALETTE,
  colorOf,
  escapeHtml,
  formatAxis,
  formatTime,
  formatValue,
  lastNotNull,
} from './format.js';

/**
 * @typedef {import('./page.d.ts').PagePanel} PagePanel
 * @typedef {import('./page.d.ts').PanelView} PanelView
 * @typedef {import('./page.d.ts').SeriesFrame} SeriesFrame
 * @typedef {import('./page.d.ts').Value} Value
 */

const FONT = '11px Inter, "Segoe UI", system-ui, sans-serif';

/**
 * @param {uPlot} u
 * @param {PagePanel} panel
 */
function drawThresholds(u, panel) {
  const ctx = u.ctx;
  const ymin = u.scales.y?.min;
  const ymax = u.scales.y?.max;
  if (ymin === undefined || ymax === undefined) return;
  for (const step of panel.thresholds ?? []) {
    if (step.value === null || step.value < ymin || step.value > ymax) continue;
    const y = Math.round(u.valToPos(step.value, 'y', true)) + 0.5;
    ctx.save();
    ctx.strokeStyle = colorOf(step.color);
    ctx.lineWidth = 1.5 * devicePixelRatioOf();
    ctx.setLineDash([6 * devicePixelRatioOf(), 4 * devicePixelRatioOf()]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  }
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');

/**
 * 24-hour tick labels; seconds when ticks are closer than a minute.
 * @param {uPlot} _u
 * @param {number[]} ticks
 * @param {number} _space
 * @param {number} _ticks
 * @param {number} incr
 */
function timeTicks(_u, ticks, _space, _ticks, incr) {
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return incr < 60 ? `${hm}:${pad(d.getSeconds())}` : hm;
  });
}

const devicePixelRatioOf = () => window.devicePixelRatio || 1;

/**
 * @param {PagePanel} panel
 * @returns {uPlot.Range.Function}
 */
function yRange(panel) {
  return (_u, min, max) => {
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
    const lo = min >= 0 ? 0 : min * 1.1;
    let hi = max <= 0 ? 1 : max * 1.15;
    if (panel.unit === 'percentunit' && hi > 0.9 && hi < 1.2) hi = 1;
    return [lo, hi === lo ? lo + 1 : hi];
  };
}

/**
 * @param {PanelView} view
 * @returns {uPlot.Plugin}
 */
function tooltipPlugin(view) {
  const tip = document.createElement('div');
  tip.className = 'chart-tooltip';
  tip.hidden = true;
  return {
    hooks: {
      init: (u) => {
        u.over.appendChild(tip);
        u.over.addEventListener('mouseleave', () => (tip.hidden = true));
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        const left = u.cursor.left ?? -1;
        const x = idx === null || idx === undefined ? undefined : u.data[0][idx];
        // Hidden away from the data (uPlot snaps to the nearest point, however far).
        if (
          idx === null ||
          idx === undefined ||
          x === undefined ||
          left < 0 ||
          Math.abs(u.valToPos(x, 'x') - left) > 40
        ) {
          tip.hidden = true;
          return;
        }
        const t = new Date(x * 1000).toLocaleString([], {
          month: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        });
        let rows = '';
        for (let i = 1; i < u.series.length; i++) {
          const s = u.series[i];
          if (!s?.show) continue;
          rows +=
            `<div class="tt-row"><i style="background:${seriesColor(i - 1)}"></i><span>${escapeHtml(s.label)}</span>` +
            `<b>${escapeHtml(formatValue(u.data[i]?.[idx], view.panel.unit))}</b></div>`;
        }
        tip.innerHTML = `<div class="tt-time">${escapeHtml(t)}</div>${rows}`;
        tip.hidden = false;
        const w = tip.offsetWidth;
        const at = left + 14 + w > u.over.clientWidth ? left - w - 14 : left + 14;
        tip.style.transform = `translate(${Math.max(0, at)}px, ${Math.max(0, (u.cursor.top ?? 0) - 10)}px)`;
      },
    },
  };
}

/** @param {number} i */
const seriesColor = (i) => PALETTE[i % PALETTE.length] ?? COLORS.text;

/**
 * @param {PanelView} view
 * @param {HTMLElement} legend
 * @param {SeriesFrame} frame
 */
function renderLegend(view, legend, frame) {
  const hidden = (view.hidden ??= new Set());
  legend.innerHTML = '';
  frame.series.forEach((s, i) => {
    const item = document.createElement('button');
    item.type = 'button';
    item.className = 'legend-item';
    item.setAttribute('aria-pressed', String(!hidden.has(s.label)));
    const color = seriesColor(i);
    item.innerHTML =
      `<i style="background:${color}"></i><span class="legend-label">${escapeHtml(s.label)}</span>` +
      `<span class="legend-value">${escapeHtml(formatValue(lastNotNull(s.values), view.panel.unit))}</span>`;
    item.title = `Show or hide ${s.label}`;
    item.addEventListener('click', (ev) => {
      ev.stopPropagation();
      const show = item.getAttribute('aria-pressed') !== 'true';
      item.setAttribute('aria-pressed', String(show));
      if (show) hidden.delete(s.label);
      else hidden.add(s.label);
      view.chart?.setSeries(i + 1, { show });
      renderValuesTable(view, frame);
    });
    legend.appendChild(item);
  });
}

/** The cells' markup of each row of a value table, to tell which rows a redraw changes. */
/** @type {WeakMap<HTMLTableRowElement, string>} */
const rowCells = new WeakMap();

/**
 * The text alternative of a chart: the values it draws in its time range, one row per time, one column per
 * shown series, in the panel's unit. Visually hidden; screen readers read it in place of the canvas.
 * Updated row by row (keyed by time): a refresh that adds a point rewrites one or two rows, not the table.
 * @param {PanelView} view
 * @param {SeriesFrame} frame
 */
function renderValuesTable(view, frame) {
  const table = view.table;
  if (!(table instanceof HTMLTableElement)) return;
  const [from, to] = frame.range;
  const shown = frame.series.filter((s) => !view.hidden?.has(s.label));
  const unit = view.panel.unit;
  /** @type {Array<[string, string]>} time key and cells */
  const rows = [];
  for (let i = 0; i < frame.t.length; i++) {
    const t = frame.t[i];
    if (t === undefined || t < from || t > to) continue;
    if (!shown.some((s) => s.values[i] !== null && s.values[i] !== undefined)) continue;
    rows.push([
      String(t),
      `<th scope="row">${escapeHtml(formatTime(t * 1000))}</th>` +
        shown.map((s) => `<td>${escapeHtml(formatValue(s.values[i], unit))}</td>`).join(''),
    ]);
  }
  const head = `<tr><th scope="col">Time</th>${shown
    .map((s) => `<th scope="col">${escapeHtml(s.label)}</th>`)
    .join('')}</tr>`;
  if (table.dataset.head !== head || !table.caption || !table.tBodies[0]) {
    table.innerHTML = `<caption></caption><thead>${head}</thead><tbody></tbody>`;
    table.dataset.head = head;
  }
  const caption = `${view.panel.title}, ${formatTime(from * 1000)} to ${formatTime(to * 1000)}`;
  const tbody = table.tBodies[0];
  if (!table.caption || !tbody) return;
  if (table.caption.textContent !== caption) table.caption.textContent = caption;
  if (rows.length === 0) {
    tbody.innerHTML = `<tr><td colspan="${shown.length + 1}">No data</td></tr>`;
    return;
  }
  const keys = new Set(rows.map(([key]) => key));
  for (const tr of Array.from(tbody.rows)) if (!keys.has(tr.dataset.t ?? '')) tr.remove();
  let next = tbody.firstElementChild;
  for (const [key, cells] of rows) {
    if (next instanceof HTMLTableRowElement && next.dataset.t === key) {
      if (rowCells.get(next) !== cells) {
        next.innerHTML = cells;
        rowCells.set(next, cells);
      }
      next = next.nextElementSibling;
      continue;
    }
    const tr = document.createElement('tr');
    tr.dataset.t = key;
    tr.innerHTML = cells;
    rowCells.set(tr, cells);
    tbody.insertBefore(tr, next);
  }
}

/**
 * Dots only where a series has too few points to draw a line.
 * @type {uPlot.Series.Points.Show}
 */
const fewPoints = (_u, _si, i0, i1) => i1 - i0 < 3;

/** @param {HTMLElement} plot */
function chartSize(plot) {
  const box = plot.getBoundingClientRect();
  return { width: Math.max(120, Math.floor(box.width)), height: Math.max(80, Math.floor(box.height)) };
}

/**
 * Draws (or updates) a time series panel.
 * @param {PanelView} view
 * @param {SeriesFrame} frame
 */
export function drawTimeseries(view, frame) {
  const { panel } = view;
  let { plot, legend } = view;
  if (!plot || !legend) {
    view.body.innerHTML =
      '<div class="plot" aria-hidden="true"></div><div class="legend"></div><div class="sr-only"><table></table></div>';
    plot = view.plot = /** @type {HTMLElement} */ (view.body.querySelector('.plot'));
    legend = view.legend = /** @type {HTMLElement} */ (view.body.querySelector('.legend'));
    view.table = view.body.querySelector('table') ?? undefined;
    const target = plot;
    view.observer = new window.ResizeObserver(() => view.chart?.setSize(chartSize(target)));
    view.observer.observe(plot);
  }
  const range = frame.range;
  view.range = range;
  /** @type {uPlot.AlignedData} */
  const data = [frame.t, ...frame.series.map((s) => s.values)];
  const key = frame.series.map((s) => s.label).join('\u0000');
  renderLegend(view, legend, frame);
  renderValuesTable(view, frame);
  view.points = frame.series.reduce((n, s) => n + s.values.filter((v) => v !== null).length, 0);
  if (view.chart && view.chartKey === key) {
    view.chart.setData(data);
    return;
  }
  view.chart?.destroy();
  view.chartKey = key;
  const axis = {
    stroke: COLORS.muted,
    font: FONT,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1, size: 4 },
  };
  const hidden = view.hidden;
  /** @type {uPlot.Options} */
  const opts = {
    ...chartSize(plot),
    legend: { show: false },
    cursor: { points: { size: 7 }, drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: () => view.range ?? range },
      y: { range: yRange(panel) },
    },
    axes: [
      { ...axis, space: 52, values: timeTicks },
      { ...axis, size: 60, space: 28, values: (_u, vals) => formatAxis(vals, panel.unit) },
    ],
    series: [
      {},
      ...frame.series.map((s, i) => {
        const color = seriesColor(i);
        return {
          label: s.label,
          show: !hidden?.has(s.label),
          stroke: color,
          width: 1.5,
          fill: frame.series.length <= 3 ? color + '1f' : undefined,
          points: { show: fewPoints },
          spanGaps: false,
        };
      }),
    ],
    hooks: { draw: [(u) => drawThresholds(u, panel)] },
    plugins: [tooltipPlugin(view)],
  };
  view.chart = new uPlot(opts, data, plot);
}

/**
 * A small area sparkline as SVG (stat panels).
 * @param {readonly Value[]} values
 * @param {string} color
 */
export function sparkline(values, color) {
  /** @type {Array<[number, number]>} */
  const pts = [];
  values.forEach((v, i) => {
    if (v !== null) pts.push([i, v]);
  });
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last || pts.length < 2) return '';
  const ys = pts.map(([, v]) => v);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const n = values.length - 1 || 1;
  /** @param {number} v */
  const y = (v) => (hi === lo ? 20 : 38 - ((v - lo) / (hi - lo)) * 34);
  const line = pts
    .map(([i, v], k) => `${k ? 'L' : 'M'}${((i / n) * 100).toFixed(2)},${y(v).toFixed(2)}`)
    .join('');
  const area = `${line}L${((last[0] / n) * 100).toFixed(2)},40L${((first[0] / n) * 100).toFixed(2)},40Z`;
  return (
    `<svg class="spark" viewBox="0 0 100 40" preserveAspectRatio="none" aria-hidden="true">` +
    `<path d="${area}" fill="${color}" opacity="0.18"/>` +
    `<path d="${line}" fill="none" stroke="${color}" stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>`
  );
}
