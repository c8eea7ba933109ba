import { describe, expect, it, vi } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { ExposureError, createServer, exposureWarning, isLoopback } from '../../src/server/server.ts';

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

  it('refuses a non-loopback bind without a token, saying how to set one', () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      let error: unknown;
      try {
        createServer({ collector: new PerformanceMetricsCollector(), host, port: 0 });
      } catch (err) {
        error = err;
      }
      expect(error, host).toBeInstanceOf(ExposureError);
      const message = (error as Error).message;
      expect(message).toMatch(/^refusing to listen on /);
      for (const hint of [
        'VICTOR_PERF_TOKEN',
        '--token-file',
        '--allow-unauthenticated',
        '/metrics',
        'dashboard',
      ]) {
        expect(message, host).toContain(hint);
      }
    }
  });

  it('binds a non-loopback address when told it is protected otherwise, with a warning naming what is exposed', async () => {
    const warn = vi.fn();
    const server = createServer({
      collector: new PerformanceMetricsCollector(),
      host: '0.0.0.0',
      port: 0,
      allowUnauthenticated: true,
      warn,
    });
    try {
      const url = await server.start();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(warn).toHaveBeenCalledTimes(1);
      const message = warn.mock.calls[0]![0] as string;
      expect(message).toContain('every network interface (0.0.0.0)');
      for (const exposed of ['/api/performance/*', '/metrics', 'dashboard'])
        expect(message).toContain(exposed);
      // Not bound to loopback: no Host check by default (the address is meant to be reached by name).
      const res = await fetch(`${url}/healthz`, { headers: { host: 'metrics.internal:9000' } });
      expect(res.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('does not warn with a token or on loopback', () => {
    expect(exposureWarning('0.0.0.0', 8000, 'tok')).toBeNull();
    expect(exposureWarning('127.0.0.1', 8000, undefined)).toBeNull();
    expect(exposureWarning('10.1.2.3', 8000, undefined)).toMatch(/listens on 10\.1\.2\.3 port 8000/);
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', 'localhost.'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.1.example.com'])
      expect(isLoopback(h), h).toBe(false);
  });

  it('rejects a bad port or shutdown timeout at construction', () => {
    expect(() => createServer({ collector: new PerformanceMetricsCollector(), port: 70000 })).toThrow(
      /port must be an integer 0\.\.65535, got 70000/,
    );
    expect(() =>
      createServer({ collector: new PerformanceMetricsCollector(), shutdownTimeoutMs: -1 }),
    ).toThrow(/shutdownTimeoutMs must be a non-negative number, got -1/);
  });
});
