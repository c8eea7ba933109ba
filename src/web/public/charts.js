// Time series panels drawn with uPlot: Grafana-like axes, a floating tooltip with exact values, a legend with
// last values (click to hide a series) and dashed threshold lines.
import { COLORS, PALETTE, escapeHtml, formatAxis, formatValue, lastNotNull } from './format.js';

const FONT = '11px Inter, "Segoe UI", system-ui, sans-serif';

function thresholdLines(panel) {
  return (panel.thresholds ?? []).filter((s) => s.value !== null);
}

function drawThresholds(u, panel) {
  const ctx = u.ctx;
  const [ymin, ymax] = [u.scales.y.min, u.scales.y.max];
  for (const step of thresholdLines(panel)) {
    if (step.value < ymin || step.value > ymax) continue;
    const y = Math.round(u.valToPos(step.value, 'y', true)) + 0.5;
    ctx.save();
    ctx.strokeStyle = COLORS[step.color] ?? step.color;
    ctx.lineWidth = 1.5 * devicePixelRatioOf();
    ctx.setLineDash([6 * devicePixelRatioOf(), 4 * devicePixelRatioOf()]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  }
}

const pad = (n) => String(n).padStart(2, '0');

/** 24-hour tick labels; seconds when ticks are closer than a minute. */
function timeTicks(_u, ticks, _space, _ticks, incr) {
  return ticks.map((t) => {
    const d = new Date(t * 1000);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return incr < 60 ? `${hm}:${pad(d.getSeconds())}` : hm;
  });
}

const devicePixelRatioOf = () => window.devicePixelRatio || 1;

function yRange(panel) {
  return (_u, min, max) => {
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
    const lo = min >= 0 ? 0 : min * 1.1;
    let hi = max <= 0 ? 1 : max * 1.15;
    if (panel.unit === 'percentunit' && hi > 0.9 && hi < 1.2) hi = 1;
    return [lo, hi === lo ? lo + 1 : hi];
  };
}

function tooltipPlugin(view) {
  let tip;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tooltip';
        tip.hidden = true;
        u.over.appendChild(tip);
        u.over.addEventListener('mouseleave', () => (tip.hidden = true));
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        // Hidden away from the data (uPlot snaps to the nearest point, however far).
        const far =
          idx !== null && idx !== undefined && Math.abs(u.valToPos(u.data[0][idx], 'x') - u.cursor.left) > 40;
        if (idx === null || idx === undefined || u.cursor.left < 0 || far) {
          tip.hidden = true;
          return;
        }
        const t = new Date(u.data[0][idx] * 1000).toLocaleString([], {
          month: 'short',
          day: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        });
        let rows = '';
        for (let i = 1; i < u.series.length; i++) {
          const s = u.series[i];
          if (!s.show) continue;
          rows +=
            `<div class="tt-row"><i style="background:${s._color}"></i><span>${escapeHtml(s.label)}</span>` +
            `<b>${escapeHtml(formatValue(u.data[i][idx], view.panel.unit))}</b></div>`;
        }
        tip.innerHTML = `<div class="tt-time">${escapeHtml(t)}</div>${rows}`;
        tip.hidden = false;
        const w = tip.offsetWidth;
        const left =
          u.cursor.left + 14 + w > u.over.clientWidth ? u.cursor.left - w - 14 : u.cursor.left + 14;
        tip.style.transform = `translate(${Math.max(0, left)}px, ${Math.max(0, u.cursor.top - 10)}px)`;
      },
    },
  };
}

function renderLegend(view, frame) {
  const legend = view.legend;
  legend.innerHTML = '';
  frame.series.forEach((s, i) => {
    const item = document.createElement('button');
    item.type = 'button';
    item.className = 'legend-item';
    item.setAttribute('aria-pressed', 'true');
    const color = PALETTE[i % PALETTE.length];
    item.innerHTML =
      `<i style="background:${color}"></i><span class="legend-label">${escapeHtml(s.label)}</span>` +
      `<span class="legend-value">${escapeHtml(formatValue(lastNotNull(s.values), view.panel.unit))}</span>`;
    item.title = `Show or hide ${s.label}`;
    item.addEventListener('click', (ev) => {
      ev.stopPropagation();
      const show = item.getAttribute('aria-pressed') !== 'true';
      item.setAttribute('aria-pressed', String(show));
      view.chart?.setSeries(i + 1, { show });
    });
    legend.appendChild(item);
  });
}

function chartSize(view) {
  const box = view.plot.getBoundingClientRect();
  return { width: Math.max(120, Math.floor(box.width)), height: Math.max(80, Math.floor(box.height)) };
}

/** Draws (or updates) a time series panel. frame: {t: seconds[], series: [{label, values}], range: [from, to]}. */
export function drawTimeseries(view, frame) {
  const { panel } = view;
  if (!view.plot) {
    view.body.innerHTML = '<div class="plot"></div><div class="legend"></div>';
    view.plot = view.body.querySelector('.plot');
    view.legend = view.body.querySelector('.legend');
    view.observer = new window.ResizeObserver(() => {
      if (view.chart) view.chart.setSize(chartSize(view));
    });
    view.observer.observe(view.plot);
  }
  view.range = frame.range;
  const data = [frame.t, ...frame.series.map((s) => s.values)];
  const key = frame.series.map((s) => s.label).join('\u0000');
  renderLegend(view, frame);
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
  const opts = {
    ...chartSize(view),
    legend: { show: false },
    cursor: { points: { size: 7 }, drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: () => view.range },
      y: { range: yRange(panel) },
    },
    axes: [
      { ...axis, space: 52, values: timeTicks },
      { ...axis, size: 60, space: 28, values: (_u, vals) => formatAxis(vals, panel.unit) },
    ],
    series: [
      {},
      ...frame.series.map((s, i) => {
        const color = PALETTE[i % PALETTE.length];
        return {
          label: s.label,
          _color: color,
          stroke: color,
          width: 1.5,
          fill: frame.series.length <= 3 ? color + '1f' : undefined,
          points: { show: (_u, _si, i0, i1) => i1 - i0 < 3 },
          spanGaps: false,
        };
      }),
    ],
    hooks: { draw: [(u) => drawThresholds(u, panel)] },
    plugins: [tooltipPlugin(view)],
  };
  view.chart = new uPlot(opts, data, view.plot);
}

/** A small area sparkline as SVG (stat panels). */
export function sparkline(values, color) {
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => v !== null);
  if (pts.length < 2) return '';
  const ys = pts.map(([, v]) => v);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const n = values.length - 1 || 1;
  const y = (v) => (hi === lo ? 20 : 38 - ((v - lo) / (hi - lo)) * 34);
  const line = pts
    .map(([i, v], k) => `${k ? 'L' : 'M'}${((i / n) * 100).toFixed(2)},${y(v).toFixed(2)}`)
    .join('');
  const area = `${line}L${((pts[pts.length - 1][0] / n) * 100).toFixed(2)},40L${((pts[0][0] / n) * 100).toFixed(2)},40Z`;
  return (
    `<svg class="spark" viewBox="0 0 100 40" preserveAspectRatio="none" aria-hidden="true">` +
    `<path d="${area}" fill="${color}" opacity="0.18"/>` +
    `<path d="${line}" fill="none" stroke="${color}" stroke-width="1.5" vector-effect="non-scaling-stroke"/></svg>`
  );
}
