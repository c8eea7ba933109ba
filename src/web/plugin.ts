/**
 * The built-in dashboard, mounted at `/` by the server. (Placeholder until the dashboard lands.)
 */
import type { FastifyInstance } from 'fastify';
import type { PerformanceMetricsCollector } from '../collector/collector.ts';

export interface DashboardOptions {
  collector: PerformanceMetricsCollector;
  /** Read panels from this Prometheus-compatible query API instead of the in-process history. */
  prometheusUrl?: string;
}

export async function registerDashboard(app: FastifyInstance, _opts: DashboardOptions): Promise<void> {
  app.get('/', async (_req, reply) => {
    reply.type('text/html; charset=utf-8');
    return '<!doctype html><html><head><link rel="icon" href="data:,"><title>victor-perf</title></head><body><h1>victor-perf</h1></body></html>';
  });
}
