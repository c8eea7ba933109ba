/**
 * Graceful shutdown: SIGTERM stops accepting, ends live streams, lets requests in flight finish (bounded by
 * the shutdown timeout), then the process exits 0. The request held in flight is a real one: the dashboard's
 * Prometheus proxy waiting on an upstream that answers only when the test says so.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer as createHttpServer, request, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createServer } from '../../src/server/server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

/** A Prometheus stand-in whose `query` answers hang until `release()`. */
async function slowPrometheus(): Promise<{ url: string; waiting(): number; release(): void }> {
  const held: ServerResponse[] = [];
  const server: Server = createHttpServer((_req, res) => {
    held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    waiting: () => held.length,
    release() {
      for (const res of held.splice(0)) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"success","data":{"resultType":"vector","result":[]}}');
      }
    },
  };
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A GET whose outcome (status and body, or the error) is kept. */
function get(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    req.end();
  });
}

describe('victor-perf serve on SIGTERM (child process)', () => {
  it('stops accepting, finishes the request in flight, and exits 0', async () => {
    const upstream = await slowPrometheus();
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--prometheus-url', upstream.url],
      { cwd: ROOT, env: { ...process.env, VICTOR_PERF_TOKEN: '', VICTOR_PERF_HOST: '' } },
    );
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    await until('the banner', () => /listening on (http:\S+)/.test(stdout));
    const base = /listening on (http:\S+)/.exec(stdout)![1]!;
    const inFlight = get(`${base}/dashboard/api/prom/api/v1/query?query=up`);
    await until('the proxied request to reach the upstream', () => upstream.waiting() === 1);

    child.kill('SIGTERM');
    await until('the shutdown to begin', () => stdout.includes('SIGTERM: shutting down'));
    // No longer accepting: a new connection is refused while the old request is still open.
    expect(await get(`${base}/healthz`)).toEqual({ error: 'ECONNREFUSED' });
    expect(child.exitCode).toBeNull();

    upstream.release();
    expect(await inFlight).toEqual({
      status: 200,
      body: '{"status":"success","data":{"resultType":"vector","result":[]}}',
    });
    expect(await exited, stderr).toBe(0);
  });
});

describe('createServer close()', () => {
  it('ends live streams and answers the request in flight before resolving', async () => {
    const upstream = await slowPrometheus();
    const local = createServer({ collector: new PerformanceMetricsCollector(), port: 0 });
    const proxied = createServer({
      collector: new PerformanceMetricsCollector(),
      port: 0,
      prometheusUrl: upstream.url,
    });
    cleanup.push(
      () => local.close(),
      () => proxied.close(),
    );
    const localUrl = await local.start();
    const proxiedUrl = await proxied.start();

    const streamEnded = new Promise<string>((resolve) => {
      request(`${localUrl}/dashboard/api/stream`, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      }).end();
    });
    await until('the stream to subscribe', () => local.history!.subscribers === 1);
    await local.close();
    expect(await streamEnded).toMatch(/^retry: \d+\n\n/);
    expect(local.history!.subscribers).toBe(0);
    expect(local.server.listening).toBe(false);

    const inFlight = get(`${proxiedUrl}/dashboard/api/prom/api/v1/query?query=up`);
    await until('the proxied request to reach the upstream', () => upstream.waiting() === 1);
    let closed = false;
    const closing = proxied.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false);
    upstream.release();
    expect(await inFlight).toMatchObject({ status: 200 });
    await closing;
  });

  it('closes what is still open once the shutdown timeout has passed', async () => {
    const upstream = await slowPrometheus();
    const server = createServer({
      collector: new PerformanceMetricsCollector(),
      port: 0,
      prometheusUrl: upstream.url,
      shutdownTimeoutMs: 300,
    });
    cleanup.push(() => server.close());
    const url = await server.start();
    const inFlight = get(`${url}/dashboard/api/prom/api/v1/query?query=up`);
    await until('the proxied request to reach the upstream', () => upstream.waiting() === 1);
    await server.close();
    expect(await inFlight).toHaveProperty('error');
    upstream.release();
  });
});
