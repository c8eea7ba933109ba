import { describe, expect, it, vi } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createServer, exposureWarning, isLoopback } from '../../src/api/server.ts';
import { performanceRoutes } from '../../src/api/routes.ts';
import Fastify from 'fastify';

describe('createServer', () => {
  it('binds 127.0.0.1 by default and returns the real URL for port 0', async () => {
    const warn = vi.fn();
    const server = createServer({ collector: new PerformanceMetricsCollector(), port: 0, warn });
    const url = await server.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(warn).not.toHaveBeenCalled();
    await server.close();
    await server.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('warns, naming what is exposed, when binding a non-loopback address without a token', async () => {
    const warn = vi.fn();
    const server = createServer({
      collector: new PerformanceMetricsCollector(),
      host: '0.0.0.0',
      port: 0,
      warn,
    });
    try {
      const url = await server.start();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(warn).toHaveBeenCalledTimes(1);
      const message = warn.mock.calls[0]![0] as string;
      expect(message).toContain('every network interface (0.0.0.0)');
      for (const exposed of [
        '/api/performance/*',
        '/metrics',
        'dashboard',
        'VICTOR_PERF_TOKEN',
        '--token-file',
      ]) {
        expect(message).toContain(exposed);
      }
    } finally {
      await server.close();
    }
  });

  it('does not warn with a token or on loopback', () => {
    expect(exposureWarning('0.0.0.0', 8000, 'tok')).toBeNull();
    expect(exposureWarning('127.0.0.1', 8000, undefined)).toBeNull();
    expect(exposureWarning('10.1.2.3', 8000, undefined)).toMatch(/listens on 10\.1\.2\.3 port 8000/);
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) expect(isLoopback(h), h).toBe(false);
  });

  it('rejects a bad port at construction', () => {
    expect(() => createServer({ collector: new PerformanceMetricsCollector(), port: 70000 })).toThrow(
      /port must be an integer 0\.\.65535, got 70000/,
    );
  });
});

describe('performanceRoutes as a plugin', () => {
  it('registers the same routes through app.register, on the app itself', async () => {
    const app = Fastify();
    await app.register(performanceRoutes, { collector: new PerformanceMetricsCollector() });
    app.get('/mine', async () => ({ ok: true }));
    const summary = await app.inject('/api/performance/summary');
    expect(summary.statusCode).toBe(200);
    expect(summary.json()).toHaveProperty('health_score');
    expect((await app.inject('/mine')).json()).toEqual({ ok: true });
    const wrong = await app.inject({ method: 'PUT', url: '/mine' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    expect((await app.inject('/nothing')).statusCode).toBe(404);
    await app.close();
  });

  it('needs a collector', async () => {
    const app = Fastify();
    await expect(app.register(performanceRoutes, {} as never)).rejects.toThrow(/options\.collector/);
    await app.close();
  });
});
