/**
 * The routes as a fetch-style handler, `(request: Request) => Promise<Response>`, for Hono, Next route
 * handlers and any server built on the Fetch API:
 *
 *   const perf = createFetchHandler({ collector, basePath: '/perf' });
 *   app.all('/perf/*', (c) => perf(c.req.raw));            // Hono
 *   export const GET = perf, HEAD = perf;                    // Next: app/perf/[[...path]]/route.ts
 *
 * A path that is not ours gets the JSON 404. The live stream is a ReadableStream released when the client
 * goes away (the stream is cancelled or the request aborted).
 */
import { errorReply, type Reply } from '../api/reply.ts';
import {
  createPerformanceHandler,
  type PerformanceHandler,
  type PerformanceHandlerOptions,
} from './handler.ts';

export type FetchHandlerOptions = PerformanceHandlerOptions;

export interface FetchHandler {
  (request: Request): Promise<Response>;
  /** Stops the dashboard's history sampling and ends its open streams. */
  close(): void;
  readonly handler: PerformanceHandler;
}

function toResponse(reply: Reply, signal: AbortSignal): Response {
  const headers = new Headers(reply.headers);
  const events = reply.events;
  if (!events) {
    const body = reply.body === undefined || reply.status === 304 ? null : reply.body;
    return new Response(body as ConstructorParameters<typeof Response>[0], { status: reply.status, headers });
  }
  const encoder = new TextEncoder();
  let stop: (() => void) | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let open = true;
      const end = (): void => {
        if (!open) return;
        open = false;
        stop?.();
        controller.close();
      };
      stop = events.start((chunk) => {
        if (open) controller.enqueue(encoder.encode(chunk));
      }, end);
      signal.addEventListener('abort', () => {
        open = false;
        stop?.();
      });
    },
    cancel() {
      stop?.();
    },
  });
  return new Response(stream, { status: reply.status, headers });
}

export function createFetchHandler(options: FetchHandlerOptions): FetchHandler {
  const handler = createPerformanceHandler(options);
  const fetchHandler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const target = url.pathname + url.search;
    const header = (name: string): string | undefined =>
      request.headers.get(name) ?? (name === 'host' ? url.host : undefined);
    let reply: Reply | undefined;
    try {
      reply = await handler.handle({ method: request.method, target, header });
    } catch (err) {
      reply = errorReply(500, `victor-perf: ${(err as Error)?.message ?? String(err)}`);
    }
    return toResponse(reply ?? handler.notFound(request.method, url.pathname), request.signal);
  };
  return Object.assign(fetchHandler, { close: () => handler.close(), handler });
}
