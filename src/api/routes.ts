/**
 * The REST API as a Fastify plugin: reference.md section 3, plus `/metrics`, `/healthz`, `/readyz` and the
 * OpenAPI document.
 *
 * Every category endpoint reads one collection (`getAllMetrics()`) and answers its category from it, so a
 * category whose source failed can name that failure: 503 `{error, detail, source}`. The summary never fails
 * for one source: the category is null and the failure is listed in `errors`.
 *
 * Usable as `await registerPerformanceRoutes(app, opts)` or `app.register(performanceRoutes, opts)`; the
 * plugin is not encapsulated (like fastify-plugin), so both register the same routes on `app`.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { PerformanceMetricsCollector, Slot } from '../collector/collector.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.ts';
import { requireToken } from './auth.ts';
import { registerFallbacks } from './fallbacks.ts';
import { openApiDocument, type DocumentedRoute } from './openapi.ts';
import { errorSchema, probeSchema, schemas, summarySchema, type JsonSchema } from './schemas.ts';

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

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** A category endpoint: which slots feed it and how its body comes out of one snapshot. */
interface CategoryRoute {
  path: string;
  operationId: string;
  summary: string;
  schema: JsonSchema;
  slots: readonly Slot[];
  pick(s: PerformanceSnapshot): unknown;
}

const CATEGORIES: readonly CategoryRoute[] = [
  {
    path: `${API_PREFIX}/cache`,
    operationId: 'getCacheMetrics',
    summary: 'Tool selection cache: hit rates, entries, utilization, selection latency, memory and rates',
    schema: schemas.cache_endpoint,
    slots: ['cache', 'tool_selection'],
    pick: (s) =>
      s.tool_selection && s.cache
        ? { ...s.tool_selection, memory: s.cache.memory, rates: s.cache.rates }
        : null,
  },
  {
    path: `${API_PREFIX}/providers`,
    operationId: 'getProviderPoolMetrics',
    summary: 'Provider pool: health per provider, requests, errors, latency',
    schema: schemas.provider_pool,
    slots: ['provider_pool'],
    pick: (s) => s.provider_pool,
  },
  {
    path: `${API_PREFIX}/tools`,
    operationId: 'getToolExecutionMetrics',
    summary: 'Tool execution: executions, duration percentiles, error rate, per-tool stats',
    schema: schemas.tool_execution,
    slots: ['tool_execution'],
    pick: (s) => s.tool_execution,
  },
  {
    path: `${API_PREFIX}/system`,
    operationId: 'getSystemMetrics',
    summary: 'The process: memory, CPU, uptime, threads, heap, event loop',
    schema: schemas.system,
    slots: ['system'],
    pick: (s) => s.system,
  },
  {
    path: `${API_PREFIX}/bootstrap`,
    operationId: 'getBootstrapMetrics',
    summary: 'Start-up: total time, per-phase time, lazy loading',
    schema: schemas.bootstrap,
    slots: ['bootstrap'],
    pick: (s) => s.bootstrap,
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
        const snapshot = collector.getAllMetrics();
        const body = route.pick(snapshot);
        if (body !== null) return body;
        // Name the failure: the errors of this route's sources, by their registered names.
        const names = new Set(route.slots.map((slot) => collector.registered(slot)?.sourceName ?? slot));
        const failures = snapshot.errors.filter((e) => names.has(e.source));
        const first = failures[0] ?? { source: route.slots[0]!, message: 'collection failed' };
        return reply.code(503).send({
          error: 'Source Unavailable',
          detail: failures.map((f) => `${f.source}: ${f.message}`).join('; ') || first.message,
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
