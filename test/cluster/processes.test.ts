/**
 * Aggregation across real processes: four `cluster` workers sharing one port, and four worker threads behind
 * the primary's server. Each run does known work in ten batches (the truth is recomputed here from the same
 * seeds), kills one process after the fourth batch and hangs another at the end; see fixtures/scenario.ts.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseExposition } from './helpers.ts';
import { RELATIVE_ACCURACY } from '../../src/metrics/sketch.ts';
import { samplesFor, type Sample } from './fixtures/work.ts';

const SCENARIO = new URL('./fixtures/scenario.ts', import.meta.url).pathname;
const KILL_AFTER = 4;
const KILLED = 2;

interface ScenarioOutput {
  names: string[];
  killed: string;
  hung: string;
  batches: number[];
  scrapes: Array<{ batch: number; metrics: string; tools: { duration_ms: Record<string, number> } }>;
  hang: {
    refreshMs: number;
    timeoutMs: number;
    metrics: string;
    processes: Array<{ process: string; stale: boolean }>;
  };
}

function runScenario(mode: 'cluster' | 'threads'): Promise<ScenarioOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCENARIO, mode], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`scenario ${mode} exited ${code}: ${err}`));
      else resolve(JSON.parse(line) as ScenarioOutput);
    });
  });
}

/** Every sample recorded by every process up to and including `batch`. */
function samplesUpTo(batch: number): Sample[] {
  const all: Sample[] = [];
  for (let index = 0; index < 4; index++) {
    const done = index === KILLED ? Math.min(batch + 1, KILL_AFTER) : batch + 1;
    for (let b = 0; b < done; b++) all.push(...samplesFor(index, b));
  }
  return all;
}

function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function truthCounters(samples: Sample[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of samples) {
    const counter = `victor_tool_executions_total{tool="${s.tool}",status="${s.ok ? 'success' : 'failure'}"}`;
    out.set(counter, (out.get(counter) ?? 0) + 1);
    const count = `victor_tool_execution_duration_ms_count{tool="${s.tool}"}`;
    out.set(count, (out.get(count) ?? 0) + 1);
    // The application's custom metrics, counted by the same work in each process.
    const jobs = `victor_app_jobs_total{tool="${s.tool}"}`;
    out.set(jobs, (out.get(jobs) ?? 0) + 1);
    out.set('victor_app_job_ms_count', (out.get('victor_app_job_ms_count') ?? 0) + 1);
  }
  return out;
}

describe.each(['cluster', 'threads'] as const)('four %s processes', (mode) => {
  let result: ScenarioOutput;

  it('runs the scenario', { timeout: 120_000 }, async () => {
    result = await runScenario(mode);
    expect(result.scrapes).toHaveLength(10);
    expect(result.batches).toEqual([10, 10, KILL_AFTER, 10]);
  });

  it('every scrape equals the truth and no counter ever goes back, across the kill', () => {
    let previous = new Map<string, number>();
    for (const scrape of result.scrapes) {
      const seen = parseExposition(scrape.metrics);
      const truth = truthCounters(samplesUpTo(scrape.batch));
      for (const [series, value] of truth)
        expect(seen.get(series), `${series} at batch ${scrape.batch}`).toBe(value);
      for (const [series, value] of seen) {
        if (/_total\{|_count\{|_bucket\{|_sum\{/.test(series) && previous.has(series)) {
          expect(value, `${series} at batch ${scrape.batch}`).toBeGreaterThanOrEqual(previous.get(series)!);
        }
      }
      previous = seen;
    }
  });

  it("the collector's own series add up over every process, the killed one included", () => {
    const reads = (metrics: string): number =>
      parseExposition(metrics).get('victor_collection_duration_seconds_count{source="tool_execution"}')!;
    const first = reads(result.scrapes[0]!.metrics);
    for (const scrape of result.scrapes) {
      // Each scrape and tools read observes its collection time once, in whichever process served it (the
      // servers' own periodic collections may add more); the killed process's last read may have come after
      // its last report. One process alone saw about a quarter of them.
      const since = reads(scrape.metrics) - first;
      const lost = mode === 'cluster' && scrape.batch >= KILL_AFTER ? 1 : 0;
      expect(since, `batch ${scrape.batch}`).toBeGreaterThanOrEqual(2 * scrape.batch - lost);
    }
  });

  it('histogram sums equal the sums of the samples', () => {
    const last = result.scrapes.at(-1)!;
    const seen = parseExposition(last.metrics);
    for (const tool of ['search', 'fetch', 'parse']) {
      const truth = samplesUpTo(last.batch)
        .filter((s) => s.tool === tool)
        .reduce((a, s) => a + s.ms, 0);
      expect(seen.get(`victor_tool_execution_duration_ms_sum{tool="${tool}"}`)).toBeCloseTo(truth, 6);
    }
    const all = samplesUpTo(last.batch).reduce((a, s) => a + s.ms, 0);
    expect(seen.get('victor_app_job_ms_sum')).toBeCloseTo(all, 6);
  });

  it('merged P50/P95/P99 are within the sketch error of the exact quantiles over every sample', () => {
    for (const scrape of result.scrapes) {
      const values = samplesUpTo(scrape.batch).map((s) => s.ms);
      for (const [key, q] of [
        ['p50', 0.5],
        ['p95', 0.95],
        ['p99', 0.99],
      ] as const) {
        const exact = exactQuantile(values, q);
        const merged = scrape.tools.duration_ms[key]!;
        expect(Math.abs(merged - exact), `${key} at batch ${scrape.batch}`).toBeLessThanOrEqual(
          exact * RELATIVE_ACCURACY * (1 + 1e-9),
        );
      }
    }
  });

  it('keeps system readings per process next to their total', () => {
    const seen = parseExposition(result.scrapes.at(-1)!.metrics);
    const memory = [...seen.keys()].filter((k) => k.startsWith('victor_system_memory_bytes{'));
    const perProcess = memory.filter((k) => !k.includes('process="total"'));
    expect(memory).toContain('victor_system_memory_bytes{process="total"}');
    // Threads share their process's memory, so they are one process there.
    expect(perProcess).toHaveLength(mode === 'cluster' ? 3 : 1);
    const total = perProcess.reduce((a, k) => a + seen.get(k)!, 0);
    expect(seen.get('victor_system_memory_bytes{process="total"}')).toBe(total);
    expect(seen.get('victor_cluster_processes_exited_total')).toBe(1);
  });

  it('a hung process does not block the refresh: last known values, marked stale and counted', () => {
    const { hang, hung } = result;
    expect(hang.refreshMs).toBeGreaterThanOrEqual(hang.timeoutMs * 0.9);
    expect(hang.refreshMs).toBeLessThan(hang.timeoutMs + 3000);
    const seen = parseExposition(hang.metrics);
    expect(seen.get(`victor_cluster_process_stale{process="${hung}"}`)).toBe(1);
    expect(seen.get(`victor_cluster_collect_timeouts_total{process="${hung}"}`)).toBe(1);
    expect(hang.processes.find((p) => p.process === hung)?.stale).toBe(true);
    for (const [series, value] of truthCounters(samplesUpTo(9))) expect(seen.get(series), series).toBe(value);
  });
});
