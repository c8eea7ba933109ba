/**
 * The routes as an encapsulated Fastify plugin:
 *
 *   await app.register(performanceRoutes, { collector, prefix: '/perf', metricsPath: false });
 *
 * It registers its own GET/HEAD routes under the prefix and nothing else: no not-found or error handler, no
 * global hook, so the host's routes, 404s and 405s stay as they are (createServer owns those for the
 * standalone server). Fastify does the routing; the shared guard (host check, token, security headers) runs
 * inside each route, so it covers the route however the path was spelled.
 *
 * Typed against the few members it uses, so that Fastify 4 and 5 apps both accept it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizePath, parseTarget, TargetError } from '../api/target.ts';
import { SECURITY_HEADERS } from '../api/guard.ts';
import type { Reply } from '../api/reply.ts';
import type { Route } from '../api/routes.ts';
import { createPerformanceHandler, type PerformanceHandlerOptions } from '../http/handler.ts';
import { writeNodeReply } from '../http/node.ts';

export interface PerformanceRoutesOptions extends Omit<PerformanceHandlerOptions, 'basePath'> {
  /** Fastify's own register option: where the routes live. */
  prefix?: string;
}

/** The members of a Fastify 4 or 5 request the plugin reads. */
export interface FastifyRequestLike {
  method: string;
  url: string;
  params: unknown;
  headers: IncomingMessage['headers'];
}

/** The members of a Fastify 4 or 5 reply the plugin uses. */
export interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
  hijack(): FastifyReplyLike;
  raw: ServerResponse;
}

/**
 * The members of a Fastify 4 or 5 instance the plugin uses. Their parameters are left open (`any`): the two
 * major versions type routes and hooks differently, and a precise type here would reject one of them.
 */
export interface FastifyLike {
  version: string;
  prefix: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  route(options: any): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  addHook(name: any, hook: any): unknown;
}

export const SUPPORTED_FASTIFY = [4, 5] as const;

export class FastifyVersionError extends Error {
  override name = 'FastifyVersionError';
}

function send(reply: FastifyReplyLike, r: Reply): FastifyReplyLike {
  if (r.events) {
    reply.hijack();
    writeNodeReply(reply.raw, r);
    return reply;
  }
  reply.code(r.status).headers(r.headers);
  if (r.body === undefined) return reply.send();
  return reply.send(
    typeof r.body === 'string' ? r.body : Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength),
  );
}

async function performanceRoutesPlugin(app: FastifyLike, options: PerformanceRoutesOptions): Promise<void> {
  const major = Number(/^(\d+)\./.exec(String(app.version))?.[1]);
  if (!(SUPPORTED_FASTIFY as readonly number[]).includes(major)) {
    throw new FastifyVersionError(
      `victor-perf/fastify supports Fastify ${SUPPORTED_FASTIFY.join(' and ')}; this app runs Fastify ` +
        `${String(app.version)}. Use victor-perf/http's createRequestListener instead.`,
    );
  }
  const { prefix: _prefix, ...rest } = options;
  // The prefix only shapes links (cookie path, redirects, OpenAPI paths); Fastify routes under it itself.
  const handler = createPerformanceHandler({ ...rest, basePath: app.prefix });
  app.addHook('preClose', async () => handler.close());
  app.addHook('onClose', async () => handler.close());

  const serve = (route: Route) => async (req: FastifyRequestLike, reply: FastifyReplyLike) => {
    let target;
    try {
      target = parseTarget(req.url);
    } catch (err) {
      if (!(err instanceof TargetError)) throw err;
      target = { path: '/', query: '' };
    }
    if (route.path === '/' && !target.path.endsWith('/')) {
      // The page's relative URLs need the trailing slash.
      const location = `${handler.basePath}/${target.query ? `?${target.query}` : ''}`;
      return send(reply, { status: 308, headers: { location, ...SECURITY_HEADERS } });
    }
    const wildcard = (req.params as Record<string, string> | undefined)?.['*'];
    const r = await handler.dispatch(route, {
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      rest: route.path.endsWith('/*') ? normalizePath(`/${wildcard ?? ''}`).slice(1) : '',
      query: new URLSearchParams(target.query),
      header: (name) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v.join(', ') : v;
      },
      authority: target.authority,
    });
    return send(reply, r);
  };
  for (const route of handler.routes) {
    const options: { method: string[]; url: string; handler: ReturnType<typeof serve> } = {
      method: ['GET', 'HEAD'],
      url: route.path,
      handler: serve(route),
    };
    app.route(options);
  }
}

/** The encapsulated plugin: `app.register(performanceRoutes, { collector, prefix? , metricsPath?, token? })`. */
export const performanceRoutes = Object.assign(performanceRoutesPlugin, {
  [Symbol.for('fastify.display-name')]: 'victor-perf',
});

/**
 * `registerPerformanceRoutes(app, options)`: the description's `register_performance_routes(app)`, the same as
 * `app.register(performanceRoutes, options)`.
 */
export function registerPerformanceRoutes(
  app: {
    register(plugin: typeof performanceRoutes, options: PerformanceRoutesOptions): PromiseLike<unknown>;
  },
  options: PerformanceRoutesOptions,
): PromiseLike<unknown> {
  return app.register(performanceRoutes, options);
}
