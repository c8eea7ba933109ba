import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { registerDashboard } from '../../src/web/plugin.ts';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function dashboard(prometheusUrl?: string): Promise<FastifyInstance> {
  const app = Fastify();
  apps.push(app);
  await registerDashboard(app, {
    collector: new PerformanceMetricsCollector(),
    history: { resolutionMs: 200, retentionMs: 60_000 },
    ...(prometheusUrl ? { prometheusUrl } : {}),
  });
  return app;
}

describe('dashboard routes', () => {
  it('serves the page with a data: favicon and local asset URLs only', async () => {
    const app = await dashboard();
    const res = await app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<link rel="icon" href="data:," />');
    const urls = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (const u of urls.filter((u) => !u.startsWith('data:'))) {
      expect(u.startsWith('/dashboard/assets/'), u).toBe(true);
      const asset = await app.inject(u);
      expect(asset.statusCode, u).toBe(200);
    }
  });

  it('serves assets with content types, ETags and cache headers', async () => {
    const app = await dashboard();
    const js = await app.inject('/dashboard/assets/app.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('no-cache');
    const again = await app.inject({
      url: '/dashboard/assets/app.js',
      headers: { 'if-none-match': js.headers.etag },
    });
    expect(again.statusCode).toBe(304);
    const css = await app.inject('/dashboard/assets/dashboard.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const page = await app.inject('/');
    const uplot = /src="(\/dashboard\/assets\/vendor\/uplot-[^"]+)"/.exec(page.body)![1]!;
    const vendor = await app.inject(uplot);
    expect(vendor.headers['cache-control']).toContain('immutable');
    expect(vendor.body).toContain('uPlot');
    expect((await app.inject('/dashboard/assets/nope.js')).statusCode).toBe(404);
    expect((await app.inject('/dashboard/assets/../plugin.ts')).statusCode).toBe(404);
  });

  it('describes every row and panel of the Grafana dashboard in /config', async () => {
    const app = await dashboard();
    const config = (await app.inject('/dashboard/api/config')).json();
    expect(config.mode).toBe('local');
    expect(config.rows).toEqual([
      'Overview',
      'Cache Performance',
      'Tool Selection',
      'Provider Pool',
      'Tool Execution',
      'Bootstrap',
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
    await app.ready();
    const h = app.dashboardHistory!;
    expect(h.running).toBe(true);
    h.stop();
    h.sample(Date.now() + 1000);
    const all = (await app.inject('/dashboard/api/history?from=0')).json();
    expect(all.t.length).toBeGreaterThanOrEqual(2);
    expect(all.series.health_score.length).toBe(all.t.length);
    expect(all.latest.health_score).toBeTypeOf('number');
    const last = all.t[all.t.length - 1];
    const inc = (await app.inject(`/dashboard/api/history?from=${last}`)).json();
    expect(inc.t).toEqual([last]);
    expect((await app.inject('/dashboard/api/history?from=abc')).statusCode).toBe(400);
    expect((await app.inject('/dashboard/api/history?step=-5')).statusCode).toBe(400);
  });

  it('stops the history timer when the app closes', async () => {
    const app = await dashboard();
    await app.ready();
    const h = app.dashboardHistory!;
    await app.close();
    expect(h.running).toBe(false);
  });

  it('streams points as server-sent events and drops the subscription when the client leaves', async () => {
    const app = await dashboard();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const h = app.dashboardHistory!;
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
    expect(data.values).toHaveProperty('health_score');
    req.destroy();
    await expect.poll(() => h.subscribers).toBe(0);
  });

  it('ends open streams when the app closes', async () => {
    const app = await dashboard();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const ended = new Promise<void>((resolve) => {
      request({ host: '127.0.0.1', port, path: '/dashboard/api/stream' }, (res) => {
        res.resume();
        res.on('end', resolve);
        res.on('close', resolve);
      }).end();
    });
    await expect.poll(() => app.dashboardHistory!.subscribers).toBe(1);
    await app.close();
    await ended;
    expect(app.dashboardHistory!.subscribers).toBe(0);
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
    const config = (await app.inject('/dashboard/api/config')).json();
    expect(config.mode).toBe('prometheus');
    expect(config.rows).toContain('Alerts');
    const q = await app.inject('/dashboard/api/prom/api/v1/query?query=up%7Bjob%3D%22x%22%7D&time=1');
    expect(q.statusCode).toBe(200);
    expect(q.json().status).toBe('success');
    expect(seen).toEqual(['/prefix/api/v1/query?query=up%7Bjob%3D%22x%22%7D&time=1']);
    for (const path of ['admin/tsdb/delete_series', 'query/../admin', 'targets']) {
      expect((await app.inject(`/dashboard/api/prom/api/v1/${path}`)).statusCode, path).toBe(404);
    }
    expect((await app.inject({ method: 'POST', url: '/dashboard/api/prom/api/v1/query' })).statusCode).toBe(
      404,
    );
    // no local history in Prometheus mode
    expect((await app.inject('/dashboard/api/history')).statusCode).toBe(404);
  });

  it('answers 502 when Prometheus is unreachable', async () => {
    const app = await dashboard('http://127.0.0.1:9');
    const res = await app.inject('/dashboard/api/prom/api/v1/alerts');
    expect(res.statusCode).toBe(502);
  });

  it('rejects a prometheusUrl that is not http(s)', async () => {
    await expect(dashboard('file:///etc/passwd')).rejects.toThrow(/http/);
  });
});
