/**
 * The routes inside someone else's app: Fastify 5 and 4 (the plugin), Express 5 and plain node:http (the
 * request listener), Hono on @hono/node-server (the fetch handler). Each host keeps its own routes and its
 * own 404s; each serves the API, the Prometheus text, OpenAPI and the dashboard with its live stream.
 */
import { serve, type ServerType } from '@hono/node-server';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import Fastify4 from 'fastify4';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { performanceRoutes, registerPerformanceRoutes } from '../../src/fastify/index.ts';
import {
  createFetchHandler,
  createRequestListener,
  type PerformanceHandler,
  type PerformanceRequestListener,
} from '../../src/http/index.ts';
import { SystemMonitor } from '../../src/sources/system.ts';
import { checkServing, TOKEN } from './check.ts';
import { errorShape, raw } from './raw.ts';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

function collector(): PerformanceMetricsCollector {
  const system = new SystemMonitor();
  cleanup.push(() => system.close());
  return new PerformanceMetricsCollector().registerSystem(system);
}

/** Lets the check push a sample at once and watch the stream subscribe and leave. */
function streamHooks(handler: PerformanceHandler): { sample(): void; subscribers(): number } {
  return { sample: () => handler.history!.sample(), subscribers: () => handler.history!.subscribers };
}

/** The common checks under /perf, and the host's own /hello still answering. */
async function checkHostUnderPerf(origin: string, handler: PerformanceHandler): Promise<void> {
  await checkServing({ origin, basePath: '/perf', metricsPath: '/metrics', ...streamHooks(handler) });
  expect(JSON.parse((await raw(origin, '/hello')).body)).toEqual({ hello: 'world' });
}

/** Fast sampling so that the stream has points within a test. */
const dashboard = { history: { resolutionMs: 250 } };

/** The request listener under /perf with the token, closed after the test. */
function perfListener(): PerformanceRequestListener {
  const perf = createRequestListener({ collector: collector(), basePath: '/perf', token: TOKEN, dashboard });
  cleanup.push(() => perf.close());
  return perf;
}

async function listen(server: Server | ServerType): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        (server as Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The host's own routes and not-found handler, and the plugin under /perf. */
async function fastifyHost(app: FastifyInstance): Promise<string> {
  cleanup.push(() => app.close());
  app.get('/metrics', async () => 'host metrics\n');
  app.get('/hello', async () => ({ hello: 'world' }));
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ host: 'not found', url: req.url }));
  await app.register(performanceRoutes, { collector: collector(), prefix: '/perf', token: TOKEN, dashboard });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

// A Fastify 4 app's register() accepts the plugin with Fastify 4's own types (checked by tsc).
const _acceptedByFastify4: Parameters<ReturnType<typeof Fastify4>['register']>[0] = performanceRoutes;

describe('Fastify host (encapsulated plugin)', () => {
  for (const [version, start] of [
    ['5', () => fastifyHost(Fastify())],
    // Same host code at run time; the types differ only in declarations.
    ['4', () => fastifyHost(Fastify4() as unknown as FastifyInstance)],
  ] as const) {
    it(`Fastify ${version}: own /metrics and not-found handler stay, routes under the prefix`, async () => {
      const origin = await start();
      await checkServing({ origin, basePath: '/perf', metricsPath: '/metrics' });

      expect((await raw(origin, '/metrics')).body).toBe('host metrics\n');
      expect(JSON.parse((await raw(origin, '/hello')).body)).toEqual({ hello: 'world' });
      for (const [target, method] of [
        ['/nope', 'GET'],
        ['/perf/nope', 'GET'],
        ['/perf/api/performance/summary', 'POST'],
        ['/hello', 'DELETE'],
      ] as const) {
        const res = await raw(origin, target, { method });
        expect(res.status, `${method} ${target}`).toBe(404);
        expect(JSON.parse(res.body), `${method} ${target}`).toEqual({ host: 'not found', url: target });
      }
    });
  }

  it('without a prefix, next to the host /metrics when metricsPath is false; registerPerformanceRoutes', async () => {
    const app = Fastify();
    cleanup.push(() => app.close());
    app.get('/metrics', async () => 'host metrics\n');
    await registerPerformanceRoutes(app, {
      collector: collector(),
      token: TOKEN,
      metricsPath: false,
      dashboard,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    await checkServing({ origin, basePath: '', metricsPath: null });
    expect((await raw(origin, '/metrics')).body).toBe('host metrics\n');
    // Fastify's own 404 body, not ours.
    expect(JSON.parse((await raw(origin, '/nope')).body)).toMatchObject({ statusCode: 404 });
  });

  it('names the version it cannot serve', async () => {
    const fake = { version: '3.29.5', prefix: '', route: () => {}, addHook: () => {} };
    await expect(performanceRoutes(fake, { collector: collector() })).rejects.toThrow(
      /supports Fastify 4 and 5; this app runs Fastify 3\.29\.5/,
    );
  });
});

describe('Express 5 host (request listener)', () => {
  for (const mount of ['app.use(listener)', "app.use('/perf', listener)"]) {
    it(`serves under /perf with ${mount}; the host keeps its routes and 404s`, async () => {
      const perf = perfListener();
      const app = express();
      app.get('/hello', (_req, res) => {
        res.json({ hello: 'world' });
      });
      if (mount === 'app.use(listener)') app.use(perf);
      else app.use('/perf', perf);
      app.use((_req, res) => {
        res.status(404).json({ host: 'not found' });
      });
      const origin = await listen(createServer(app));
      await checkHostUnderPerf(origin, perf.handler);
      expect(JSON.parse((await raw(origin, '/perf/nope')).body)).toEqual({ host: 'not found' });
      expect(JSON.parse((await raw(origin, '/metrics')).body)).toEqual({ host: 'not found' });
    });
  }
});

describe('plain node:http host (request listener)', () => {
  it('calls next() for paths it does not own', async () => {
    const perf = perfListener();
    const origin = await listen(
      createServer((req, res) =>
        perf(req, res, () => {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('host 404');
        }),
      ),
    );
    await checkServing({
      origin,
      basePath: '/perf',
      metricsPath: '/metrics',
      ...streamHooks(perf.handler),
    });
    expect((await raw(origin, '/elsewhere')).body).toBe('host 404');
    expect((await raw(origin, '/perf/elsewhere')).body).toBe('host 404');
    const wrongMethod = await raw(origin, '/perf/metrics', { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
  });

  it('answers the JSON 404 itself without next', async () => {
    const perf = createRequestListener({ collector: collector(), dashboard: false });
    cleanup.push(() => perf.close());
    const origin = await listen(createServer(perf));
    const res = await raw(origin, '/elsewhere');
    expect(res.status).toBe(404);
    expect(errorShape(res).message).toBe('no route GET /elsewhere; see /api/performance/openapi.json');
    expect((await raw(origin, '/')).status).toBe(404);
    expect((await raw(origin, '/metrics')).status).toBe(200);
  });
});

describe('Hono host (fetch handler on @hono/node-server)', () => {
  it('serves under /perf; the host keeps its routes and 404s', async () => {
    const perf = createFetchHandler({ collector: collector(), basePath: '/perf', token: TOKEN, dashboard });
    cleanup.push(() => perf.close());
    const app = new Hono();
    app.get('/hello', (c) => c.json({ hello: 'world' }));
    app.all('/perf', (c) => perf(c.req.raw));
    app.all('/perf/*', (c) => perf(c.req.raw));
    app.notFound((c) => c.json({ host: 'not found' }, 404));
    const origin = await listen(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }));
    await checkHostUnderPerf(origin, perf.handler);
    expect(JSON.parse((await raw(origin, '/nope')).body)).toEqual({ host: 'not found' });
    const notOurs = await raw(origin, '/perf/nope');
    expect(notOurs.status).toBe(404);
    expect(errorShape(notOurs).message).toBe(
      'no route GET /perf/nope; see /perf/api/performance/openapi.json',
    );
  });
});
