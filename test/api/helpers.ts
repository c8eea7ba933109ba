/**
 * Test helpers: a real server on an ephemeral loopback port, torn down after each test, and the wire
 * contract of reference.md section 3 written out field by field (independently of the route schemas, so the
 * tests check the schemas rather than repeat them).
 */
import { afterEach, expect } from 'vitest';
import type { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { createServer, type ServerOptions } from '../../src/server/server.ts';

const open: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (open.length > 0) await open.pop()!();
});

export async function startTestServer(
  collector: PerformanceMetricsCollector,
  options: Omit<ServerOptions, 'collector'> = {},
): Promise<{ url: string; get(path: string, init?: RequestInit): Promise<Response> }> {
  const server = createServer({ collector, port: 0, ...options });
  open.push(() => server.close());
  const url = await server.start();
  return { url, get: (path, init) => fetch(url + path, init) };
}

/** Every path the token protects: the API, the scrape paths and the OpenAPI document. */
export const PROTECTED_PATHS = [
  '/api/performance/summary',
  '/api/performance/cache',
  '/api/performance/providers',
  '/api/performance/tools',
  '/api/performance/system',
  '/api/performance/bootstrap',
  '/api/performance/prometheus',
  '/api/performance/openapi.json',
  '/api/performance/alerts', // local mode: the in-process alerts
  '/metrics',
];

/** 'n' number, 'n?' number or null, 's' string, 'o' object, 'a' array. */
type Kind = 'n' | 'n?' | 's' | 'o' | 'a';
type Shape = { [field: string]: Kind | Shape };

const pct: Shape = { avg: 'n?', p50: 'n?', p95: 'n?', p99: 'n?' };

export const TOOL_SELECTION: Shape = {
  hit_rates: { query: 'n?', context: 'n?', rl: 'n?', overall: 'n?' },
  latency_ms: pct,
  latency_saved_ms: { total: 'n', avg_per_hit: 'n?' },
  operations: { hits: 'n', misses: 'n', evictions: 'n' },
  entries: { query: 'n', context: 'n', rl: 'n', total: 'n' },
  utilization: { query: 'n', context: 'n', rl: 'n', overall: 'n' },
};
export const CACHE: Shape = {
  memory: { bytes: 'n', mb: 'n' },
  entries: { total: 'n', active: 'n' },
  operations: { lookups: 'n', hits: 'n', misses: 'n', evictions: 'n' },
  rates: { hit: 'n?', miss: 'n?', eviction: 'n?' },
};
export const CACHE_ENDPOINT: Shape = { ...TOOL_SELECTION, memory: CACHE.memory!, rates: CACHE.rates! };
export const BOOTSTRAP: Shape = {
  startup_time: { ms: 'n?', seconds: 'n?' },
  phases: {
    container_bootstrap_ms: 'n?',
    service_registration_ms: 'n?',
    provider_initialization_ms: 'n?',
    tool_loading_ms: 'n?',
    cache_warming_ms: 'n?',
  },
  lazy_loading: { load_count: 'n', total_time_ms: 'n', avg_time_ms: 'n?', first_access_overhead_ms: 'n?' },
};
export const PROVIDER_POOL: Shape = {
  pool: { total: 'n', active: 'n', unhealthy: 'n' },
  requests: { total: 'n', successful: 'n', failed: 'n' },
  latency_ms: pct,
  errors: {
    error_rate: 'n?',
    timeout_rate: 'n?',
    rate_limit_rate: 'n?',
    overloaded_rate: 'n?',
    auth_rate: 'n?',
    bad_request_rate: 'n?',
    network_rate: 'n?',
    aborted_rate: 'n?',
    other_rate: 'n?',
  },
  provider_health: 'o',
  tokens: { input: 'n', output: 'n', cached_input: 'n', reasoning: 'n' },
  time_to_first_chunk_ms: pct,
  requests_by_model: 'o',
};
export const TOOL_EXECUTION: Shape = {
  executions: { total: 'n', successful: 'n', failed: 'n' },
  duration_ms: pct,
  errors: { error_rate: 'n?' },
  top_tools: 'a',
  tool_metrics: 'o',
};
export const SYSTEM: Shape = {
  memory: { used_bytes: 'n', used_mb: 'n', used_gb: 'n', available_bytes: 'n', available_mb: 'n' },
  cpu: { percent: 'n?', count: 'n' },
  uptime: { seconds: 'n', minutes: 'n', hours: 'n' },
  threads: { active: 'n?' },
};
export const TOOL_STATS: Shape = {
  total_calls: 'n',
  successful_calls: 'n',
  failed_calls: 'n',
  total_time_ms: 'n',
  avg_time_ms: 'n?',
  min_time_ms: 'n?',
  max_time_ms: 'n?',
};

/** Asserts every field of `shape` is present in `value` with the right type; returns the paths checked. */
export function expectShape(value: unknown, shape: Shape, path = '$'): void {
  expect(value, path).toBeTypeOf('object');
  expect(value, path).not.toBeNull();
  const obj = value as Record<string, unknown>;
  for (const [field, kind] of Object.entries(shape)) {
    const at = `${path}.${field}`;
    expect(Object.hasOwn(obj, field), `${at} is missing`).toBe(true);
    const v = obj[field];
    if (typeof kind === 'object') expectShape(v, kind, at);
    else if (kind === 'n')
      expect(Number.isFinite(v), `${at} = ${JSON.stringify(v)} is not a number`).toBe(true);
    else if (kind === 'n?') {
      expect(v === null || Number.isFinite(v), `${at} = ${JSON.stringify(v)} is not a number or null`).toBe(
        true,
      );
    } else if (kind === 's') expect(v, at).toBeTypeOf('string');
    else if (kind === 'a') expect(Array.isArray(v), `${at} is not an array`).toBe(true);
    else {
      expect(v, at).toBeTypeOf('object');
      expect(v, at).not.toBeNull();
    }
  }
}
