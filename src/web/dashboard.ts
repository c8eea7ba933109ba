/**
 * The built-in dashboard as framework-free routes, mounted at the base path's `/` by every adapter.
 *
 * Routes (relative to the base path):
 *   GET /                                   the page (`/?token=` logs in when a token is set)
 *   GET /dashboard/assets/*                 its scripts and styles, and uPlot (all local: works offline)
 *   GET /dashboard/api/config               mode, rows and panels (titles, units, thresholds, queries)
 *   GET /dashboard/api/history?from=&step=  local mode: panel series since `from` (ms), in `step` buckets
 *   GET /dashboard/api/stream               local mode: server-sent events, one `point` per new sample
 *   GET /dashboard/api/prom/api/v1/{query,query_range,alerts,...}   Prometheus mode: proxy to the configured URL
 *
 * The page refers to everything by relative URLs, so it works under any base path. In local mode the
 * history samples the collector on an unref'd timer from `start()` until `close()`, which also ends the
 * open streams.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { errorReply, jsonReply, type Reply } from '../api/reply.ts';
import { alertsRoute, type Route, type RouteRequest } from '../api/routes.ts';
import { resolveMonitoringConfig, type MonitoringConfig } from '../monitoring/config.ts';
import { ASSET_PREFIX, loadAssets, type Asset } from './assets.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import { MetricHistory, type HistoryOptions, type HistoryRange } from './history.ts';
import { pageConfig } from './panels.ts';
import { prometheusProxyRoute } from './prom-proxy.ts';
import { LocalAlerts } from './local-alerts.ts';
import { LiveStreams } from './stream.ts';

export interface DashboardOptions {
  collector: PerformanceMetricsCollector;
  /** Read panels from this Prometheus-compatible query API instead of the in-process history. */
  prometheusUrl?: string | undefined;
  /** Resolution, retention, series cap and query windows of the in-process history (local mode). */
  history?: Omit<HistoryOptions, 'now' | 'monitoring' | 'panels'> | undefined;
  /** Prefix, selector and thresholds of the panel queries and alerts (default: the monitoring defaults). */
  monitoring?: MonitoringConfig | undefined;
  /** Local mode: Alertmanager-compatible webhooks the in-process alerts are sent to. */
  alertWebhooks?: readonly string[] | undefined;
}

/**
 * `GET /dashboard/api/history`: bucket times, the panel result series (key, panel, refId, labels, values),
 * the series the cap left out, and the latest snapshot.
 */
export interface HistoryResponse extends HistoryRange {
  now: number;
  resolution_ms: number;
  latest: PerformanceSnapshot | null;
}

export interface Dashboard {
  routes: Route[];
  /** The in-process history (local mode). */
  history: MetricHistory | undefined;
  /** The in-process alerts (local mode). */
  alerts: LocalAlerts | undefined;
  /** Open live streams. */
  readonly streams: number;
  start(): void;
  /** Stops sampling and ends the open streams. */
  close(): void;
}

const LOCKED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>victor-perf: token required</title>
<style>body{background:#111217;color:#ccccdc;font:16px system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0}
main{max-width:32rem;padding:2rem}code{background:#22252b;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><main><h1>This dashboard needs its access token</h1>
<p>The server was started with a token. Open <code>?token=&lt;your token&gt;</code> on this page once; the browser
then keeps a session cookie for it.</p></main></body></html>`;

const HTML = 'text/html; charset=utf-8';

function assetReply(req: RouteRequest, a: Asset): Reply {
  const headers = { etag: a.etag, 'cache-control': a.cacheControl };
  if (req.header('if-none-match') === a.etag) return { status: 304, headers };
  return { status: 200, headers: { ...headers, 'content-type': a.type }, body: a.body };
}

/** A non-negative integer query parameter, or the fallback when absent; NaN when malformed. */
function intParam(v: string | null, fallback: number): number {
  if (v === null || v === '') return fallback;
  return /^\d{1,15}$/.test(v) ? Number(v) : NaN;
}

export function createDashboard(opts: DashboardOptions): Dashboard {
  if (opts.monitoring && opts.monitoring.units !== opts.collector.units) {
    // The page's and the local alerts' queries would name series the exposition does not have.
    throw new TypeError(
      `dashboard: the monitoring config's units (${opts.monitoring.units}) differ from the collector's ` +
        `(${opts.collector.units}); give both the same naming mode`,
    );
  }
  const monitoring =
    opts.monitoring ??
    resolveMonitoringConfig({
      prefix: opts.collector.prefix,
      units: opts.collector.units,
    });
  const { page, files } = loadAssets();
  const local = !opts.prometheusUrl;
  const history = new MetricHistory(local ? opts.collector : undefined, {
    ...opts.history,
    monitoring,
  });
  const config = pageConfig(monitoring, {
    mode: local ? 'local' : 'prometheus',
    resolutionMs: history.resolutionMs,
    retentionMs: history.retentionMs,
    ...(local ? history.windows : {}),
  });
  const streams = new LiveStreams(history);
  const alerts = local
    ? new LocalAlerts(opts.collector, monitoring, { webhooks: opts.alertWebhooks ?? [] })
    : undefined;

  const routes: Route[] = [
    {
      path: '/',
      access: 'page',
      handle: (req) => assetReply(req, page),
      locked: () => ({
        status: 401,
        headers: { 'content-type': HTML, 'cache-control': 'no-store' },
        body: LOCKED_PAGE,
      }),
    },
    {
      path: `${ASSET_PREFIX}*`,
      access: 'dashboard',
      handle(req) {
        const a = files.get(ASSET_PREFIX + req.rest);
        return a ? assetReply(req, a) : errorReply(404, `no such dashboard asset: ${req.rest}`);
      },
    },
    {
      path: '/dashboard/api/config',
      access: 'dashboard',
      handle: () => jsonReply(200, config, { 'cache-control': 'no-store' }),
    },
  ];
  if (local) {
    routes.push(
      {
        path: '/dashboard/api/history',
        access: 'dashboard',
        handle(req) {
          const from = intParam(req.query.get('from'), 0);
          const step = intParam(req.query.get('step'), history.resolutionMs);
          if (Number.isNaN(from) || Number.isNaN(step)) {
            return errorReply(400, 'from and step must be non-negative integers (milliseconds)');
          }
          const body: HistoryResponse = {
            now: Date.now(),
            resolution_ms: history.resolutionMs,
            ...history.query(from, step),
            latest: history.latest ?? null,
          };
          return jsonReply(200, body, { 'cache-control': 'no-store' });
        },
      },
      streams.route(),
      alertsRoute(() => alerts!.alerts()),
    );
  } else {
    routes.push(prometheusProxyRoute(opts.prometheusUrl!));
  }

  return {
    routes,
    history: local ? history : undefined,
    alerts,
    get streams() {
      return streams.size;
    },
    start() {
      if (local) history.start();
      alerts?.start();
    },
    close() {
      history.stop();
      void alerts?.stop();
      streams.closeAll();
    },
  };
}
