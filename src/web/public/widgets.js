// Gauges, stats, pies, bar gauges and tables as small SVG/HTML, each with a text alternative.
import { sparkline } from './charts.js';
import { COLORS, PALETTE, colorOf, escapeHtml, formatValue, thresholdColor } from './format.js';

/**
 * @typedef {import('./page.d.ts').Cell} Cell
 * @typedef {import('./page.d.ts').Column} Column
 * @typedef {import('./page.d.ts').Item} Item
 * @typedef {import('./page.d.ts').ItemsFrame} ItemsFrame
 * @typedef {import('./page.d.ts').PagePanel} PagePanel
 * @typedef {import('./page.d.ts').PanelView} PanelView
 * @typedef {import('./page.d.ts').TableFrame} TableFrame
 */

const START = 150; // degrees, clockwise from +x: the gauge runs from lower left over the top to lower right
const SWEEP = 240;

/** @type {(cx: number, cy: number, r: number, deg: number) => [number, number]} */
function polar(cx, cy, r, deg) {
  const a = (deg * Math.PI) / 180;
  return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
}

/** @type {(cx: number, cy: number, r: number, from: number, to: number) => string} */
function arc(cx, cy, r, from, to) {
  if (to - from < 0.01) return '';
  const [x0, y0] = polar(cx, cy, r, from);
  const [x1, y1] = polar(cx, cy, r, to);
  return `M${x0.toFixed(2)},${y0.toFixed(2)}A${r},${r} 0 ${to - from > 180 ? 1 : 0} 1 ${x1.toFixed(2)},${y1.toFixed(2)}`;
}

/** @param {number} x */
const clamp01 = (x) => Math.min(1, Math.max(0, x));

/** @param {number} i */
const paletteColor = (i) => PALETTE[i % PALETTE.length] ?? COLORS.text;

/**
 * One gauge as SVG with role=img and the value in its label.
 * @param {PagePanel} panel
 * @param {Item} item
 * @param {string} title
 */
function gauge(panel, item, title) {
  const min = panel.min ?? 0;
  const max = panel.max ?? 1;
  const frac = item.value === null ? 0 : clamp01((item.value - min) / (max - min));
  const color = thresholdColor(item.value, panel.thresholds);
  const text = formatValue(item.value, panel.unit);
  /** @type {readonly {color: string, value: number | null}[]} */
  const steps = panel.thresholds ?? [{ color: 'green', value: null }];
  let bands = '';
  steps.forEach((s, i) => {
    const lo = s.value === null ? min : s.value;
    const hi = steps[i + 1]?.value ?? max;
    const a0 = START + clamp01((lo - min) / (max - min)) * SWEEP;
    const a1 = START + clamp01((hi - min) / (max - min)) * SWEEP;
    bands += `<path d="${arc(60, 60, 52, a0, a1)}" stroke="${colorOf(s.color)}" stroke-width="4" fill="none"/>`;
  });
  const label = `${title}${item.label && item.label !== title ? ` (${item.label})` : ''}: ${text}`;
  return (
    `<figure class="gauge" role="img" aria-label="${escapeHtml(label)}">` +
    `<svg viewBox="0 0 120 104" aria-hidden="true">${bands}` +
    `<path d="${arc(60, 60, 43, START, START + SWEEP)}" stroke="rgba(204,204,220,0.1)" stroke-width="11" fill="none"/>` +
    `<path d="${arc(60, 60, 43, START, START + frac * SWEEP)}" stroke="${color}" stroke-width="11" fill="none"/>` +
    `<text x="60" y="66" text-anchor="middle" class="gauge-value${text.length > 6 ? ' long' : ''}" fill="${color}">${escapeHtml(text)}</text></svg>` +
    (item.label ? `<figcaption>${escapeHtml(item.label)}</figcaption>` : '') +
    `</figure>`
  );
}

/**
 * @param {PanelView} view
 * @param {ItemsFrame} frame
 */
export function drawGauges(view, frame) {
  /** @type {Item[]} */
  const items = frame.items.length ? frame.items : [{ label: '', value: null }];
  view.el.classList.toggle('multi', items.length > 1);
  view.body.innerHTML = `<div class="gauges n${Math.min(items.length, 4)}">${items
    .map((it) => gauge(view.panel, it, view.panel.title))
    .join('')}</div>`;
  view.points = frame.items.filter((i) => i.value !== null).length;
}

/**
 * A big value coloured by the thresholds, with a sparkline when the frame has a series.
 * @param {PanelView} view
 * @param {ItemsFrame} frame
 */
export function drawStat(view, frame) {
  /** @type {Item} */
  const item = frame.items[0] ?? { value: null };
  const color = thresholdColor(item.value, view.panel.thresholds);
  const text = item.text ?? formatValue(item.value, view.panel.unit);
  view.body.innerHTML =
    `<div class="stat" role="img" aria-label="${escapeHtml(`${view.panel.title}: ${text}`)}">` +
    `<div class="stat-value" style="color:${item.value === null ? COLORS.muted : color}">${escapeHtml(text)}</div>` +
    (item.sub ? `<div class="stat-sub">${escapeHtml(item.sub)}</div>` : '') +
    `${frame.spark ? sparkline(frame.spark, color) : ''}</div>`;
  view.points = item.value === null ? 0 : 1;
}

/**
 * @param {PanelView} view
 * @param {ItemsFrame} frame
 */
export function drawPie(view, frame) {
  /** @type {Array<{label: string, value: number, color: string}>} */
  const items = [];
  for (const it of frame.items) {
    if (it.value !== null && it.value > 0)
      items.push({ label: it.label ?? '', value: it.value, color: it.color ?? paletteColor(items.length) });
  }
  const total = items.reduce((s, i) => s + i.value, 0);
  view.points = items.length;
  if (total === 0) {
    view.body.innerHTML = '<div class="no-data">No data</div>';
    return;
  }
  let angle = -90;
  const slices = items.map((it) => {
    const sweep = (it.value / total) * 360;
    const color = it.color;
    const path =
      sweep >= 359.99
        ? `<circle cx="60" cy="60" r="42" stroke="${color}" stroke-width="24" fill="none"/>`
        : `<path d="${arc(60, 60, 42, angle, angle + sweep)}" stroke="${color}" stroke-width="24" fill="none"/>`;
    angle += sweep;
    return { it, color, path, pct: it.value / total };
  });
  const alt = slices.map((s) => `${s.it.label} ${(s.pct * 100).toFixed(1)}%`).join(', ');
  view.body.innerHTML =
    `<div class="pie"><svg viewBox="0 0 120 120" role="img" aria-label="${escapeHtml(`${view.panel.title}: ${alt}`)}">` +
    slices.map((s) => s.path).join('') +
    `</svg><table class="pie-legend"><tbody>${slices
      .map(
        (s) =>
          `<tr><td><i style="background:${s.color}"></i>${escapeHtml(s.it.label)}</td>` +
          `<td>${escapeHtml(formatValue(s.it.value, view.panel.unit))}</td><td>${(s.pct * 100).toFixed(1)}%</td></tr>`,
      )
      .join('')}</tbody></table></div>`;
}

/**
 * @param {PanelView} view
 * @param {ItemsFrame} frame
 */
export function drawBars(view, frame) {
  const { panel } = view;
  const items = frame.items;
  view.points = items.filter((i) => i.value !== null).length;
  if (items.length === 0) {
    view.body.innerHTML = '<div class="no-data">No data</div>';
    return;
  }
  const max = panel.max ?? Math.max(...items.map((i) => i.value ?? 0), 0) * 1.05;
  view.body.innerHTML = `<ul class="bars">${items
    .map((it, i) => {
      const color = panel.thresholds ? thresholdColor(it.value, panel.thresholds) : paletteColor(i);
      const pct = max > 0 && it.value !== null ? clamp01(it.value / max) * 100 : 0;
      const text = formatValue(it.value, panel.unit);
      return (
        `<li role="img" aria-label="${escapeHtml(`${it.label ?? ''}: ${text}`)}"><span class="bar-label">${escapeHtml(it.label ?? '')}</span>` +
        `<span class="bar-track"><span class="bar-fill" style="width:${pct.toFixed(2)}%;` +
        `background:linear-gradient(90deg, ${color}55, ${color})"></span></span>` +
        `<span class="bar-value" style="color:${color}">${escapeHtml(text)}</span></li>`
      );
    })
    .join('')}</ul>`;
}

/**
 * @param {PanelView} view
 * @param {TableFrame} frame
 */
export function drawTable(view, frame) {
  view.points = frame.rows.length;
  if (frame.rows.length === 0) {
    view.body.innerHTML = `<div class="no-data">${escapeHtml(frame.empty ?? 'No data')}</div>`;
    return;
  }
  /** @type {(col: Column, v: Cell) => string} */
  const cell = (col, v) => {
    if (v && typeof v === 'object') {
      const c = colorOf(v.color);
      return `<td class="cell-color" style="--cell:${c}"><span>${escapeHtml(v.text)}</span></td>`;
    }
    const text = typeof v === 'number' || v === null ? formatValue(v, col.unit) : (v ?? '');
    return `<td${col.unit ? ' class="num"' : ''}>${escapeHtml(text)}</td>`;
  };
  view.body.innerHTML = `<div class="table-wrap"><table class="data-table"><thead><tr>${frame.columns
    .map((c) => `<th scope="col"${c.unit ? ' class="num"' : ''}>${escapeHtml(c.title)}</th>`)
    .join('')}</tr></thead><tbody>${frame.rows
    .map((r) => `<tr>${frame.columns.map((c) => cell(c, r[c.key])).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}
