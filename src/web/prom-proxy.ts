/**
 * `GET /dashboard/api/prom/api/v1/<path>`: a narrow proxy to the configured Prometheus-compatible API, so the
 * page can read it without CORS. Only GET, only the read paths the page uses, only the configured base URL
 * (the request cannot choose a host); the query string is passed through and the answer is returned as is.
 */
import type { FastifyInstance } from 'fastify';

export const PROXIED_PATHS = ['query', 'query_range', 'alerts', 'rules', 'status/buildinfo'] as const;
export const PROXY_TIMEOUT_MS = 15_000;

export function registerPrometheusProxy(app: FastifyInstance, prometheusUrl: string): void {
  let base: URL;
  try {
    base = new URL(prometheusUrl.endsWith('/') ? prometheusUrl : prometheusUrl + '/');
  } catch {
    throw new TypeError(`prometheusUrl is not a URL: ${JSON.stringify(prometheusUrl)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new TypeError(`prometheusUrl must be http(s), got ${JSON.stringify(prometheusUrl)}`);
  }

  app.get('/dashboard/api/prom/api/v1/*', async (req, reply) => {
    const [path, search = ''] = req.url.slice('/dashboard/api/prom/api/v1/'.length).split(/\?(.*)/s);
    if (!(PROXIED_PATHS as readonly string[]).includes(path!)) {
      return reply.code(404).send({ status: 'error', error: `path not proxied: ${path}` });
    }
    const target = new URL(`api/v1/${path}${search ? `?${search}` : ''}`, base);
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(PROXY_TIMEOUT_MS),
      });
    } catch (err) {
      return reply
        .code(502)
        .send({ status: 'error', error: `Prometheus unreachable: ${(err as Error).message}` });
    }
    reply
      .code(upstream.status)
      .header('cache-control', 'no-store')
      .type(upstream.headers.get('content-type') ?? 'application/json');
    return Buffer.from(await upstream.arrayBuffer());
  });
}
