import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// Wraps timingSafeEqual so the tests can see that every token check goes through it, on equal lengths.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { timingSafeEqual } = await import('node:crypto');
const { PerformanceMetricsCollector } = await import('../../src/collector/collector.ts');
const { bearerToken, resolveToken, tokenMatcher, TokenError } = await import('../../src/api/auth.ts');
const { PROTECTED_PATHS: PROTECTED, startTestServer } = await import('./helpers.ts');

const TOKEN = 's3cret-token';

describe('bearer token protection', () => {
  it('answers 401 without a token or with a wrong one, 200 with it; probes stay open', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    for (const path of PROTECTED) {
      const none = await get(path);
      expect(none.status, path).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="victor-perf"');
      expect(await none.json()).toEqual({
        error: 'Unauthorized',
        message: 'this endpoint needs an Authorization: Bearer <token> header',
      });

      for (const wrong of [`Bearer ${TOKEN}x`, 'Bearer s3cret', `Basic ${TOKEN}`, TOKEN]) {
        const res = await get(path, { headers: { authorization: wrong } });
        expect(res.status, `${path} with ${wrong}`).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="victor-perf"/);
      }

      const ok = await get(path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status, path).toBe(200);
      await ok.arrayBuffer();
    }
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
  });

  it('documents the bearer scheme in the OpenAPI document', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector(), { token: TOKEN });
    const doc = (await (
      await get('/api/performance/openapi.json', {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as { paths: Record<string, { get: { security?: unknown; responses: object } }> };
    expect(doc.paths['/metrics']!.get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/metrics']!.get.responses).toHaveProperty('401');
    expect(doc.paths['/healthz']!.get.security).toBeUndefined();
  });

  it('compares in constant time: timingSafeEqual on equal-length digests, whatever the length sent', () => {
    const spy = vi.mocked(timingSafeEqual);
    spy.mockClear();
    const matches = tokenMatcher(TOKEN);
    expect(matches(TOKEN)).toBe(true);
    expect(matches('x')).toBe(false);
    expect(matches(TOKEN + 'much longer than the token')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(3);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('parses the Authorization header', () => {
    expect(bearerToken(`Bearer ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(`bearer   ${TOKEN}`)).toBe(TOKEN);
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken(`Bearer a b`)).toBeUndefined();
    expect(bearerToken(`Basic ${TOKEN}`)).toBeUndefined();
  });

  it('refuses an empty token or one with whitespace', () => {
    expect(() => tokenMatcher('')).toThrow(TokenError);
    expect(() => tokenMatcher('a b')).toThrow(/without whitespace/);
  });
});

describe('resolveToken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'victor-perf-token-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the first line of the token file, before the environment', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\nignored\n`);
    expect(resolveToken({ tokenFile: file, env: { VICTOR_PERF_TOKEN: 'from-env' } })).toBe(TOKEN);
  });

  it('falls back to VICTOR_PERF_TOKEN, else no token', () => {
    expect(resolveToken({ env: { VICTOR_PERF_TOKEN: ' from-env ' } })).toBe('from-env');
    expect(resolveToken({ env: {} })).toBeUndefined();
    expect(resolveToken({ env: { VICTOR_PERF_TOKEN: '' } })).toBeUndefined();
  });

  it('fails on an empty or missing file rather than silently serving unprotected', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => resolveToken({ tokenFile: empty })).toThrow(/is empty/);
    expect(() => resolveToken({ tokenFile: join(dir, 'missing') })).toThrow(/cannot read token file/);
  });
});
