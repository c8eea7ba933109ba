/**
 * `victor-perf/http`: the routes (REST API, Prometheus text, OpenAPI, dashboard and its live stream) for any
 * Node server: a `node:http` / Express / Connect listener, and a fetch-style handler for Hono, Next route
 * handlers, Deno-style servers and the like. Same token, host check and error shapes as createServer.
 */
export { createRequestListener } from './node.ts';
export { createFetchHandler } from './fetch.ts';
export { createPerformanceHandler } from './handler.ts';
export { API_PREFIX, DEFAULT_METRICS_PATH, OPENAPI_PATH } from '../api/routes.ts';
export { SESSION_COOKIE, SECURITY_HEADERS } from '../api/guard.ts';
export { TOKEN_ENV, TokenError, resolveToken } from '../api/auth.ts';
export type { PerformanceRequestListener, NodeHandlerOptions } from './node.ts';
export type { FetchHandler, FetchHandlerOptions } from './fetch.ts';
export type { PerformanceHandler, PerformanceHandlerOptions } from './handler.ts';
export type { Reply, ErrorBody } from '../api/reply.ts';
