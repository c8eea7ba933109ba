/**
 * `GET /dashboard/api/stream`: server-sent events pushing each new history sample to the page.
 *
 * Events: `point` with `{t, values, added, dropped_series, latest}` after every sample, and a comment line every 15 s so that proxies
 * keep the connection open. A stream ends when the client goes away (its subscription and timer are dropped
 * at once) or when `closeAll()` runs at shutdown. HEAD answers the headers alone.
 */
import type { Route } from '../api/routes.ts';
import type { PerformanceSnapshot } from '../collector/types.ts';
import type { HistoryPoint, MetricHistory } from './history.ts';

export const HEARTBEAT_MS = 15_000;
export const STREAM_PATH = '/dashboard/api/stream';

/** The data of one `point` event: a history sample and the snapshot it was taken from. */
export interface StreamPoint extends HistoryPoint {
  latest: PerformanceSnapshot;
}

export class LiveStreams {
  readonly #open = new Set<() => void>();
  readonly #history: MetricHistory;

  constructor(history: MetricHistory) {
    this.#history = history;
  }

  get size(): number {
    return this.#open.size;
  }

  route(): Route {
    const history = this.#history;
    const open = this.#open;
    return {
      path: STREAM_PATH,
      access: 'dashboard',
      handle: () => ({
        status: 200,
        headers: {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
        events: {
          start(write, end) {
            // Tells EventSource how long to wait before reconnecting.
            write(`retry: ${Math.max(1000, history.resolutionMs)}\n\n`);
            const unsubscribe = history.subscribe((point, snapshot) => {
              const data: StreamPoint = { ...point, latest: snapshot };
              write(`event: point\ndata: ${JSON.stringify(data)}\n\n`);
            });
            const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
            heartbeat.unref();
            let stopped = false;
            const stop = (): void => {
              if (stopped) return;
              stopped = true;
              unsubscribe();
              clearInterval(heartbeat);
              open.delete(close);
            };
            const close = (): void => {
              stop();
              end();
            };
            open.add(close);
            return stop;
          },
        },
      }),
    };
  }

  /** Ends every open stream (at shutdown, before the server waits for its connections). */
  closeAll(): void {
    for (const close of [...this.#open]) close();
  }
}
