/**
 * Types of the dashboard page, for its JSDoc (checked by `tsc -p tsconfig.web.json`, part of
 * `npm run typecheck`). What the page reads from the server is typed by the server's own declarations,
 * imported here, so that a change on one side that the other does not follow fails the type check.
 * Not served and not copied into dist (scripts/build.mjs leaves `.d.ts` files out).
 */
import type { PageConfig, PagePanel } from '../panels.ts';
import type { PerformanceSnapshot } from '../../collector/types.ts';
import type { ApiAlert } from '../../monitoring/alerts-eval.ts';
import type { HistoryResponse } from '../dashboard.ts';
import type { StreamPoint } from '../stream.ts';
import type { PanelType } from '../../monitoring/dashboard-panels.ts';

export type { ApiAlert, HistoryResponse, PageConfig, PagePanel, PanelType, PerformanceSnapshot, StreamPoint };

/** `GET /api/performance/alerts` (local mode) and Prometheus's `/api/v1/alerts` data. */
export interface AlertsResponse {
  status: string;
  data: { alerts: ApiAlert[] };
}

/** One result of Prometheus's `/api/v1/query` (value) or `/api/v1/query_range` (values). */
export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

/** Prometheus's API envelope, as the proxy passes it through. */
export interface PromResponse<T> {
  status?: string;
  data: T;
  error?: string;
  message?: string;
}

// ---- Frames: what a panel's data becomes before a widget draws it. ----

export type Value = number | null;

export interface Series {
  label: string;
  values: Value[];
}

/** Time series on a common time axis (seconds), drawn over `range` (seconds). */
export interface SeriesFrame {
  t: number[];
  range: [number, number];
  series: Series[];
}

export interface Item {
  label?: string;
  value: Value;
  /** Shown instead of the formatted value. */
  text?: string;
  /** A line under the value (stat panels). */
  sub?: string | undefined;
  color?: string;
  spark?: Value[];
}

/** One value per item: gauges, stats, pies, bar gauges. */
export interface ItemsFrame {
  items: Item[];
  /** A sparkline under a stat. */
  spark?: Value[] | undefined;
}

export interface Column {
  key: string;
  title: string;
  /** Numbers in this column are formatted in this unit (and aligned right). */
  unit?: string;
}

/** A coloured text (a mapped value or a state) or a plain value. */
export type Cell = { text: string; color: string } | string | number | null | undefined;

export interface TableFrame {
  columns: Column[];
  rows: Array<Record<string, Cell>>;
  empty?: string;
}

export type Frame = SeriesFrame | ItemsFrame | TableFrame;

/** Label values offered by the filters. */
export type LabelValues = Record<'namespace' | 'provider' | 'tool', string[]>;

/** The filters as chosen in the toolbar ('' = all). */
export type Filters = Record<'namespace' | 'provider' | 'tool', string>;

/** What a local-mode panel is computed from besides the history: filters and the time axis. */
export interface RenderContext {
  f: Filters;
  /** Bucket start times in ms, and the same in seconds. */
  tMs: number[];
  t: number[];
  /** The chart's x range in seconds. */
  range: [number, number];
}

/** One panel on the page: its element and what it drew last. */
export interface PanelView {
  panel: PagePanel;
  el: HTMLElement;
  body: HTMLElement;
  /** Values drawn (non-null). */
  points?: number;
  range?: [number, number];
  plot?: HTMLElement;
  legend?: HTMLElement;
  /** The visually hidden table of the chart's values (its text alternative). */
  table?: HTMLTableElement | undefined;
  observer?: ResizeObserver;
  chart?: uPlot;
  chartKey?: string;
  /** Labels of the series hidden from the legend. */
  hidden?: Set<string>;
  /** The message of the panel's last failure, while it fails. */
  error?: string | undefined;
}

/** What a panel drew last, as `window.__dashboard.views()` lists it. */
export interface PanelSummary {
  id: string;
  type: string;
  title: string;
  /** Values drawn (non-null). */
  points: number;
  /** Time series: the x range in seconds. */
  range: [number, number] | null;
  /** Time series: the series' labels. */
  labels: string[];
  expanded: boolean;
}

/** What `window.__dashboard` shows tests and the curious. */
export interface DashboardDebug {
  ready: boolean;
  renders: number;
  /** How long the last render of every panel took (ms). */
  renderMs: number;
  /** Panel errors, the latest ERROR_LIMIT of them. */
  errors: string[];
  views(): PanelSummary[];
  /** The data a time series panel drew: [times, ...series values]. */
  chartData(id: string): Value[][] | null;
  /** Points and series held by the local history store (local mode). */
  stored(): { newest: number | null; points: number; longestSeries: number; series: number } | null;
  /** Firing alerts as counted beside the health score. */
  firing: number;
}

declare global {
  interface Window {
    __dashboard?: DashboardDebug;
  }
}
