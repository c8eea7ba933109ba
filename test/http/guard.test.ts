import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { SESSION_COOKIE } from '../../src/api/guard.ts';
import { parseTarget } from '../../src/api/target.ts';
import { startTestServer } from '../api/helpers.ts';
import { errorShape, raw } from './raw.ts';

const TOKEN = 'corpus-token-7';
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** Spellings of protected paths, and whether each one reaches a route once normalised. */
const CORPUS: Array<[target: string, reachesRoute: boolean]> = [
  ['/dashboard/api/history', true],
  ['/%64ashboard/api/history', true],
  ['/%64%61%73%68%62%6f%61%72%64/api/history', true],
  ['/dashboard%2Fapi%2Fhistory', true],
  ['/dashboard%2fapi/history', true],
  ['/%2564ashboard/api/history', false],
  ['/%252Fdashboard/api/history', false],
  ['//dashboard/api/history', true],
  ['/dashboard//api///history', true],
  ['/./dashboard/./api/history', true],
  ['/%2e/dashboard/%2E/api/history', true],
  ['/dashboard/api/../api/history', true],
  ['/dashboard/api/%2e%2e/api/history', true],
  ['/../../dashboard/api/history', true],
  ['/dashboard/assets/../api/history', true],
  ['/DASHBOARD/api/history', false],
  ['/Dashboard/API/History', false],
  ['/dashboard./api/history', false],
  ['/dashboard/api/history.', false],
  ['/dashboard/api/history..', false],
  ['/dashboard/api/history/', false],
  ['/dashboard/api/history%20', false],
  ['/dashboard/api/history;x', false],
  ['/dashboard/api/stream?x=1', true],
  ['/dashboard/api/config', true],
  ['/', true],
  ['/%61pi/performance/summary', true],
  ['/api/performance/%73ummary', true],
  ['/api//performance/summary', true],
  ['/api/performance/./summary', true],
  ['/api/performance/x/../summary', true],
  ['/api/performance/SUMMARY', false],
  ['/api/performance/summary.', false],
  ['/api/performance/summary/', false],
  ['/%6detrics', true],
  ['///metrics', true],
  ['/metrics.', false],
  ['/METRICS', false],
  ['/api/performance/prometheus', true],
  ['/api/performance/openapi.json', true],
  ['/api/performance/openapi%2Ejson', true],
];

describe('the token guard covers every route however the path is spelled', () => {
  it('normalises a target once', () => {
    expect(parseTarget('/%64ashboard/api/history?x=%41').path).toBe('/dashboard/api/history');
    expect(parseTarget('/%2564ashboard').path).toBe('/%64ashboard');
    expect(parseTarget('http://h:1/a/../b//c/?q=1')).toEqual({
      path: '/b/c/',
      query: 'q=1',
      authority: 'h:1',
    });
    expect(parseTarget('/a/%2e%2e/%2e/b').path).toBe('/b');
    expect(() => parseTarget('/%zz')).toThrow(/malformed percent-encoding/);
    expect(() => parseTarget('/a%00b')).toThrow(/control characters/);
    expect(() => parseTarget('*')).toThrow(/must be a path/);
  });

  it('answers 401 (or 404 for no route) without the token, and the route with it', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector(), {
      token: TOKEN,
      history: { resolutionMs: 60_000 },
    });
    const origin = new URL(url).host;
    const corpus: Array<[string, boolean]> = [
      ...CORPUS,
      // Absolute-form targets, addressed to this server (the authority replaces Host).
      [`http://${origin}/dashboard/api/history`, true],
      [`http://${origin}/%64ashboard/api/history`, true],
      [`HTTP://${origin}//api/performance/summary`, true],
    ];
    for (const [target, reachesRoute] of corpus) {
      const head = target.includes('/stream') ? { method: 'HEAD' } : {};
      const anonymous = await raw(url, target, head);
      expect(anonymous.status, target).toBe(reachesRoute ? 401 : 404);
      if (!head.method)
        expect(errorShape(anonymous).error, target).toBe(reachesRoute ? 'Unauthorized' : 'Not Found');
      const withToken = await raw(url, target, { ...head, headers: BEARER });
      expect(withToken.status, target).toBe(reachesRoute ? 200 : 404);
    }
  });

  it('answers 400 for a target that is not a path', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    for (const target of ['/%zz/metrics', '/metrics%00', '/%E0%A4%A']) {
      const res = await raw(url, target);
      expect(res.status, target).toBe(400);
      expect(errorShape(res).error).toBe('Bad Request');
    }
  });

  it('refuses a malformed or forged dashboard cookie with 401, never 500', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    for (const cookie of [
      `${SESSION_COOKIE}=%`,
      `${SESSION_COOKIE}=%E0%A4%A`,
      `${SESSION_COOKIE}=`,
      `${SESSION_COOKIE}`,
      `${SESSION_COOKIE}=${TOKEN}`,
      `${SESSION_COOKIE}="${TOKEN}"`,
      `victor_perf_token=${TOKEN}`,
      `=;;=;${SESSION_COOKIE}==`,
      'x'.repeat(4000),
    ]) {
      const res = await raw(url, '/dashboard/api/config', { headers: { cookie } });
      expect(res.status, cookie).toBe(401);
      expect(errorShape(res).error).toBe('Unauthorized');
    }
  });
});

describe('Host check (DNS rebinding)', () => {
  it('answers only loopback names when bound to loopback, 421 otherwise', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector());
    const { port } = new URL(url);
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `LOCALHOST.:${port}`,
      `[::1]:${port}`,
      'localhost',
    ]) {
      const res = await raw(url, '/api/performance/summary', { headers: { host } });
      expect(res.status, host).toBe(200);
    }
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1.evil.example:${port}`,
      `[::2]:${port}`,
    ]) {
      for (const target of ['/api/performance/summary', '/metrics', '/', '/dashboard/api/stream']) {
        const res = await raw(url, target, { headers: { host } });
        expect(res.status, `${host} ${target}`).toBe(421);
        expect(errorShape(res).message).toMatch(/does not answer for host .*allowedHosts/);
      }
    }
    // An absolute-form target names the host too, and overrides Host.
    const absolute = await raw(url, `http://evil.example:${port}/metrics`, {
      headers: { host: `127.0.0.1:${port}` },
    });
    expect(absolute.status).toBe(421);
  });

  it('accepts the names a reverse proxy forwards when configured', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector(), {
      allowedHosts: ['perf.example.com', '.internal.example'],
    });
    for (const host of ['perf.example.com', 'PERF.example.com:443', 'a.internal.example', 'localhost']) {
      expect((await raw(url, '/metrics', { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ['example.com', 'internal.example.evil', 'xperf.example.com']) {
      expect((await raw(url, '/metrics', { headers: { host } })).status, host).toBe(421);
    }
    const any = await startTestServer(new PerformanceMetricsCollector(), { allowedHosts: 'any' });
    expect((await raw(any.url, '/metrics', { headers: { host: 'anything.example' } })).status).toBe(200);
  });
});

describe('dashboard responses', () => {
  it('carry a CSP without inline script, no framing, nosniff and a Referrer-Policy, locked or not', async () => {
    const open = await startTestServer(new PerformanceMetricsCollector());
    const locked = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    for (const [url, target] of [
      [open.url, '/'],
      [open.url, '/dashboard/assets/app.js'],
      [open.url, '/dashboard/api/config'],
      [locked.url, '/'],
      [locked.url, '/dashboard/api/config'],
    ] as const) {
      const res = await raw(url, target, { headers: { accept: 'text/html' } });
      const csp = String(res.headers['content-security-policy']);
      expect(csp, target).toMatch(/(^|; )script-src 'self'(;|$)/);
      expect(csp, target).toContain("frame-ancestors 'none'");
      expect(csp, target).not.toMatch(/script-src[^;]*'unsafe-/);
      expect(res.headers['x-content-type-options'], target).toBe('nosniff');
      expect(res.headers['referrer-policy'], target).toBe('no-referrer');
      expect(res.headers['x-frame-options'], target).toBe('DENY');
    }
  });

  it('answers HEAD on the live stream at once, with its headers', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector());
    const res = await raw(url, '/dashboard/api/stream', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.body).toBe('');
    const summary = await raw(url, '/api/performance/summary', { method: 'HEAD' });
    expect(summary.status).toBe(200);
    expect(Number(summary.headers['content-length'])).toBeGreaterThan(100);
    expect(summary.body).toBe('');
  });

  it('gives every error the same JSON shape', async () => {
    const { url } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    const cases: Array<[string, { method?: string; headers?: Record<string, string> }, number]> = [
      ['/%zz', {}, 400],
      ['/api/performance/summary', {}, 401],
      ['/api/performance/summary', { headers: { authorization: 'Bearer nope' } }, 401],
      ['/dashboard/api/history', {}, 401],
      ['/nowhere', {}, 404],
      ['/dashboard/assets/nope.js', { headers: BEARER }, 404],
      ['/metrics', { method: 'DELETE' }, 405],
      ['/dashboard/api/history?from=x', { headers: BEARER }, 400],
      ['/metrics', { headers: { host: 'evil.example' } }, 421],
    ];
    for (const [target, init, status] of cases) {
      const res = await raw(url, target, init);
      expect(res.status, target).toBe(status);
      expect(res.headers['content-type'], target).toBe('application/json; charset=utf-8');
      errorShape(res);
    }
  });
});
