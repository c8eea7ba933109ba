/** `victor-perf/fastify`: the routes (API, scrape paths, OpenAPI, dashboard) as an encapsulated Fastify plugin. */
export {
  FastifyVersionError,
  SUPPORTED_FASTIFY,
  performanceRoutes,
  registerPerformanceRoutes,
} from './plugin.ts';
export { API_PREFIX, DEFAULT_METRICS_PATH, OPENAPI_PATH } from '../api/routes.ts';
export type { FastifyLike, PerformanceRoutesOptions } from './plugin.ts';
