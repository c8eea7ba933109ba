/**
 * `GET /dashboard/api/stream`: server-sent events pushing each new history sample to the page.
 *
 * Events: `point` with `{t, values, latest}` after every sample, and a comment line every 15 s so that proxies
 * keep the connection open. A stream ends when the client goes away (its subscription and timer are dropped
 * at once) or when the app closes (every open stream is ended before the server stops listening).
 */
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { MetricHistory } from './history.ts';

export const HEARTBEAT_MS = 15_000;

export function registerStream(app: FastifyInstance, history: MetricHistory): void {
  const open = new Set<() => void>();

  app.get('/dashboard/api/stream', (req, reply) => {
    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Tell EventSource how long to wait before reconnecting.
    res.write(`retry: ${Math.max(1000, history.resolutionMs)}\n\n`);
    const write = (chunk: string): void => {
      if (!res.writableEnded && !res.destroyed) res.write(chunk);
    };
    const unsubscribe = history.subscribe((point, snapshot) => {
      write(`event: point\ndata: ${JSON.stringify({ ...point, latest: snapshot })}\n\n`);
    });
    const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(heartbeat);
      open.delete(end);
      if (!res.writableEnded) res.end();
    };
    open.add(end);
    req.raw.on('close', end);
    res.on('close', end);
  });

  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
}
