/**
 * `victor-perf/fastify`: the REST API, the Prometheus text and the built-in dashboard as Fastify plugins, for
 * an app that already runs Fastify (a peer dependency).
 */
export { API_PREFIX, OPENAPI_PATH, performanceRoutes, registerPerformanceRoutes } from '../api/routes.ts';
export { registerFallbacks } from '../api/fallbacks.ts';
export { schemas as wireSchemas, summarySchema } from '../api/schemas.ts';
export { registerDashboard } from '../web/plugin.ts';

export type { PerformanceRoutesOptions } from '../api/routes.ts';
export type { DashboardOptions } from '../web/plugin.ts';
