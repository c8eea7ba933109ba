/**
 * What every host app must show once the routes are added: the API behind the token, the Prometheus text,
 * the OpenAPI document with the host's paths, the dashboard's login, page, live stream and HEAD, and the
 * one error shape. Run against each host over real HTTP on loopback.
 */
import { request } from 'node:http';
import { expect } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/guard.ts';
import { errorShape, raw } from './raw.ts';

export const TOKEN = 'host-app-token-1';
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** Opens the live stream and resolves with what it received once `enough` holds; then hangs up. */
export function readStream(url: string, cookie: string, enough: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { cookie }, agent: false }, (res) => {
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        if (enough(text)) {
          req.destroy();
          resolve(text);
        }
      });
      res.on('end', () => reject(new Error(`stream ended early: ${text}`)));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('no stream data within 20 s')));
    req.on('error', reject);
    req.end();
  });
}

export interface HostCheck {
  /** Origin of the host app, e.g. http://127.0.0.1:1234. */
  origin: string;
  /** Where the routes are mounted ('' or '/perf'). */
  basePath: string;
  /** Where the Prometheus text is served besides /api/performance/prometheus, or null. */
  metricsPath: string | null;
  /** Push a history sample now (so the stream has a point without waiting), when the test can reach it. */
  sample?: () => void;
  /** Open streams, when the test can see them. */
  subscribers?: () => number;
  /** Wait for a history point on the stream (default true); else its first line is enough. */
  streamPoint?: boolean;
}

export async function checkServing(h: HostCheck): Promise<void> {
  const base = h.origin + h.basePath;
  const summaryPath = `${h.basePath}/api/performance/summary`;

  const anonymous = await raw(h.origin, summaryPath);
  expect(anonymous.status).toBe(401);
  expect(errorShape(anonymous).message).toBe('this endpoint needs an Authorization: Bearer <token> header');
  const summary = await raw(h.origin, summaryPath, { headers: BEARER });
  expect(summary.status).toBe(200);
  expect(JSON.parse(summary.body)).toHaveProperty('health_score');
  expect(summary.headers['x-content-type-options']).toBe('nosniff');
  expect((await raw(h.origin, `${h.basePath}/%61pi/performance/summary`)).status).not.toBe(200);

  for (const path of [h.metricsPath, '/api/performance/prometheus'].filter((p) => p !== null)) {
    expect((await raw(h.origin, h.basePath + path)).status, path).toBe(401);
    const text = await raw(h.origin, h.basePath + path, { headers: BEARER });
    expect(text.status, path).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.body).toContain('# TYPE ');
  }

  const doc = JSON.parse(
    (await raw(h.origin, `${h.basePath}/api/performance/openapi.json`, { headers: BEARER })).body,
  );
  expect(Object.keys(doc.paths)).toContain(summaryPath);

  // The dashboard: locked, then a login that sets a session cookie scoped to the base path.
  const locked = await raw(h.origin, `${h.basePath}/`, { headers: { accept: 'text/html' } });
  expect(locked.status).toBe(401);
  expect(locked.body).toContain('needs its access token');
  expect((await raw(h.origin, `${h.basePath}/dashboard/api/config`)).status).toBe(401);
  const login = await raw(h.origin, `${h.basePath}/?token=${TOKEN}`);
  expect(login.status).toBe(303);
  expect(login.headers.location).toBe(`${h.basePath}/`);
  const setCookie = String(login.headers['set-cookie']);
  expect(setCookie).toContain(`Path=${h.basePath}/;`);
  expect(setCookie).not.toContain(TOKEN);
  const cookie = setCookie.split(';')[0]!;
  expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
  const page = await raw(h.origin, `${h.basePath}/`, { headers: { cookie } });
  expect(page.status).toBe(200);
  expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  const script = /src="(dashboard\/assets\/app\.js)"/.exec(page.body)![1]!;
  expect((await raw(h.origin, `${h.basePath}/${script}`, { headers: { cookie } })).status).toBe(200);
  expect((await raw(h.origin, `${h.basePath}/dashboard/api/config`, { headers: { cookie } })).status).toBe(
    200,
  );
  if (h.basePath !== '') {
    const bare = await raw(h.origin, h.basePath);
    expect(bare.status).toBe(308);
    expect(bare.headers.location).toBe(`${h.basePath}/`);
  }

  // The live stream, through the host: headers, then a point; released when the client leaves.
  const head = await raw(h.origin, `${h.basePath}/dashboard/api/stream`, {
    method: 'HEAD',
    headers: { cookie },
  });
  expect(head.status).toBe(200);
  expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  const before = h.subscribers?.() ?? 0;
  if (h.streamPoint === false) {
    expect(await readStream(`${base}/dashboard/api/stream`, cookie, (t) => t.includes('\n\n'))).toMatch(
      /^retry: \d+\n\n/,
    );
    return;
  }
  const received = readStream(`${base}/dashboard/api/stream`, cookie, (t) => t.includes('event: point'));
  if (h.sample) {
    const sample = h.sample;
    await expect.poll(() => h.subscribers?.() ?? 1).toBe(before + 1);
    sample();
  }
  const text = await received;
  const point = JSON.parse(/event: point\ndata: (.*)\n/.exec(text)![1]!);
  // The panels' values by series key (Active Providers always has one), and the snapshot they came with.
  expect(Object.keys(point.values).length).toBeGreaterThan(0);
  expect(point.latest).toHaveProperty('health_score');
  if (h.subscribers) await expect.poll(() => h.subscribers!()).toBe(before);
}
