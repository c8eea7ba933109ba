/**
 * README's "Add to an existing Fastify / Express / Hono / Next app" snippets, run as written: each is taken
 * from README.md, written to a module inside the repository (so that `victor-perf/...` and the frameworks
 * resolve as they do for the tests), imported, served on loopback and checked like the host-app tests.
 */
import { serve } from '@hono/node-server';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkServing, TOKEN } from './check.ts';
import { raw } from './raw.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, '.tmp', 'readme-snippets');

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Add to an existing Fastify / Express / Hono / Next app'));
const snippets = new Map(
  [
    ...section
      .slice(0, section.indexOf('\n## ', 4))
      .matchAll(/<!-- snippet: (\w+) -->\n\n```ts\n([\s\S]*?)```/g),
  ].map((m) => [m[1]!, m[2]!]),
);

const cleanup: Array<() => unknown> = [];
const savedToken = process.env.VICTOR_PERF_TOKEN;
process.env.VICTOR_PERF_TOKEN = TOKEN;
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});
afterAll(() => {
  if (savedToken === undefined) delete process.env.VICTOR_PERF_TOKEN;
  else process.env.VICTOR_PERF_TOKEN = savedToken;
  rmSync(DIR, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function load(name: string): Promise<any> {
  const code = snippets.get(name);
  if (code === undefined) throw new Error(`README has no snippet ${name}`);
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `${name}.ts`);
  writeFileSync(file, code);
  return import(pathToFileURL(file).href);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const check = (origin: string) =>
  checkServing({ origin, basePath: '/perf', metricsPath: '/metrics', streamPoint: false });

describe('README: add to an existing app', () => {
  it('has the five snippets', () => {
    expect([...snippets.keys()]).toEqual(['fastify', 'express', 'hono', 'next', 'node']);
  });

  it('Fastify', async () => {
    const { app } = await load('fastify');
    cleanup.push(() => app.close());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${app.server.address().port}`;
    await check(origin);
    expect((await raw(origin, '/metrics')).body).toBe('# your own /metrics stays yours\n');
  });

  it('Express', async () => {
    const { app } = await load('express');
    await check(await listen(app.listen(0, '127.0.0.1')));
  });

  it('Hono', async () => {
    const { app } = await load('hono');
    await check(await listen(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server));
  });

  it('Next route handlers', async () => {
    const route = await load('next');
    expect(route.runtime).toBe('nodejs');
    // As Next calls a route handler: the function exported for the request's method.
    const origin = await listen(
      serve({ fetch: (req: Request) => route[req.method](req), port: 0, hostname: '127.0.0.1' }) as Server,
    );
    await check(origin);
  });

  it('node:http', async () => {
    const { server } = await load('node');
    const origin = await listen(server);
    await check(origin);
    expect((await raw(origin, '/elsewhere')).body).toBe('your app answers here\n');
  });
});
