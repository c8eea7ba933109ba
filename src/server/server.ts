/**
 * The standalone server: the routes on a `node:http` server of their own. It alone answers paths that are
 * not ours (JSON 404), and it owns shutdown: `close()` stops accepting, ends the dashboard's live streams,
 * lets requests in flight finish (up to `shutdownTimeoutMs`), then closes what is left.
 *
 * It binds 127.0.0.1 unless told otherwise, and then answers only requests addressed to a loopback name.
 * Binding anything else without a token would expose the metrics to whoever can reach the address, so it is
 * refused unless `allowUnauthenticated` says something else protects the port.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { isLoopback } from '../api/guard.ts';
import { API_PREFIX } from '../api/routes.ts';
import { createRequestListener } from '../http/node.ts';
import type { PerformanceHandlerOptions } from '../http/handler.ts';
import type { HistoryOptions, MetricHistory } from '../web/history.ts';
import type { MonitoringConfig } from '../monitoring/config.ts';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ServerOptions {
  collector: PerformanceMetricsCollector;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** Default 8000; 0 picks a free port (the URL `start()` returns has the real one). */
  port?: number | undefined;
  /** Require this bearer token on the API and scrape paths, and on the dashboard (header or its cookie). */
  token?: string | undefined;
  /** Listen on a non-loopback address without a token (something else must protect it). */
  allowUnauthenticated?: boolean | undefined;
  /**
   * Host names accepted besides loopback ones when bound to loopback (e.g. the name a reverse proxy
   * forwards), or `'any'`. Default: loopback names only on a loopback bind, any host otherwise.
   */
  allowedHosts?: readonly string[] | 'any' | undefined;
  /** The dashboard reads panels from this Prometheus-compatible API instead of in-process history. */
  prometheusUrl?: string | undefined;
  /** Local mode: Alertmanager-compatible webhooks the in-process alerts are sent to. */
  alertWebhooks?: readonly string[] | undefined;
  /** Resolution and retention of the dashboard's in-process history. */
  history?: Omit<HistoryOptions, 'now'> | undefined;
  /** Monitoring config of the dashboard's panels and in-process alerts (default: the built-in one). */
  monitoring?: MonitoringConfig | undefined;
  /** Serve everything under this path instead of `/`. */
  basePath?: PerformanceHandlerOptions['basePath'];
  /** Where Prometheus scrapes besides `/api/performance/prometheus` (default `/metrics`). */
  metricsPath?: PerformanceHandlerOptions['metricsPath'];
  /** Awaited before each route answers (after the guard), e.g. to refresh aggregated numbers. */
  onRequest?: PerformanceHandlerOptions['onRequest'];
  /** Readiness beyond listening (e.g. start-up finished); /readyz is ready when both hold. */
  ready?: (() => boolean) | undefined;
  /** How long `close()` lets requests in flight finish before closing their connections (default 10 s). */
  shutdownTimeoutMs?: number | undefined;
  /** Where the warning of an unauthenticated non-loopback bind goes (default stderr). */
  warn?: ((message: string) => void) | undefined;
}

export interface PerformanceServer {
  readonly server: Server;
  /** The dashboard's in-process history (local mode). */
  readonly history: MetricHistory | undefined;
  /** Listens; resolves to the base URL, e.g. `http://127.0.0.1:8000`. */
  start(): Promise<string>;
  /** Graceful: stops accepting, ends live streams, drains requests in flight (bounded). Safe to call twice. */
  close(): Promise<void>;
}

export class ExposureError extends Error {
  override name = 'ExposureError';
}

export { isLoopback };

function describe(host: string): string {
  return host === '0.0.0.0' || host === '::' ? `every network interface (${host})` : host;
}

function exposed(host: string, port: number): string {
  return (
    `${describe(host)} port ${port} without a token: the metrics API (${API_PREFIX}/*), the Prometheus ` +
    `scrape paths (/metrics, ${API_PREFIX}/prometheus) and the dashboard (/) would be readable by anyone ` +
    `who can reach it`
  );
}

/** The warning for an allowed non-loopback bind without a token, or null when there is nothing to warn about. */
export function exposureWarning(host: string, port: number, token: string | undefined): string | null {
  if (token || isLoopback(host)) return null;
  return `warning: victor-perf listens on ${exposed(host, port)}.`;
}

const HOW_TO_SET_A_TOKEN =
  'Set a token (the environment variable VICTOR_PERF_TOKEN, --token-file <path>, or the `token` option), ' +
  'bind 127.0.0.1, or, when something else protects the port, pass --allow-unauthenticated ' +
  '(`allowUnauthenticated: true`).';

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function createServer(options: ServerOptions): PerformanceServer {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be an integer 0..65535, got ${port}`);
  }
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (!(Number.isFinite(shutdownTimeoutMs) && shutdownTimeoutMs >= 0)) {
    throw new RangeError(`shutdownTimeoutMs must be a non-negative number, got ${shutdownTimeoutMs}`);
  }
  const loopback = isLoopback(host);
  if (!options.token && !loopback && !options.allowUnauthenticated) {
    throw new ExposureError(`refusing to listen on ${exposed(host, port)}. ${HOW_TO_SET_A_TOKEN}`);
  }
  const warn = options.warn ?? ((m: string) => console.error(m));

  let listening = false;
  let closing = false;
  const extraReady = options.ready ?? (() => true);
  const listener = createRequestListener({
    collector: options.collector,
    basePath: options.basePath,
    metricsPath: options.metricsPath,
    token: options.token,
    allowedHosts: options.allowedHosts ?? (loopback ? [] : 'any'),
    ready: () => listening && !closing && extraReady(),
    onRequest: options.onRequest,
    dashboard: {
      ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}),
      ...(options.history ? { history: options.history } : {}),
      ...(options.alertWebhooks ? { alertWebhooks: options.alertWebhooks } : {}),
      ...(options.monitoring ? { monitoring: options.monitoring } : {}),
    },
  });

  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    if (closing) res.setHeader('connection', 'close');
    // A keep-alive connection whose request finishes during shutdown is idle now: close it.
    res.once('finish', () => {
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    listener(req, res);
  });

  let closed: Promise<void> | undefined;
  return {
    server,
    get history() {
      return listener.handler.history;
    },
    async start() {
      if (closing) throw new Error('this server has been closed');
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      listening = true;
      const address = server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const warning = exposureWarning(host, actualPort, options.token);
      if (warning) warn(warning);
      return `http://${urlHost(host)}:${actualPort}`;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        listener.close();
        if (!server.listening) {
          resolve();
          return;
        }
        const deadline = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
