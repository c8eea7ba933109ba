/**
 * The HTTP server: the REST API, the scrape paths and the built-in dashboard on one Fastify instance.
 *
 * It binds 127.0.0.1 unless told otherwise. Binding anything else without a token exposes the metrics to
 * whoever can reach the address, so that case prints a warning naming what is exposed.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { registerDashboard, type DashboardOptions } from '../web/plugin.ts';
import { API_PREFIX, registerPerformanceRoutes } from './routes.ts';

export interface ServerOptions {
  collector: PerformanceMetricsCollector;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port (the URL `start()` returns has the real one). */
  port?: number;
  /** Require this bearer token on the API and scrape paths. */
  token?: string;
  /** The dashboard reads panels from this Prometheus-compatible API instead of in-process history. */
  prometheusUrl?: string;
  /** Resolution and retention of the dashboard's in-process history. */
  history?: DashboardOptions['history'];
  /** Fastify logger options (default off). */
  logger?: FastifyServerOptions['logger'];
  /** Readiness beyond listening (e.g. start-up finished); /readyz is ready when both hold. */
  ready?: () => boolean;
  /** Where the exposure warning goes (default stderr). */
  warn?: (message: string) => void;
}

export interface PerformanceServer {
  app: FastifyInstance;
  /** Listens; resolves to the base URL, e.g. `http://127.0.0.1:8000`. */
  start(): Promise<string>;
  /** Stops listening and closes open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1'
  );
}

/** The warning for a non-loopback bind without a token, or null when there is nothing to warn about. */
export function exposureWarning(host: string, port: number, token: string | undefined): string | null {
  if (token || isLoopback(host)) return null;
  const where = host === '0.0.0.0' || host === '::' ? `every network interface (${host})` : host;
  return (
    `warning: victor-perf listens on ${where} port ${port} without a token: the metrics API ` +
    `(${API_PREFIX}/*), the Prometheus scrape paths (/metrics, ${API_PREFIX}/prometheus) and the ` +
    `dashboard (/) are readable by anyone who can reach it. Set VICTOR_PERF_TOKEN or pass --token-file ` +
    `to require a bearer token, or bind 127.0.0.1.`
  );
}

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
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  let listening = false;
  const extraReady = options.ready ?? (() => true);
  const ready = () => listening && extraReady();
  const warn = options.warn ?? ((m: string) => console.error(m));

  // Performance routes first: they install the 404/405 handling, whose route tracking then sees the
  // dashboard's routes as well.
  const setup = (async () => {
    await registerPerformanceRoutes(app, { collector: options.collector, token: options.token, ready });
    await registerDashboard(app, {
      collector: options.collector,
      ...(options.prometheusUrl ? { prometheusUrl: options.prometheusUrl } : {}),
      ...(options.token ? { token: options.token } : {}),
      ...(options.history ? { history: options.history } : {}),
    });
  })();
  // Surfaced by start(); kept from being an unhandled rejection meanwhile.
  setup.catch(() => {});

  let closed: Promise<void> | undefined;
  return {
    app,
    async start() {
      await setup;
      await app.listen({ host, port });
      listening = true;
      const address = app.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      const warning = exposureWarning(host, actualPort, options.token);
      if (warning) warn(warning);
      return `http://${urlHost(host)}:${actualPort}`;
    },
    close() {
      listening = false;
      closed ??= setup.then(
        () => app.close(),
        () => app.close(),
      );
      return closed;
    },
  };
}
