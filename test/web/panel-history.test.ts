/**
 * The built-in panels come from the page's panel queries, evaluated at every history sample:
 *
 * - every sampled panel's values equal `evaluate()` of the same query on the same raw samples, held in an
 *   independent store (nothing pruned), for the demo workload and for 60 tools x 3 providers;
 * - label values with `,` `"` `\` `=` `}` stay distinct series from the exposition to the page's data;
 * - 60 tools x 3 providers fit under the default cap; a low cap drops series, counted in the page data;
 * - the raw-sample store forgets series that vanish once the window has passed.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import { startWorkload } from '../../src/demo/workload.ts';
import { parseExposition } from '../../src/metrics/parse.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { recordedQueries } from '../../src/monitoring/rules.ts';
import { evaluate, type EvalOptions } from '../../src/query/evaluate.ts';
import { MemoryStore } from '../../src/query/store.ts';
import { createServer, type PerformanceServer } from '../../src/server/server.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import type { HistoryResponse } from '../../src/web/dashboard.ts';
import { DEFAULT_MAX_SERIES, MetricHistory } from '../../src/web/history.ts';
import { pageConfig } from '../../src/web/panels.ts';
import { localTarget, RecentSamples } from '../../src/web/recent.ts';
import { sampledPanels, seriesKey } from '../../src/web/sample.ts';

const config = resolveMonitoringConfig({});
const RES = 5000;
const T0 = 1_800_000_000_000;

/** Records every exposition the history reads, with the time of the sample that read it. */
function recordTexts(collector: PerformanceMetricsCollector): string[] {
  const texts: string[] = [];
  const real = collector.collectAndExport.bind(collector);
  vi.spyOn(collector, 'collectAndExport').mockImplementation(() => {
    const r = real();
    texts.push(r.text);
    return r;
  });
  return texts;
}

/** Every raw sample of `texts` (taken at `times`) in a store that keeps everything. */
function fullStore(texts: readonly string[], times: readonly number[]): MemoryStore {
  const target = localTarget(config);
  const bySeries = new Map<string, { labels: Record<string, string>; t: number[]; v: number[] }>();
  texts.forEach((text, i) => {
    for (const family of parseExposition(text)) {
      for (const s of family.samples) {
        const labels = { ...s.labels, ...target, __name__: s.name };
        const key = JSON.stringify(Object.entries(labels).sort());
        let series = bySeries.get(key);
        if (!series) bySeries.set(key, (series = { labels, t: [], v: [] }));
        series.t.push(times[i]!);
        series.v.push(s.value);
      }
    }
  });
  const store = new MemoryStore();
  for (const s of bySeries.values()) store.add(s.labels, s.t, s.v);
  return store;
}

/**
 * The history's series (at full resolution) against `evaluate()` of every sampled panel query at every sample
 * time over the full store. Returns the panels that never had a series, and the number of values compared.
 */
function expectHistoryEqualsEvaluation(
  history: MetricHistory,
  texts: readonly string[],
  times: readonly number[],
): { empty: string[]; compared: number } {
  const store = fullStore(texts, times);
  const options: EvalOptions = {
    vars: { rateInterval: history.windows.rateInterval, range: history.windows.rangeWindow },
    recorded: recordedQueries(config),
  };
  const range = history.query(0, history.resolutionMs);
  expect(range.t).toEqual(times);
  const actual = new Map(range.series.map((s) => [s.key, s.values]));
  const expected = new Map<string, Array<number | null>>();
  const panels = sampledPanels(
    pageConfig(config, {
      mode: 'local',
      resolutionMs: history.resolutionMs,
      retentionMs: history.retentionMs,
    }).panels,
  );
  const seen = new Set<string>();
  times.forEach((t, i) => {
    for (const panel of panels) {
      for (const q of panel.queries) {
        for (const s of evaluate(q.query, store, t, options)) {
          const { __name__: _, ...labels } = s.labels;
          const key = seriesKey(panel.id, q.refId, labels);
          let values = expected.get(key);
          if (!values) expected.set(key, (values = new Array<number | null>(times.length).fill(null)));
          values[i] = Number.isFinite(s.value) ? s.value : null;
          seen.add(panel.id);
        }
      }
    }
  });
  // Series that never had a finite value are not listed by the history.
  for (const [key, values] of expected) if (values.every((v) => v === null)) expected.delete(key);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  let compared = 0;
  for (const [key, values] of expected) {
    const got = actual.get(key)!;
    values.forEach((v, i) => {
      if (v === null) expect(got[i], `${key} at ${i}`).toBeNull();
      else {
        expect(Math.abs(got[i]! - v), `${key} at ${i}: ${got[i]} vs ${v}`).toBeLessThanOrEqual(
          1e-9 * Math.abs(v),
        );
        compared++;
      }
    });
  }
  return { empty: panels.map((p) => p.id).filter((id) => !seen.has(id)), compared };
}

/** A collector with `tools` tools and `providers` providers, some failing, some rate-limited. */
function manyComponents(
  tools: readonly string[],
  providers: readonly string[],
): {
  collector: PerformanceMetricsCollector;
  step(round: number): void;
} {
  const toolMonitor = new ToolExecutionMonitor();
  const pool = new ProviderPoolMonitor();
  const collector = new PerformanceMetricsCollector()
    .registerToolExecution(toolMonitor)
    .registerProviderPool(pool);
  return {
    collector,
    step(round) {
      tools.forEach((tool, i) => {
        for (let k = 0; k <= i % 3; k++)
          toolMonitor.record(tool, 10 + ((i * 7 + round * 13 + k) % 400), k !== 1);
      });
      providers.forEach((p, i) => {
        for (let k = 0; k < 4; k++) pool.record(p, 50 + ((i * 31 + round * 17 + k * 5) % 900), 'success');
        pool.record(p, 30, i === 0 ? 'rate_limit' : 'timeout');
      });
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('built-in panels are the panel queries, evaluated', () => {
  it('equal evaluate() of every panel query on the same samples (demo workload)', async () => {
    const collector = new PerformanceMetricsCollector();
    const workload = startWorkload({ collector, seed: 5, speed: 4 });
    try {
      await workload.started;
      const texts = recordTexts(collector);
      const history = new MetricHistory(collector, { resolutionMs: RES, retentionMs: 3_600_000 });
      const times: number[] = [];
      // Synthetic sample times 5 s apart; the workload runs in real time between them.
      for (let i = 0; i < 16; i++) {
        await new Promise((r) => setTimeout(r, 150));
        times.push(T0 + i * RES);
        history.sample(T0 + i * RES);
      }
      const { empty, compared } = expectHistoryEqualsEvaluation(history, texts, times);
      // Every page panel but the alerts list (which reads Prometheus' ALERTS) has data, so none is skipped.
      expect(empty).toEqual([]);
      expect(compared).toBeGreaterThan(300);
      expect(history.sampler!.evaluationErrors).toBe(0);
    } finally {
      await workload.stop();
    }
  }, 60_000);

  it('keeps every series of 60 tools x 3 providers at the default cap, equal to evaluate()', () => {
    const tools = Array.from({ length: 60 }, (_, i) => `tool_${i}`);
    const providers = ['anthropic', 'openai', 'local-llama'];
    const { collector, step } = manyComponents(tools, providers);
    const texts = recordTexts(collector);
    const history = new MetricHistory(collector, { resolutionMs: RES, retentionMs: 3_600_000 });
    expect(history.maxSeries).toBe(DEFAULT_MAX_SERIES);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      step(i);
      times.push(T0 + i * RES);
      history.sample(T0 + i * RES);
    }
    expect(history.droppedSeries).toBe(0);
    expect(history.droppedSamples).toBe(0);
    expectHistoryEqualsEvaluation(history, texts, times);
    const series = history.query(0).series;
    const labelsOf = (panel: string, label: string): string[] =>
      series
        .filter((s) => s.panel === panel)
        .map((s) => s.labels[label]!)
        .sort();
    for (const panel of ['provider-health', 'provider-latency-p95-by-provider', 'rate-limited-requests'])
      expect(labelsOf(panel, 'provider'), panel).toEqual([...providers].sort());
    // topk(10) over time: every tool that was in the top 10 at some sample is kept.
    expect(labelsOf('top-tools-by-execution', 'tool').length).toBeGreaterThanOrEqual(10);
  });

  it('a low cap drops series, counted in the page data and the stream', async () => {
    const { collector, step } = manyComponents(
      Array.from({ length: 20 }, (_, i) => `t${i}`),
      ['a', 'b', 'c'],
    );
    const server = createServer({ collector, port: 0, history: { resolutionMs: 1000, maxSeries: 5 } });
    try {
      const url = await server.start();
      const history = server.history!;
      history.stop();
      const points: Array<{ dropped_series: number }> = [];
      history.subscribe((p) => points.push(p));
      for (let i = 0; i < 3; i++) {
        step(i);
        history.sample(Date.now() + i * 1000);
      }
      const body = (await (await fetch(`${url}/dashboard/api/history?from=0`)).json()) as HistoryResponse;
      expect(body.max_series).toBe(5);
      expect(body.series.length).toBeLessThanOrEqual(5);
      expect(body.dropped_series).toBeGreaterThan(0);
      expect(body.dropped_series).toBe(history.droppedSeries);
      expect(points.at(-1)!.dropped_series).toBe(history.droppedSeries);
      expect(history.droppedSamples).toBeGreaterThanOrEqual(history.droppedSeries);
    } finally {
      await server.close();
    }
  });
});

describe('series keys and labels', () => {
  // (A newline is left out end to end: in Prometheus 2, which the evaluator follows, `.*` does not match it.)
  const NAMES = ['search,web', 'search', 'web', 'q"x', 'back\\slash', 'a=b', 'c}d', 'tool="x"'];

  it('one key per label set, whatever the values hold', () => {
    const sets: Array<Record<string, string>> = [
      ...NAMES.map((tool) => ({ tool })),
      { tool: 'x\ny' },
      { tool: 'x\\ny' },
      { tool: 'search', status: 'web' },
      { a: 'x",b="y' },
      { a: 'x', b: 'y' },
      { a: 'x\\', b: 'y' },
    ];
    const keys = sets.map((l) => seriesKey('p', 'A', l));
    expect(new Set(keys).size).toBe(sets.length);
    // Canonical: the label order does not matter.
    expect(seriesKey('p', 'A', { b: '1', a: '2' })).toBe(seriesKey('p', 'A', { a: '2', b: '1' }));
  });

  let server: PerformanceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('tools named with , " \\ = } stay distinct from the exposition to the page data', async () => {
    const tools = new ToolExecutionMonitor();
    const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
    server = createServer({ collector, port: 0, history: { resolutionMs: 1000 } });
    const url = await server.start();
    const history = server.history!;
    history.stop();
    const start = Date.now();
    for (let round = 0; round < 3; round++) {
      NAMES.forEach((name, i) => {
        for (let k = 0; k <= i; k++) tools.record(name, 5, true);
      });
      history.sample(start + round * 1000);
    }
    const body = (await (await fetch(`${url}/dashboard/api/history?from=0`)).json()) as HistoryResponse;
    // Top Tools by Execution: topk(10) of increase by tool, one series per tool name, exactly as recorded.
    const top = body.series.filter((s) => s.panel === 'top-tools-by-execution');
    expect(top.map((s) => s.labels).sort((a, b) => a.tool!.localeCompare(b.tool!))).toEqual(
      [...NAMES].sort((a, b) => a.localeCompare(b)).map((tool) => ({ tool })),
    );
    expect(new Set(top.map((s) => s.key)).size).toBe(NAMES.length);
    // Each keeps its own count: tool i ran i+1 times per round, so the increases are ordered like that.
    const last = new Map(top.map((s) => [s.labels.tool!, s.values.at(-1)!]));
    for (let i = 1; i < NAMES.length; i++)
      expect(last.get(NAMES[i]!)!, NAMES[i]).toBeGreaterThan(last.get(NAMES[i - 1]!)!);
  });
});

describe('pruned state', () => {
  const text = (names: string[]): string =>
    names.map((n) => `# TYPE ${n} gauge\n${n}{tool="x"} 1\n`).join('') + '# EOF\n';

  it('the raw-sample store forgets samples past the window and series that vanished', () => {
    const store = new RecentSamples((name) => (name === 'skipped' ? undefined : 10_000));
    store.append(0, text(['a', 'b', 'skipped']), { instance: 'local' });
    expect(store.seriesCount).toBe(2);
    for (let t = 1000; t <= 10_000; t += 1000) store.append(t, text(['a']), { instance: 'local' });
    expect(store.seriesCount).toBe(2);
    store.append(11_000, text(['a']), { instance: 'local' });
    // b's only sample is older than the window now; a keeps the samples of the last 10 s.
    expect(store.seriesCount).toBe(1);
    expect(store.sampleCount).toBe(11);
    expect([...store.series('a')][0]!.labels).toEqual({ __name__: 'a', tool: 'x', instance: 'local' });
  });

  it("the sampler's raw store stays bounded as samples accumulate", () => {
    const { collector, step } = manyComponents(['t'], ['p']);
    const history = new MetricHistory(collector, {
      resolutionMs: RES,
      retentionMs: 600_000,
      rangeWindow: '1m',
    });
    const sizes: number[] = [];
    for (let i = 0; i < 90; i++) {
      step(i);
      history.sample(T0 + i * RES);
      sizes.push(history.sampler!.store.sampleCount);
    }
    // The longest window read here is the health score's 5m rates: past 62 samples the store stops growing.
    expect(sizes[89]).toBe(sizes[70]);
    expect(sizes[70]).toBeGreaterThan(sizes[10]!);
  });
});
