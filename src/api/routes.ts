/**
 * The REST API as a Fastify plugin: reference.md section 3, plus `/metrics`, `/healthz`, `/readyz` and the
 * OpenAPI document.
 *
 * Every category endpoint reads only the sources behind it (`collector.readCategory()`); a category whose
 * source failed names that failure: 503 `{error, detail, source}`. The summary never fails for one source:
 * the category is null and the failure is listed in `errors`.
 *
 * Usable as `await registerPerformanceRoutes(app, opts)` or `app.register(performanceRoutes, opts)`; the
 * plugin is not encapsulated (like fastify-plugin), so both register the same routes on `app`.
 */
import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { PerformanceMetricsCollector, Slot } from '../collector/collector.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.ts';
import { requireToken } from './auth.ts';
import { registerFallbacks } from './fallbacks.ts';
import { openApiDocument, type DocumentedRoute } from './openapi.ts';
import { errorSchema, probeSchema, schemas, summarySchema, type JsonSchema } from './schemas.ts';
import { VERSION } from '../version.ts';

export const API_PREFIX = '/api/performance';
export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;

export interface PerformanceRoutesOptions {
  collector: PerformanceMetricsCollector;
  /** Require `Authorization: Bearer <token>` on the API and scrape paths (not on /healthz, /readyz). */
  token?: string;
  /** What /readyz reports; ready by default once the routes are up. */
  ready?: () => boolean;
  /** Answer unknown routes 404 and wrong methods 405 as JSON (default true). */
  fallbacks?: boolean;
}

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

const SCRAPE_PATHS = [`${API_PREFIX}/prometheus`, '/metrics'] as const;

export async function registerPerformanceRoutes(
  app: FastifyInstance,
  options: PerformanceRoutesOptions,
): Promise<void> {
  const { collector } = options;
  if (!collector || typeof collector.getAllMetrics !== 'function') {
    throw new TypeError('registerPerformanceRoutes: options.collector must be a PerformanceMetricsCollector');
  }
  if (options.fallbacks !== false) registerFallbacks(app, { docsPath: OPENAPI_PATH });
  const guard: onRequestHookHandler[] = options.token ? [requireToken(options.token)] : [];
  const isProtected = guard.length > 0;
  const ready = options.ready ?? (() => true);
  const documented: DocumentedRoute[] = [];
  const noStore = 'no-store';
  const errorResponses = isProtected ? { 401: errorSchema } : {};

  app.get(
    `${API_PREFIX}/summary`,
    { onRequest: guard, schema: { response: { 200: summarySchema, ...errorResponses } } },
    async (_req, reply) => {
      reply.header('cache-control', noStore);
      return collector.getAllMetrics();
    },
  );
  documented.push({
    path: `${API_PREFIX}/summary`,
    operationId: 'getSummary',
    summary: 'Every category, the health score (0..100) and the sources that failed in this collection',
    body: summarySchema,
    protected: isProtected,
  });

  for (const route of CATEGORIES) {
    app.get(
      route.path,
      { onRequest: guard, schema: { response: { 200: route.schema, 503: errorSchema, ...errorResponses } } },
      async (_req, reply) => {
        reply.header('cache-control', noStore);
        const { value, errors } = collector.readCategory(route.category);
        if (value !== null) return value;
        const first = errors[0] ?? { source: route.category, message: 'collection failed' };
        return reply.code(503).send({
          error: 'Source Unavailable',
          detail: errors.map((f) => `${f.source}: ${f.message}`).join('; ') || first.message,
          source: first.source,
        });
      },
    );
    documented.push({ ...route, body: route.schema, protected: isProtected, canFail: true });
  }

  for (const path of SCRAPE_PATHS) {
    app.get(path, { onRequest: guard }, async (_req, reply) => {
      reply.header('cache-control', noStore).type(PROMETHEUS_CONTENT_TYPE);
      return collector.exportPrometheus();
    });
    documented.push({
      path,
      operationId: path === '/metrics' ? 'scrapeMetrics' : 'getPrometheus',
      summary: 'Prometheus text exposition (format 0.0.4)',
      body: { mediaType: PROMETHEUS_CONTENT_TYPE },
      protected: isProtected,
    });
  }

  app.get('/healthz', { schema: { response: { 200: probeSchema } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: probeSchema, 503: probeSchema } } }, async (_req, reply) =>
    ready() ? { status: 'ready' } : reply.code(503).send({ status: 'starting' }),
  );
  documented.push(
    { path: '/healthz', operationId: 'healthz', summary: 'Liveness', body: probeSchema, protected: false },
    {
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Readiness (503 while starting)',
      body: probeSchema,
      protected: false,
    },
  );

  documented.push({
    path: OPENAPI_PATH,
    operationId: 'openapi',
    summary: 'This document',
    body: { type: 'object' },
    protected: isProtected,
  });
  const document = JSON.stringify(openApiDocument(documented, VERSION));
  app.get(OPENAPI_PATH, { onRequest: guard }, async (_req, reply) => {
    reply.type('application/json; charset=utf-8');
    return document;
  });
}

/** The same plugin for `app.register(performanceRoutes, opts)`; not encapsulated, like fastify-plugin. */
export const performanceRoutes: FastifyPluginAsync<PerformanceRoutesOptions> = Object.assign(
  async (app: FastifyInstance, options: PerformanceRoutesOptions) => registerPerformanceRoutes(app, options),
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'victor-perf-routes',
  },
);
