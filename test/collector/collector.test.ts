import { describe, expect, it } from 'vitest';
import {
  PerformanceMetricsCollector,
  findGarbage,
  getPerformanceCollector,
  resetPerformanceCollector,
} from '../../src/collector/collector.ts';
import type { BootstrapSnapshot, Source, ToolExecutionSnapshot } from '../../src/collector/types.ts';
import { CATALOG } from '../../src/metrics/catalog.ts';
import { Counter, Gauge } from '../../src/metrics/primitives.ts';

/** A component that counts its collections and can be told to fail. */
function bootstrapSource(
  mode: { fail?: 'throw' | 'garbage' } = {},
): Source<BootstrapSnapshot> & { reads: number } {
  const startup = new Gauge(CATALOG.bootstrapStartup);
  return {
    sourceName: 'bootstrap',
    reads: 0,
    collect() {
      this.reads++;
      if (mode.fail === 'throw') throw new Error('container not reachable');
      startup.set(1234);
      return {
        startup_time: { ms: 1234, seconds: 1.234 },
        phases: {
          container_bootstrap_ms: 100,
          service_registration_ms: mode.fail === 'garbage' ? NaN : 200,
          provider_initialization_ms: 300,
          tool_loading_ms: 400,
          cache_warming_ms: 234,
        },
        lazy_loading: { load_count: 2, total_time_ms: 30, avg_time_ms: 15, first_access_overhead_ms: 5 },
      };
    },
    metrics: () => [startup],
  };
}

function toolSource(errorRate: number | null): Source<ToolExecutionSnapshot> {
  const executions = new Counter(CATALOG.toolExecutions);
  executions.labels({ tool: 'grep', status: 'success' }).inc(9);
  executions.labels({ tool: 'grep', status: 'failure' }).inc(1);
  return {
    sourceName: 'tool_execution',
    collect: () => ({
      executions: { total: 10, successful: 9, failed: 1 },
      duration_ms: { avg: 12, p50: 10, p95: 30, p99: 40 },
      errors: { error_rate: errorRate },
      top_tools: [{ tool: 'grep', executions: 10, failed: 1, avg_time_ms: 12 }],
      tool_metrics: {},
    }),
    metrics: () => [executions],
  };
}

describe('PerformanceMetricsCollector', () => {
  it('with nothing registered, counts are 0 and every rate or reading is null', () => {
    const c = new PerformanceMetricsCollector();
    const s = c.getAllMetrics();
    expect(s.tool_selection?.hit_rates).toEqual({ query: null, context: null, rl: null, overall: null });
    expect(s.cache?.rates).toEqual({ hit: null, miss: null, eviction: null });
    expect(s.tool_execution?.errors.error_rate).toBeNull();
    expect(s.provider_pool?.errors.error_rate).toBeNull();
    expect(s.system?.cpu.percent).toBeNull();
    expect(s.errors).toEqual([]);
    expect(new Date(s.timestamp).toISOString()).toBe(s.timestamp);
    // No hit rate series at all, so no alert can fire on a process that has done nothing.
    expect(c.exportPrometheus()).toBe('');
  });

  it('a throwing component costs only its own category and series, and is counted', () => {
    const c = new PerformanceMetricsCollector();
    c.registerBootstrap(bootstrapSource({ fail: 'throw' }));
    c.registerToolExecution(toolSource(0.1));
    const s = c.getAllMetrics();
    expect(s.bootstrap).toBeNull();
    expect(s.errors).toEqual([{ source: 'bootstrap', message: 'Error: container not reachable' }]);
    expect(s.tool_execution?.executions.total).toBe(10);
    const text = c.exportPrometheus();
    expect(text).toContain('victor_tool_executions_total{tool="grep",status="success"} 9\n');
    expect(text).not.toContain('victor_bootstrap_startup_ms');
    // Two collections so far (getAllMetrics, exportPrometheus): the counter says so.
    expect(text).toContain('victor_collection_errors_total{source="bootstrap"} 2\n');
    expect(c.getBootstrapMetrics()).toBeNull();
    expect(c.getToolExecutionMetrics()?.executions.failed).toBe(1);
  });

  it('garbage from a component (a NaN) is reported with its path', () => {
    const c = new PerformanceMetricsCollector();
    c.registerBootstrap(bootstrapSource({ fail: 'garbage' }));
    const s = c.getAllMetrics();
    expect(s.bootstrap).toBeNull();
    expect(s.errors[0]?.message).toBe('returned invalid data: phases.service_registration_ms = NaN');
  });

  it('a component returning the wrong shape is isolated, not a crash', () => {
    const c = new PerformanceMetricsCollector();
    c.registerToolSelectionCache({
      sourceName: 'cache',
      collect: () => ({ cache: null, selection: null }) as never,
      metrics: () => [],
    });
    c.registerToolExecution(toolSource(0));
    const s = c.getAllMetrics();
    expect(s.cache).toBeNull();
    expect(s.tool_selection).toBeNull();
    expect(s.errors).toEqual([
      { source: 'cache', message: 'returned invalid data: cache is null, not an object' },
    ]);
    expect(s.tool_execution?.executions.total).toBe(10);
    expect(s.health_score).not.toBeNull();
  });

  it('reads one category without collecting the others, with its errors', () => {
    const c = new PerformanceMetricsCollector();
    const boot = bootstrapSource({ fail: 'throw' });
    c.registerBootstrap(boot);
    c.registerToolExecution(toolSource(0));
    expect(c.readCategory('tool_execution').value?.executions.total).toBe(10);
    expect(boot.reads).toBe(0);
    expect(c.readCategory('bootstrap')).toEqual({
      value: null,
      errors: [{ source: 'bootstrap', message: 'Error: container not reachable' }],
    });
    // Unregistered: the empty snapshot, not an error.
    expect(c.readCategory('provider_pool')).toMatchObject({ value: { pool: { total: 0 } }, errors: [] });
  });

  it('registering the same component twice is a no-op; unregistering removes it', () => {
    const c = new PerformanceMetricsCollector();
    const b = bootstrapSource();
    c.registerBootstrap(b).registerBootstrap(b);
    c.getAllMetrics();
    expect(b.reads).toBe(1);
    c.unregister(b);
    c.getAllMetrics();
    expect(b.reads).toBe(1);
    expect(c.getBootstrapMetrics()?.startup_time.ms).toBeNull();
  });

  it('rejects an unknown slot and a component without collect()', () => {
    const c = new PerformanceMetricsCollector();
    expect(() => c.register('gpu' as 'system', bootstrapSource() as never)).toThrow(/unknown slot "gpu"/);
    expect(() => c.register('bootstrap', {} as never)).toThrow(/needs collect\(\) and metrics\(\)/);
  });

  it('renders with a custom prefix and rejects a bad one', () => {
    const c = new PerformanceMetricsCollector({ prefix: 'agent_' });
    c.registerToolExecution(toolSource(0));
    expect(c.exportPrometheus()).toContain('# TYPE agent_tool_executions_total counter\n');
    expect(() => new PerformanceMetricsCollector({ prefix: 'bad-prefix' })).toThrow(/invalid metric prefix/);
  });

  it('the process-wide collector is one object and never throws on a second registration', () => {
    resetPerformanceCollector();
    const a = getPerformanceCollector();
    const b = bootstrapSource();
    a.registerBootstrap(b);
    expect(() => getPerformanceCollector().registerBootstrap(b)).not.toThrow();
    expect(getPerformanceCollector()).toBe(a);
    // It measures the process out of the box.
    expect(a.getSystemMetrics()?.memory.used_bytes).toBeGreaterThan(1024 * 1024);
    resetPerformanceCollector();
  });
});

describe('findGarbage', () => {
  it('accepts finite numbers, null, strings, nested objects', () => {
    expect(findGarbage({ a: 1, b: null, c: { d: 'x', e: [1, 2] } })).toBeNull();
  });
  it('names the first bad path', () => {
    expect(findGarbage({ a: { b: Infinity } })).toBe('a.b = Infinity');
    expect(findGarbage({ a: undefined })).toBe('a is undefined');
    expect(findGarbage({ f: () => 1 })).toBe('f is function');
  });
});
