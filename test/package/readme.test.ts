/**
 * README's snippets are the examples, verbatim, and they run: "Custom metrics", "Alongside prom-client",
 * "Export through OpenTelemetry". Each example file is its README block plus a header comment.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The first ```ts block of a README section. */
function snippet(heading: string): string {
  const start = README.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "${heading}" section`).toBeGreaterThan(0);
  const next = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, next === -1 ? undefined : next);
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  expect(block, `"${heading}" has a ts snippet`).not.toBeNull();
  return block![1]!.trim();
}

function example(file: string): string {
  const text = readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8');
  return text.slice(text.indexOf('*/\n') + 3).trim();
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README snippets', () => {
  it('Custom metrics: exported and summarised', async () => {
    expect(snippet('Custom metrics')).toBe(example('custom-metrics.ts'));
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import('../../examples/custom-metrics.ts');
    const [text, custom] = log.mock.calls.map((c) => c[0]);
    expect(text).toContain('victor_agent_plans_total{kind="search"} 1\n');
    expect(text).toContain('victor_agent_plan_duration_ms_bucket{le="100"} 1\n');
    expect(custom).toEqual({
      type: 'counter',
      unit: 'count',
      help: 'Plans made, by kind.',
      series: [{ labels: { kind: 'search' }, value: 1 }],
    });
  });

  it('Alongside prom-client: one /metrics with both, our process series stepping aside', async () => {
    expect(snippet('Alongside prom-client')).toBe(example('prom-client.ts'));
    vi.stubEnv('PORT', '0');
    const { server } = await import('../../examples/prom-client.ts');
    try {
      if (!server.listening) await new Promise((r) => server.once('listening', r));
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
      expect(text).toContain('# TYPE victor_system_threads gauge');
      expect(text).not.toContain('victor_system_memory_bytes');
    } finally {
      vi.unstubAllEnvs();
      await new Promise((r) => server.close(r));
    }
  });

  it('Export through OpenTelemetry: our series in the reader, histograms as histograms', async () => {
    expect(snippet('Export through OpenTelemetry')).toBe(example('opentelemetry.ts'));
    const { reader, meterProvider } = await import('../../examples/opentelemetry.ts');
    try {
      const { resourceMetrics } = await reader.collect();
      const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
      expect(names).toContain('victor_system_memory_bytes');
    } finally {
      await meterProvider.shutdown();
    }
  });
});
