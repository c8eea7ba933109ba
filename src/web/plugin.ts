/**
 * The built-in dashboard, mounted at `/` by the server.
 *
 * Routes:
 *   GET /                                   the page
 *   GET /dashboard/assets/*                 its scripts and styles, and uPlot (all local: works offline)
 *   GET /dashboard/api/config               mode, rows and panels (titles, units, thresholds, queries)
 *   GET /dashboard/api/history?from=&step=  local mode: samples since `from` (ms), averaged into `step` buckets
 *   GET /dashboard/api/stream               local mode: server-sent events, one `point` per new sample
 *   GET /dashboard/api/prom/api/v1/{query,query_range,alerts}   Prometheus mode: proxy to the configured URL
 *
 * In local mode the history samples the collector on a timer started with the app and stopped on close
 * (timers unref'd, open streams ended before the server closes).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { resolveMonitoringConfig, type MonitoringConfig } from '../monitoring/config.ts';
import { ASSET_PREFIX, loadAssets, type Asset } from './assets.ts';
import { dashboardGuard } from './guard.ts';
import { MetricHistory, type HistoryOptions } from './history.ts';
import { pageConfig } from './panels.ts';
import { registerPrometheusProxy } from './prom-proxy.ts';
import { registerStream } from './stream.ts';

export interface DashboardOptions {
  collector: PerformanceMetricsCollector;
  /** Read panels from this Prometheus-compatible query API instead of the in-process history. */
  prometheusUrl?: string;
  /** Resolution, retention and series limit of the in-process history (local mode). */
  history?: Omit<HistoryOptions, 'now'>;
  /** Prefix, selector and thresholds of the panel queries (default: the monitoring defaults). */
  monitoring?: MonitoringConfig;
  /** Require this token (bearer header, or the cookie `/?token=` sets) on the page and its data. */
  token?: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The dashboard's history (local mode), for tests and the memory report. */
    dashboardHistory?: MetricHistory;
  }
}

function send(req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply | Buffer {
  reply
    .header('etag', a.etag)
    .header('cache-control', a.cacheControl)
    .header('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  reply.type(a.type);
  return a.body;
}

/** A non-negative integer query parameter, or the fallback when absent; NaN when malformed. */
function intParam(v: unknown, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
}

export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const monitoring = opts.monitoring ?? resolveMonitoringConfig({ prefix: opts.collector.prefix });
  const mode = opts.prometheusUrl ? 'prometheus' : 'local';
  const { page, files } = loadAssets();
  const history = new MetricHistory(opts.collector, opts.history ?? {});
  const config = pageConfig(monitoring, {
    mode,
    resolutionMs: history.resolutionMs,
    retentionMs: history.retentionMs,
  });

  if (opts.token) {
    const guard = dashboardGuard(opts.token);
    app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0]!;
      if (path === '/' || path.startsWith('/dashboard/')) await guard(req, reply);
    });
  }

  app.get('/', (req, reply) => send(req, reply, page));
  app.get(`${ASSET_PREFIX}*`, (req, reply) => {
    const a = files.get(req.url.split('?')[0]!);
    if (!a) return reply.code(404).send({ detail: 'no such asset' });
    return send(req, reply, a);
  });
  app.get('/dashboard/api/config', (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return config;
  });

  if (opts.prometheusUrl) {
    registerPrometheusProxy(app, opts.prometheusUrl);
    return;
  }

  app.decorate('dashboardHistory', history);
  app.get('/dashboard/api/history', (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const from = intParam(q.from, 0);
    const step = intParam(q.step, history.resolutionMs);
    if (Number.isNaN(from) || Number.isNaN(step)) {
      return reply.code(400).send({ detail: 'from and step must be non-negative integers (milliseconds)' });
    }
    reply.header('cache-control', 'no-store');
    return {
      now: Date.now(),
      resolution_ms: history.resolutionMs,
      ...history.query(from, step),
      latest: history.latest ?? null,
    };
  });
  registerStream(app, history);

  app.addHook('onReady', async () => history.start());
  app.addHook('onClose', async () => history.stop());
}
