import { afterEach, describe, expect, it } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import type { Source, ToolExecutionSnapshot } from '../../src/collector/types.ts';
import { BootstrapMonitor } from '../../src/sources/bootstrap.ts';
import { ToolSelectionCache } from '../../src/sources/cache.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolSelectionMonitor } from '../../src/sources/selection.ts';
import { SystemMonitor } from '../../src/sources/system.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import {
  BOOTSTRAP,
  CACHE,
  CACHE_ENDPOINT,
  PROTECTED_PATHS,
  PROVIDER_POOL,
  SYSTEM,
  TOOL_EXECUTION,
  TOOL_SELECTION,
  TOOL_STATS,
  expectShape,
  startTestServer,
} from './helpers.ts';

const PROM = 'text/plain; version=0.0.4; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

const systems: SystemMonitor[] = [];
afterEach(() => {
  for (const s of systems.splice(0)) s.close();
});

function components() {
  const cache = new ToolSelectionCache();
  const selection = new ToolSelectionMonitor((q: string) => [`tool_for_${q.length}`], { cache });
  const tools = new ToolExecutionMonitor();
  const providers = new ProviderPoolMonitor();
  const bootstrap = new BootstrapMonitor();
  const system = new SystemMonitor();
  systems.push(system);
  const collector = new PerformanceMetricsCollector()
    .register('cache', cache)
    .register('tool_selection', selection)
    .register('tool_execution', tools)
    .register('provider_pool', providers)
    .register('bootstrap', bootstrap)
    .register('system', system);
  return { collector, cache, selection, tools, providers, bootstrap };
}

async function json(res: Response): Promise<Record<string, unknown>> {
  expect(res.headers.get('content-type')).toBe(JSON_TYPE);
  return (await res.json()) as Record<string, unknown>;
}

describe('REST API with fresh components', () => {
  it('answers every endpoint with the full wire shape, and null where nothing is known yet', async () => {
    const { collector } = components();
    const { get } = await startTestServer(collector);

    const res = await get('/api/performance/summary');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const summary = await json(res);
    expect(new Date(summary.timestamp as string).toISOString()).toBe(summary.timestamp);
    expectShape(summary.tool_selection, TOOL_SELECTION, 'tool_selection');
    expectShape(summary.cache, CACHE, 'cache');
    expectShape(summary.bootstrap, BOOTSTRAP, 'bootstrap');
    expectShape(summary.provider_pool, PROVIDER_POOL, 'provider_pool');
    expectShape(summary.tool_execution, TOOL_EXECUTION, 'tool_execution');
    expectShape(summary.system, SYSTEM, 'system');
    expect(summary.health_score).toBeTypeOf('number');
    expect(summary.errors).toEqual([]);

    // Unknowable values are null, never a fake 0.
    const ts = summary.tool_selection as { hit_rates: Record<string, unknown>; latency_ms: unknown };
    expect(ts.hit_rates).toEqual({ query: null, context: null, rl: null, overall: null });
    expect(ts.latency_ms).toEqual({ avg: null, p50: null, p95: null, p99: null });
    expect((summary.cache as { rates: unknown }).rates).toEqual({ hit: null, miss: null, eviction: null });
    expect((summary.bootstrap as { startup_time: unknown }).startup_time).toEqual({
      ms: null,
      seconds: null,
    });
    const pool = summary.provider_pool as { errors: unknown; provider_health: unknown };
    for (const rate of Object.values(pool.errors as Record<string, unknown>)) expect(rate).toBeNull();
    expect(pool.provider_health).toEqual({});
    expect((summary.tool_execution as { errors: unknown }).errors).toEqual({ error_rate: null });

    const cache = await get('/api/performance/cache');
    expect(cache.status).toBe(200);
    const body = await json(cache);
    expectShape(body, CACHE_ENDPOINT, 'cache endpoint');
    expect((body.hit_rates as { overall: unknown }).overall).toBeNull();

    for (const [path, shape] of [
      ['/api/performance/providers', PROVIDER_POOL],
      ['/api/performance/tools', TOOL_EXECUTION],
      ['/api/performance/system', SYSTEM],
      ['/api/performance/bootstrap', BOOTSTRAP],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expectShape(await json(r), shape, path);
    }
  });

  it('keeps maps keyed by runtime names and additional phases through serialization', async () => {
    const { collector, cache, selection, tools, providers, bootstrap } = components();
    providers.record('anthropic', 420, 'success');
    providers.record('local-llama', 80, 'timeout');
    tools.record('read_file', 12, true);
    tools.record('web_search', 900, false);
    bootstrap.recordPhase('container_bootstrap', 30);
    bootstrap.recordPhase('model_warmup', 55);
    bootstrap.complete();
    await selection.select('list files');
    await selection.select('list files');
    cache.get('context', 'nothing here');
    const { get } = await startTestServer(collector);

    const pool = await json(await get('/api/performance/providers'));
    expect(pool.provider_health).toEqual({ anthropic: 1, 'local-llama': 1 });
    expect(pool.requests).toEqual({ total: 2, successful: 1, failed: 1 });
    expect((pool.errors as { timeout_rate: number }).timeout_rate).toBe(0.5);

    const t = await json(await get('/api/performance/tools'));
    const metrics = t.tool_metrics as Record<string, Record<string, unknown>>;
    expect(Object.keys(metrics).sort()).toEqual(['read_file', 'web_search']);
    for (const stats of Object.values(metrics)) expectShape(stats, TOOL_STATS);
    expect(metrics.web_search).toMatchObject({ total_calls: 1, failed_calls: 1, max_time_ms: 900 });
    expect(t.top_tools).toHaveLength(2);
    expect((t.top_tools as Array<Record<string, unknown>>)[0]).toMatchObject({ executions: 1 });

    const b = await json(await get('/api/performance/bootstrap'));
    const phases = b.phases as Record<string, unknown>;
    expect(phases.container_bootstrap_ms).toBe(30);
    expect(phases.model_warmup_ms).toBe(55);
    expect(phases.cache_warming_ms).toBeNull();
    expect((b.startup_time as { ms: unknown }).ms).toBeTypeOf('number');

    const c = await json(await get('/api/performance/cache'));
    expect(c.hit_rates).toEqual({ query: 0.5, context: 0, rl: null, overall: 1 / 3 });
    expect(c.operations).toEqual({ hits: 1, misses: 2, evictions: 0 });
    expect((c.latency_ms as { p50: unknown }).p50).toBeTypeOf('number');
    expect((c.memory as { bytes: number }).bytes).toBeGreaterThan(0);

    const s = await json(await get('/api/performance/system'));
    expect(s.heap).toMatchObject({ used_bytes: expect.any(Number) });
    expect(s.event_loop).toBeTypeOf('object');
  });

  it('serves the Prometheus exposition on both scrape paths', async () => {
    const { collector, tools } = components();
    tools.record('grep', 20, true);
    const { get } = await startTestServer(collector);
    for (const path of ['/api/performance/prometheus', '/metrics']) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(PROM);
      const text = await res.text();
      expect(text.endsWith('\n')).toBe(true);
      expect(text).toContain('# TYPE victor_tool_executions_total counter');
      expect(text).toContain('victor_tool_executions_total{tool="grep",status="success"} 1');
    }
  });

  it('answers the probes and serves an OpenAPI document of every route', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector());
    expect(await json(await get('/healthz'))).toEqual({ status: 'ok' });
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    const doc = await json(await get('/api/performance/openapi.json'));
    expect(doc.openapi).toBe('3.1.0');
    const paths = doc.paths as Record<string, { get: { responses: Record<string, unknown> } }>;
    expect(Object.keys(paths).sort()).toEqual([...PROTECTED_PATHS, '/healthz', '/readyz'].sort());
    const summary = JSON.stringify(paths['/api/performance/summary']);
    expect(summary).toContain('"hit_rates"');
    expect(summary).toContain('"type":["number","null"]');
    expect(paths['/api/performance/providers']!.get.responses).toHaveProperty('503');
  });

  it('reports readiness from the given check', async () => {
    let ready = false;
    const { get } = await startTestServer(new PerformanceMetricsCollector(), { ready: () => ready });
    const starting = await get('/readyz');
    expect(starting.status).toBe(503);
    expect(await starting.json()).toEqual({ status: 'starting' });
    ready = true;
    expect((await get('/readyz')).status).toBe(200);
  });
});

describe('errors', () => {
  const broken: Source<ToolExecutionSnapshot> = {
    sourceName: 'tool_execution',
    collect() {
      throw new Error('tool registry is gone');
    },
    metrics: () => [],
  };

  it('keeps the summary whole when one source fails, and names the failure', async () => {
    const { collector } = components();
    collector.register('tool_execution', broken);
    const { get } = await startTestServer(collector);

    const res = await get('/api/performance/summary');
    expect(res.status).toBe(200);
    const summary = await json(res);
    expect(summary.tool_execution).toBeNull();
    expect(summary.errors).toEqual([{ source: 'tool_execution', message: 'Error: tool registry is gone' }]);
    expectShape(summary.cache, CACHE, 'cache');
    expectShape(summary.provider_pool, PROVIDER_POOL, 'provider_pool');
    expectShape(summary.system, SYSTEM, 'system');

    const tools = await get('/api/performance/tools');
    expect(tools.status).toBe(503);
    expect(await json(tools)).toEqual({
      error: 'Source Unavailable',
      message: 'tool_execution: Error: tool registry is gone',
      source: 'tool_execution',
    });
    // The other categories still answer.
    expect((await get('/api/performance/providers')).status).toBe(200);

    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/^victor_collection_errors_total\{source="tool_execution"\} [1-9]\d*$/m);
    expect(metrics).toContain('victor_system_memory_bytes ');
    expect(metrics).not.toContain('victor_tool_executions_total{');
  });

  it('names a failed cache on the cache endpoint', async () => {
    const { collector } = components();
    collector.register('cache', {
      sourceName: 'cache',
      collect: () => ({ cache: { memory: { bytes: NaN } }, selection: {} }) as never,
      metrics: () => [],
    });
    const { get } = await startTestServer(collector);
    const res = await get('/api/performance/cache');
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.source).toBe('cache');
    expect(body.message).toMatch(/^cache: returned invalid data/);
  });

  it('answers an unknown route 404 and a wrong method 405 as JSON', async () => {
    const { get } = await startTestServer(new PerformanceMetricsCollector());
    const missing = await get('/x');
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({
      error: 'Not Found',
      message: 'no route GET /x; see /api/performance/openapi.json',
    });
    const nested = await get('/api/performance/nope?x=1');
    expect(nested.status).toBe(404);
    expect(((await nested.json()) as { message: string }).message).toBe(
      'no route GET /api/performance/nope; see /api/performance/openapi.json',
    );

    for (const path of ['/api/performance/summary', '/metrics', '/healthz']) {
      const res = await get(path, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, path).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await json(res)).toEqual({
        error: 'Method Not Allowed',
        message: `POST ${path} is not supported; allowed: GET, HEAD`,
      });
    }
    const del = await get('/api/performance/cache', { method: 'DELETE' });
    expect(del.status).toBe(405);
  });
});
