/**
 * 404 and 405 as JSON. Fastify answers an unknown path and a known path with the wrong method alike (404);
 * here the not-found handler tells them apart: a path some route serves with another method gets 405 and an
 * `Allow` header naming the methods it does serve.
 *
 * Routes are learned through an onRoute hook (parametric and wildcard ones as patterns) and, for static paths
 * registered before the hook, through `hasRoute`.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const DECORATION = 'victorPerfFallbacks';

/** `/a/:id/*` as an anchored regular expression. */
export function routePattern(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export interface FallbackOptions {
  /** Where the 404 message points readers (default the OpenAPI document). */
  docsPath?: string;
}

export function registerFallbacks(app: FastifyInstance, options: FallbackOptions = {}): void {
  if (app.hasDecorator(DECORATION)) return;
  app.decorate(DECORATION, true);
  const docsPath = options.docsPath ?? '/api/performance/openapi.json';
  const patterns: Array<{ re: RegExp; methods: readonly string[] }> = [];

  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase());
    // Fastify exposes HEAD for every GET route.
    if (methods.includes('GET') && !methods.includes('HEAD')) methods.push('HEAD');
    patterns.push({ re: routePattern(route.url), methods });
  });

  function allowedMethods(path: string): string[] {
    const allowed = new Set<string>();
    for (const p of patterns) if (p.re.test(path)) for (const m of p.methods) allowed.add(m);
    for (const method of METHODS) if (app.hasRoute({ url: path, method })) allowed.add(method);
    return METHODS.filter((m) => allowed.has(m));
  }

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?', 1)[0] ?? req.url;
    const allowed = allowedMethods(path);
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({
          error: 'Method Not Allowed',
          message: `${req.method} ${path} is not supported; allowed: ${allowed.join(', ')}`,
        });
    }
    return reply.code(404).send({
      error: 'Not Found',
      message: `no route ${req.method} ${path}; see ${docsPath}`,
    });
  });
}
