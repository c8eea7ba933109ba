/**
 * `GET /dashboard/api/prom/api/v1/<path>`: a narrow proxy to the configured Prometheus-compatible API, so the
 * page can read it without CORS. Only GET, only the read paths the page uses, only the configured base URL
 * (the request cannot choose a host); the query string is passed through and the answer is returned as is.
 */
import type { Route } from '../api/routes.ts';
import { errorReply } from '../api/reply.ts';

export const PROXIED_PATHS = ['query', 'query_range', 'alerts', 'rules', 'status/buildinfo'] as const;
export const PROXY_TIMEOUT_MS = 15_000;

export function prometheusProxyRoute(prometheusUrl: string): Route {
  let base: URL;
  try {
    base = new URL(prometheusUrl.endsWith('/') ? prometheusUrl : prometheusUrl + '/');
  } catch {
    throw new TypeError(`prometheusUrl is not a URL: ${JSON.stringify(prometheusUrl)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`prometheusUrl must be http(s), got ${JSON.stringify(prometheusUrl)}`);
  }
  return {
    path: '/dashboard/api/prom/api/v1/*',
    access: 'dashboard',
    async handle(req) {
      if (!(PROXIED_PATHS as readonly string[]).includes(req.rest)) {
        return errorReply(404, `path not proxied: ${req.rest}; proxied: ${PROXIED_PATHS.join(', ')}`);
      }
      const search = req.query.toString();
      const target = new URL(`api/v1/${req.rest}${search ? `?${search}` : ''}`, base);
      let upstream: Response;
      try {
        upstream = await fetch(target, {
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
        });
      } catch (err) {
        return errorReply(502, `Prometheus unreachable: ${(err as Error).message}`);
      }
      return {
        status: upstream.status,
        headers: {
          'cache-control': 'no-store',
          'content-type': upstream.headers.get('content-type') ?? 'application/json',
        },
        body: Buffer.from(await upstream.arrayBuffer()),
      };
    },
  };
}
