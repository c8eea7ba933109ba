/**
 * What a route answers, framework-free: a status, headers and a body, or a stream of server-sent events.
 * The node, fetch and Fastify adapters each write a `Reply` their own way; nothing here knows which.
 *
 * Every error, whoever answers it (a route, the guard, the router), has one JSON shape:
 * `{ error: <status title>, message: <what to do>, source?: <failed source> }`.
 */

export interface EventStream {
  /**
   * Called once the headers are out. `write` sends a chunk, `end` finishes the response (the server calls it
   * when it shuts down). Returns the function that releases the stream; adapters call it when the client
   * goes away.
   */
  start(write: (chunk: string) => void, end: () => void): () => void;
}

export interface Reply {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: string | Uint8Array;
  events?: EventStream;
}

export interface ErrorBody {
  error: string;
  message: string;
  /** The failed source, on a 503 from a category endpoint. */
  source?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  421: 'Misdirected Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

export function errorReply(
  status: number,
  message: string,
  options: { title?: string; source?: string; headers?: Record<string, string> } = {},
): Reply {
  const body: ErrorBody = { error: options.title ?? TITLES[status] ?? 'Error', message };
  if (options.source !== undefined) body.source = options.source;
  return jsonReply(status, body, { 'cache-control': 'no-store', ...options.headers });
}
