/**
 * The REST API as a framework-free route table: the original API's endpoints, plus the scrape paths, `/healthz`,
 * `/readyz` and the OpenAPI document. The node, fetch and Fastify adapters serve these same entries; adding
 * an endpoint is adding one entry.
 *
 * Every category endpoint reads only the sources behind it (`collector.readCategory()`); a category whose
 * source failed names that failure: 503 `{error, message, source}`. The summary never fails for one source:
 * the category is null and the failure is listed in `errors`.
 */
import type { PerformanceMetricsCollector, Slot } from '../collector/collector.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.ts';
import type { Access } from './guard.ts';
import { openApiDocument, type DocumentedRoute } from './openapi.ts';
import { errorReply, jsonReply, type Reply } from './reply.ts';
import { probeSchema, schemas, summarySchema, type JsonSchema } from './schemas.ts';
import { VERSION } from '../version.ts';

export const API_PREFIX = '/api/performance';
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
export const DEFAULT_METRICS_PATH = '/metrics';

export interface RouteRequest {
  method: 'GET' | 'HEAD';
  /** Below a wildcard route (`/x/*`): the rest of the normalised path, without a leading `/`; else `''`. */
  rest: string;
  query: URLSearchParams;
  /** A request header by lower-case name (several values joined by `, `). */
  header(name: string): string | undefined;
}

export interface Route {
  /** Relative to the base path; a trailing `/*` matches everything below it. Methods: GET and HEAD. */
  path: string;
  access: Access;
  handle(req: RouteRequest): Reply | Promise<Reply>;
  /** Shown with a 401 instead of the JSON error (the dashboard page). */
  locked?: () => Reply;
  /** Listed in the OpenAPI document when given. */
  doc?: Omit<DocumentedRoute, 'path' | 'protected'>;
}

const NO_STORE = { 'cache-control': 'no-store' };

/** A category endpoint and the collector category it answers with. */
interface CategoryRoute {
  path: string;
  operationId: string;
  summary: string;
  schema: JsonSchema;
  category: Slot;
}

const CATEGORIES: readonly CategoryRoute[] = [
  {
    path: `${API_PREFIX}/cache`,
    operationId: 'getCacheMetrics',
    summary: 'Tool selection cache: hit rates, entries, utilization, selection latency, memory and rates',
    schema: schemas.cache_endpoint,
    category: 'cache',
  },
  {
    path: `${API_PREFIX}/providers`,
    operationId: 'getProviderPoolMetrics',
    summary: 'Provider pool: health per provider, requests, errors, latency',
    schema: schemas.provider_pool,
    category: 'provider_pool',
  },
  {
    path: `${API_PREFIX}/tools`,
    operationId: 'getToolExecutionMetrics',
    summary: 'Tool execution: executions, duration percentiles, error rate, per-tool stats',
    schema: schemas.tool_execution,
    category: 'tool_execution',
  },
  {
    path: `${API_PREFIX}/system`,
    operationId: 'getSystemMetrics',
    summary: 'The process: memory, CPU, uptime, threads, heap, event loop',
    schema: schemas.system,
    category: 'system',
  },
  {
    path: `${API_PREFIX}/bootstrap`,
    operationId: 'getBootstrapMetrics',
    summary: 'Start-up: total time, per-phase time, lazy loading',
    schema: schemas.bootstrap,
    category: 'bootstrap',
  },
];

export interface ApiRoutesOptions {
  collector: PerformanceMetricsCollector;
  /** What /readyz reports (default: ready). */
  ready?: (() => boolean) | undefined;
  /** Where the Prometheus text is served besides `/api/performance/prometheus`; `false` for nowhere else. */
  metricsPath?: string | false | undefined;
}

/**
 * `GET /api/performance/alerts`: alerts evaluated in-process (local mode), in the shape of Prometheus'
 * `/api/v1/alerts`, so a client of one reads the other.
 */
export function alertsRoute(list: () => readonly object[]): Route {
  return {
    path: `${API_PREFIX}/alerts`,
    access: 'api',
    handle: () => jsonReply(200, { status: 'success', data: { alerts: list() } }, NO_STORE),
    doc: {
      operationId: 'getAlerts',
      summary:
        'Pending and firing alerts evaluated in-process (local mode), shaped like Prometheus /api/v1/alerts',
      body: { type: 'object' },
    },
  };
}

export function apiRoutes(options: ApiRoutesOptions): Route[] {
  const { collector } = options;
  if (!collector || typeof collector.getAllMetrics !== 'function') {
    throw new TypeError('options.collector must be a PerformanceMetricsCollector');
  }
  const ready = options.ready ?? (() => true);
  const metricsPath = options.metricsPath ?? DEFAULT_METRICS_PATH;
  if (metricsPath !== false && (typeof metricsPath !== 'string' || !/^\/[^?#*]*$/.test(metricsPath))) {
    throw new TypeError(
      `metricsPath must be a path like /metrics or false, got ${JSON.stringify(metricsPath)}`,
    );
  }
  const routes: Route[] = [
    {
      path: `${API_PREFIX}/summary`,
      access: 'api',
      // Requests arriving together share one collection.
      handle: async () => jsonReply(200, (await collector.collectShared()).snapshot, NO_STORE),
      doc: {
        operationId: 'getSummary',
        summary: 'Every category, the health score (0..100) and the sources that failed in this collection',
        body: summarySchema,
      },
    },
  ];
  for (const c of CATEGORIES) {
    routes.push({
      path: c.path,
      access: 'api',
      handle() {
        const { value, errors } = collector.readCategory(c.category);
        if (value !== null) return jsonReply(200, value, NO_STORE);
        const first = errors[0] ?? { source: c.category, message: 'collection failed' };
        return errorReply(503, errors.map((f) => `${f.source}: ${f.message}`).join('; ') || first.message, {
          title: 'Source Unavailable',
          source: first.source,
        });
      },
      doc: { operationId: c.operationId, summary: c.summary, body: c.schema, canFail: true },
    });
  }
  const scrape = async (): Promise<Reply> => ({
    status: 200,
    headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, ...NO_STORE },
    body: (await collector.collectShared()).text,
  });
  const scrapeDoc = {
    summary: 'Prometheus text exposition (format 0.0.4)',
    body: { mediaType: PROMETHEUS_CONTENT_TYPE },
  };
  routes.push({
    path: `${API_PREFIX}/prometheus`,
    access: 'api',
    handle: scrape,
    doc: { operationId: 'getPrometheus', ...scrapeDoc },
  });
  if (metricsPath !== false) {
    routes.push({
      path: metricsPath,
      access: 'api',
      handle: scrape,
      doc: { operationId: 'scrapeMetrics', ...scrapeDoc },
    });
  }
  routes.push(
    {
      path: '/healthz',
      access: 'open',
      handle: () => jsonReply(200, { status: 'ok' }, NO_STORE),
      doc: { operationId: 'healthz', summary: 'Liveness', body: probeSchema },
    },
    {
      path: '/readyz',
      access: 'open',
      handle: () =>
        ready()
          ? jsonReply(200, { status: 'ready' }, NO_STORE)
          : jsonReply(503, { status: 'starting' }, NO_STORE),
      doc: {
        operationId: 'readyz',
        summary: 'Readiness (503 while starting or stopping)',
        body: probeSchema,
      },
    },
  );
  return routes;
}

/** The OpenAPI route describing `routes` (and itself), as served under `basePath`. */
export function openApiRoute(routes: readonly Route[], basePath: string, isProtected: boolean): Route {
  const self: Route = {
    path: OPENAPI_PATH,
    access: 'api',
    handle: () => reply,
    doc: { operationId: 'openapi', summary: 'This document', body: { type: 'object' } },
  };
  const documented: DocumentedRoute[] = [...routes, self]
    .filter((r) => r.doc)
    .map((r) => ({ ...r.doc!, path: basePath + r.path, protected: isProtected && r.access !== 'open' }));
  const reply = jsonReply(200, openApiDocument(documented, VERSION));
  return self;
}
