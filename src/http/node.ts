/**
 * The routes as a `node:http` request listener, also usable as Express or Connect middleware:
 *
 *   http.createServer(createRequestListener({ collector }))
 *   app.use(createRequestListener({ collector, basePath: '/perf' }))        // Express, Connect
 *
 * For a path that is not ours the listener calls `next()` when given one, else answers the JSON 404.
 * Under Express, `req.originalUrl` is used, so mounting with `app.use('/perf', ...)` works as well as
 * without a mount path (give the same `basePath` either way).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorReply, type Reply } from '../api/reply.ts';
import {
  createPerformanceHandler,
  type PerformanceHandler,
  type PerformanceHandlerOptions,
} from './handler.ts';

export type NodeHandlerOptions = PerformanceHandlerOptions;

export interface PerformanceRequestListener {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Stops the dashboard's history sampling and ends its open streams. */
  close(): void;
  /** The framework-free handler behind the listener. */
  readonly handler: PerformanceHandler;
}

/** A request header as one string (several values joined by `, `). */
export function nodeHeader(req: IncomingMessage): (name: string) => string | undefined {
  return (name) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
}

/** Writes a reply on a node response; a stream stays open until the client leaves or the stream ends. */
export function writeNodeReply(res: ServerResponse, reply: Reply): void {
  if (reply.events) {
    res.writeHead(reply.status, reply.headers);
    res.flushHeaders();
    const write = (chunk: string): void => {
      if (!res.writableEnded && !res.destroyed) res.write(chunk);
    };
    const end = (): void => {
      if (!res.writableEnded) res.end();
    };
    const stop = reply.events.start(write, end);
    res.once('close', stop);
    return;
  }
  if (reply.body === undefined) {
    res.writeHead(reply.status, reply.headers);
    res.end();
    return;
  }
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(Buffer.byteLength(reply.body)) });
  res.end(reply.body);
}

export function createRequestListener(options: NodeHandlerOptions): PerformanceRequestListener {
  const handler = createPerformanceHandler(options);
  const listener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
    const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const method = req.method ?? 'GET';
    handler.handle({ method, target, header: nodeHeader(req) }).then(
      (reply) => {
        if (reply === undefined) {
          if (next) return next();
          reply = handler.notFound(method, target.split('?', 1)[0]!);
        }
        writeNodeReply(res, reply);
      },
      (err: unknown) => {
        if (res.headersSent) res.destroy();
        else writeNodeReply(res, errorReply(500, `victor-perf: ${(err as Error)?.message ?? String(err)}`));
      },
    );
  };
  return Object.assign(listener, { close: () => handler.close(), handler });
}
