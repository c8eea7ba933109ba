/**
 * The performance routes (API, scrape paths, OpenAPI, dashboard) behind one guard, independent of any
 * framework. `handle()` takes a method, a raw request target and the headers, and returns the reply or
 * `undefined` for a path that is not ours. Adapters (node listener, fetch handler, Fastify plugin,
 * createServer) only translate requests and replies.
 *
 * The target is normalised once (api/target.ts); the route is found on that path and the guard applies the
 * access of the route found, so a path cannot be spelled past its check.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { Guard, SECURITY_HEADERS, type GuardRequest } from '../api/guard.ts';
import { errorReply, type Reply } from '../api/reply.ts';
import { apiRoutes, openApiRoute, OPENAPI_PATH, type Route, type RouteRequest } from '../api/routes.ts';
import { normalizeBasePath, parseTarget, TargetError } from '../api/target.ts';
import { createDashboard, type Dashboard, type DashboardOptions } from '../web/dashboard.ts';
import type { MetricHistory } from '../web/history.ts';

export interface PerformanceHandlerOptions {
  collector: PerformanceMetricsCollector;
  /** Serve everything under this path (e.g. `/perf`): `/perf/metrics`, `/perf/api/performance/summary`, ... */
  basePath?: string | undefined;
  /** Require this bearer token on the API and scrape paths, and on the dashboard (header or its cookie). */
  token?: string | undefined;
  /** The built-in dashboard (default on), or `false` for none. */
  dashboard?: boolean | Omit<DashboardOptions, 'collector'> | undefined;
  /** Where Prometheus scrapes besides `/api/performance/prometheus` (default `/metrics`); `false` for none. */
  metricsPath?: string | false | undefined;
  /**
   * Host names accepted besides loopback ones, or `'any'` (the default for embedded handlers: the host
   * app decides where it listens). createServer defaults to loopback names only when bound to loopback.
   */
  allowedHosts?: readonly string[] | 'any' | undefined;
  /** What /readyz reports (default: ready). */
  ready?: (() => boolean) | undefined;
  /**
   * Awaited before a route that passed the guard answers (e.g. to pull cluster workers' latest numbers
   * into the collector). If it throws, the route answers 500.
   */
  onRequest?: (() => unknown) | undefined;
}

export interface IncomingRequest {
  method: string;
  /** The request target as received (origin-form or absolute-form). */
  target: string;
  header(name: string): string | undefined;
}

/** A request for one route that a framework has already found. */
export interface RoutedRequest extends GuardRequest, RouteRequest {}

export interface PerformanceHandler {
  readonly basePath: string;
  /** Every route, paths relative to the base path. */
  readonly routes: readonly Route[];
  /** The dashboard's in-process history (local mode), else undefined. */
  readonly history: MetricHistory | undefined;
  /** Open dashboard streams. */
  readonly streams: number;
  handle(req: IncomingRequest): Promise<Reply | undefined>;
  /** Runs one route: host check, access check, the route, security headers; HEAD drops the body. */
  dispatch(route: Route, req: RoutedRequest): Promise<Reply>;
  /** The JSON 404 for a path none of our routes has. */
  notFound(method: string, path: string): Reply;
  /** Stops the history and ends open streams. */
  close(): void;
}

const METHODS = new Set(['GET', 'HEAD']);

export function createPerformanceHandler(options: PerformanceHandlerOptions): PerformanceHandler {
  const basePath = normalizeBasePath(options.basePath);
  const guard = new Guard({
    token: options.token,
    allowedHosts: options.allowedHosts ?? 'any',
    dashboardPath: `${basePath}/`,
  });
  const routes: Route[] = apiRoutes({
    collector: options.collector,
    ready: options.ready,
    metricsPath: options.metricsPath,
  });
  let dashboard: Dashboard | undefined;
  if (options.dashboard !== false) {
    dashboard = createDashboard({
      collector: options.collector,
      ...(typeof options.dashboard === 'object' ? options.dashboard : {}),
    });
    routes.push(...dashboard.routes);
  }
  routes.push(openApiRoute(routes, basePath, guard.protected));

  const exact = new Map<string, Route>();
  const below: Array<[string, Route]> = [];
  for (const route of routes) {
    const key = route.path.endsWith('/*') ? route.path.slice(0, -1) : route.path;
    if (exact.has(key) || below.some(([p]) => p === key)) {
      throw new TypeError(`two routes for ${basePath}${route.path} (is metricsPath one of ours?)`);
    }
    if (route.path.endsWith('/*')) below.push([key, route]);
    else exact.set(key, route);
  }
  below.sort((a, b) => b[0].length - a[0].length);

  function match(path: string): { route: Route; rest: string } | undefined {
    const route = exact.get(path);
    if (route) return { route, rest: '' };
    for (const [prefix, r] of below)
      if (path.startsWith(prefix)) return { route: r, rest: path.slice(prefix.length) };
    return undefined;
  }

  async function dispatch(route: Route, req: RoutedRequest): Promise<Reply> {
    let reply = guard.checkHost(req) ?? guard.checkAccess(route.access, req, route.locked);
    if (!reply) {
      try {
        if (options.onRequest) await options.onRequest();
        reply = await route.handle(req);
      } catch (err) {
        reply = errorReply(
          500,
          `victor-perf could not answer ${basePath}${route.path}: ${(err as Error)?.message ?? String(err)}`,
        );
      }
    }
    const headers = { ...reply.headers, ...SECURITY_HEADERS };
    if (req.method === 'HEAD') {
      if (reply.body !== undefined) headers['content-length'] = String(Buffer.byteLength(reply.body));
      return { status: reply.status, headers };
    }
    return { ...reply, headers };
  }

  dashboard?.start();
  return {
    basePath,
    routes,
    get history() {
      return dashboard?.history;
    },
    get streams() {
      return dashboard?.streams ?? 0;
    },
    dispatch,
    notFound: (method, path) => errorReply(404, `no route ${method} ${path}; see ${basePath}${OPENAPI_PATH}`),
    async handle(req) {
      let target;
      try {
        target = parseTarget(req.target);
      } catch (err) {
        if (err instanceof TargetError) return errorReply(400, err.message);
        throw err;
      }
      let path = target.path;
      if (basePath !== '') {
        if (path === basePath && dashboard) {
          // The page's relative URLs need the trailing slash.
          return {
            status: 308,
            headers: {
              location: `${basePath}/${target.query ? `?${target.query}` : ''}`,
              ...SECURITY_HEADERS,
            },
          };
        }
        if (!path.startsWith(`${basePath}/`)) return undefined;
        path = path.slice(basePath.length);
      }
      const found = match(path);
      if (!found) return undefined;
      const method = req.method.toUpperCase();
      if (!METHODS.has(method)) {
        return errorReply(405, `${method} ${basePath}${path} is not supported; allowed: GET, HEAD`, {
          headers: { allow: 'GET, HEAD', ...SECURITY_HEADERS },
        });
      }
      return dispatch(found.route, {
        method: method as 'GET' | 'HEAD',
        rest: found.rest,
        query: new URLSearchParams(target.query),
        header: req.header,
        authority: target.authority,
      });
    },
    close() {
      dashboard?.close();
    },
  };
}
