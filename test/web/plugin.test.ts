import Fastify, { type FastifyInstance } from 'fastify';
import { createServer, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createRequestListener, type PerformanceRequestListener } from '../../src/http/node.ts';

const apps: FastifyInstance[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  while (closers.length > 0) await closers.pop()!();
});

interface Served {
  port: number;
  listener: PerformanceRequestListener;
  get(path: string, init?: RequestInit): Promise<Response>;
  json(path: string): Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The dashboard's routes on a real loopback server. */
async function dashboard(prometheusUrl?: string): Promise<Served> {
  const listener = createRequestListener({
    collector: new PerformanceMetricsCollector(),
    dashboard: {
      history: { resolutionMs: 200, retentionMs: 60_000 },
      ...(prometheusUrl ? { prometheusUrl } : {}),
    },
  });
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    listener.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as { port: number };
  const get = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${path}`, init);
  return { port, listener, get, json: async (path) => (await get(path)).json() };
}

describe('dashboard routes', () => {
  it('serves the page with a data: favicon, relative local asset URLs only, and security headers', async () => {
    const app = await dashboard();
    const res = await app.get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const body = await res.text();
    expect(body).toContain('<link rel="icon" href="data:," />');
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)/);
    const urls = [...body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (const u of urls.filter((u) => !u.startsWith('data:'))) {
      expect(u.startsWith('dashboard/assets/'), u).toBe(true);
      const asset = await app.get(`/${u}`);
      expect(asset.status, u).toBe(200);
      expect(asset.headers.get('x-content-type-options'), u).toBe('nosniff');
    }
  });

  it('serves assets with content types, ETags and cache headers', async () => {
    const app = await dashboard();
    const js = await app.get('/dashboard/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('no-cache');
    const again = await app.get('/dashboard/assets/app.js', {
      headers: { 'if-none-match': js.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    const css = await app.get('/dashboard/assets/dashboard.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const page = await (await app.get('/')).text();
    const uplot = /src="(dashboard\/assets\/vendor\/uplot-[^"]+)"/.exec(page)![1]!;
    const vendor = await app.get(`/${uplot}`);
    expect(vendor.headers.get('cache-control')).toContain('immutable');
    expect(await vendor.text()).toContain('uPlot');
    const missing = await app.get('/dashboard/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'Not Found', message: 'no such dashboard asset: nope.js' });
    expect((await app.get('/dashboard/assets/%2e%2e/dashboard.ts')).status).toBe(404);
  });

  it('describes every row and panel of the Grafana dashboard in /config', async () => {
    const app = await dashboard();
    const config = await app.json('/dashboard/api/config');
    expect(config.mode).toBe('local');
    expect(config.rows).toEqual([
      'Overview',
      'Cache Performance',
      'Tool Selection',
      'Provider Pool',
      'LLM usage',
      'Tool Execution',
      'Bootstrap',
      'Alerts',
    ]);
    const titles = config.panels.map((p: { title: string }) => p.title);
    for (const t of [
      'Tool Selection Latency P95',
      'Cache Hit Rate',
      'Memory Usage',
      'System Uptime',
      'Cache Entries by Namespace',
      'Cache Hit/Miss Ratio',
      'Cache Evictions',
      'Cache Utilization',
      'Selection Latency P50/P95/P99',
      'Selection Hit Rate by Type',
      'Selection Misses Rate',
      'Provider Health',
      'Provider Latency P95 by provider',
      'Active Providers',
      'Execution Duration P95/P99',
      'Execution Errors',
      'Top Tools by Execution',
      'Health Score',
      'Bootstrap Phases',
    ]) {
      expect(titles).toContain(t);
    }
    // Every row fills the 24-column grid exactly.
    for (const row of config.rows) {
      const spans = config.panels
        .filter((p: { row: string }) => p.row === row)
        .map((p: { span: number }) => p.span);
      expect(
        spans.reduce((a: number, b: number) => a + b, 0),
        row,
      ).toBe(24);
    }
  });

  it('answers history queries incrementally and rejects bad parameters', async () => {
    const app = await dashboard();
    const h = app.listener.handler.history!;
    expect(h.running).toBe(true);
    h.stop();
    h.sample(Date.now() + 1000);
    const all = await app.json('/dashboard/api/history?from=0');
    expect(all.t.length).toBeGreaterThanOrEqual(2);
    // Active Providers (`count(...) or vector(0)`) has a value even with nothing registered.
    const active = all.series.find((s: { panel: string }) => s.panel === 'active-providers');
    expect(active.values.length).toBe(all.t.length);
    expect(active.values.at(-1)).toBe(0);
    expect(all.latest.health_score).toBeTypeOf('number');
    const last = all.t[all.t.length - 1];
    const inc = await app.json(`/dashboard/api/history?from=${last}`);
    expect(inc.t).toEqual([last]);
    const bad = await app.get('/dashboard/api/history?from=abc');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'Bad Request',
      message: 'from and step must be non-negative integers (milliseconds)',
    });
    expect((await app.get('/dashboard/api/history?step=-5')).status).toBe(400);
  });

  it('stops the history timer on close', async () => {
    const app = await dashboard();
    const h = app.listener.handler.history!;
    expect(h.running).toBe(true);
    app.listener.close();
    expect(h.running).toBe(false);
  });

  it('streams points as server-sent events and drops the subscription when the client leaves', async () => {
    const { port, listener } = await dashboard();
    const h = listener.handler.history!;
    const chunks: string[] = [];
    const req = request({ host: '127.0.0.1', port, path: '/dashboard/api/stream' });
    const headers = await new Promise<Record<string, unknown>>((resolve, reject) => {
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => chunks.push(c));
        resolve(res.headers);
      });
      req.on('error', reject);
      req.end();
    });
    expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
    await expect.poll(() => h.subscribers).toBe(1);
    await expect.poll(() => chunks.join('').includes('event: point'), { timeout: 3000 }).toBe(true);
    const data = JSON.parse(/data: (.*)\n/.exec(chunks.join('').split('event: point')[1]!)![1]!);
    expect(data.t).toBeTypeOf('number');
    expect(data.dropped_series).toBe(0);
    const keys = h.query(0).series.map((s) => s.key);
    expect(Object.keys(data.values).length).toBeGreaterThan(0);
    for (const key of Object.keys(data.values)) expect(keys).toContain(key);
    req.destroy();
    await expect.poll(() => h.subscribers).toBe(0);
  });

  it('answers HEAD on the stream with its headers alone', async () => {
    const app = await dashboard();
    const res = await app.get('/dashboard/api/stream', { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await res.text()).toBe('');
    expect(app.listener.handler.history!.subscribers).toBe(0);
  });

  it('ends open streams on close', async () => {
    const { port, listener } = await dashboard();
    const ended = new Promise<void>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/dashboard/api/stream' }, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('close', resolve);
      }).end();
    });
    await expect.poll(() => listener.handler.history!.subscribers).toBe(1);
    listener.close();
    await ended;
    expect(listener.handler.history!.subscribers).toBe(0);
  });
});

describe('Prometheus mode', () => {
  it('proxies whitelisted GET paths to the configured URL only', async () => {
    const upstream = Fastify();
    apps.push(upstream);
    const seen: string[] = [];
    upstream.get('/prefix/api/v1/*', async (req) => {
      seen.push(req.url);
      return { status: 'success', data: { resultType: 'vector', result: [] } };
    });
    await upstream.listen({ port: 0, host: '127.0.0.1' });
    const { port } = upstream.server.address() as { port: number };
    const app = await dashboard(`http://127.0.0.1:${port}/prefix`);
    const config = await app.json('/dashboard/api/config');
    expect(config.mode).toBe('prometheus');
    expect(config.rows).toContain('Alerts');
    const q = await app.get('/dashboard/api/prom/api/v1/query?query=up%7Bjob%3D%22x%22%7D&time=1');
    expect(q.status).toBe(200);
    expect(((await q.json()) as { status: string }).status).toBe('success');
    expect(seen).toEqual(['/prefix/api/v1/query?query=up%7Bjob%3D%22x%22%7D&time=1']);
    for (const path of ['admin/tsdb/delete_series', 'query/%2e%2e/admin', 'query%2F..%2Fadmin', 'targets']) {
      expect((await app.get(`/dashboard/api/prom/api/v1/${path}`)).status, path).toBe(404);
    }
    expect(seen).toHaveLength(1);
    expect((await app.get('/dashboard/api/prom/api/v1/query', { method: 'POST' })).status).toBe(405);
    // no local history in Prometheus mode
    expect((await app.get('/dashboard/api/history')).status).toBe(404);
  });

  it('answers 502 when Prometheus is unreachable', async () => {
    const app = await dashboard('http://127.0.0.1:9');
    const res = await app.get('/dashboard/api/prom/api/v1/alerts');
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toMatch(/^Prometheus unreachable: /);
  });

  it('rejects a prometheusUrl that is not http(s)', async () => {
    await expect(dashboard('file:///etc/passwd')).rejects.toThrow(/http/);
  });
});
