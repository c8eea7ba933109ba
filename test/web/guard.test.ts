import { describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { SESSION_COOKIE } from '../../src/api/guard.ts';
import { startTestServer } from '../api/helpers.ts';

const TOKEN = 'dash-token-1';

describe('dashboard token protection', () => {
  it('locks the page and its data without the token', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    const page = await get('/', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('?token=&lt;your token&gt;');
    for (const path of ['/', '/dashboard/api/config', '/dashboard/api/history', '/dashboard/api/stream']) {
      const res = await get(path);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({
        error: 'Unauthorized',
        message: 'the dashboard needs its token: open /?token=<token>',
      });
    }
    expect((await get('/?token=wrong')).status).toBe(401);
    for (const cookie of [
      `${SESSION_COOKIE}=wrong`,
      `${SESSION_COOKIE}=${TOKEN}`,
      `${SESSION_COOKIE}=%`,
      '%=%; ;=',
    ]) {
      expect((await get('/', { headers: { cookie } })).status, cookie).toBe(401);
    }
  });

  it('opens with the token once in the URL (then a cookie that is not the token), or a bearer header', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    const login = await get(`/?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict$`),
    );
    expect(cookie).not.toContain(TOKEN);
    const withCookie = { headers: { cookie: cookie.split(';')[0]! } };
    expect((await get('/', withCookie)).status).toBe(200);
    expect((await get('/dashboard/api/config', withCookie)).status).toBe(200);
    const bearer = await get('/dashboard/api/config', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    // The API itself still wants the header, not the cookie.
    expect((await get('/api/performance/summary', withCookie)).status).toBe(401);
  });

  it('leaves the dashboard open when no token is set', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector());
    expect((await get('/')).status).toBe(200);
    expect((await get('/dashboard/api/config')).status).toBe(200);
  });
});
