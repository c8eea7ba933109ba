/**
 * Tool execution: how long each tool run takes and whether it failed.
 *
 * Every execution is one observation in `tool_execution_duration_ms{tool}` and in an all-tools quantile
 * tracker, so P50/P95/P99 are taken over executions, not over per-tool averages (README "How it differs from the original",
 * item 9). A tool's bound metric children and running stats live in one entry, resolved once per tool name:
 * recording is one Map look-up, and none at all through a function returned by `wrap()`.
 */
import { CATALOG, OVERFLOW_LABEL_VALUE } from '../metrics/catalog.ts';
import {
  Counter,
  Gauge,
  Histogram,
  type AnyMetric,
  type CounterChild,
  type HistogramChild,
} from '../metrics/primitives.ts';
import { DEFAULT_MAX_SERIES, validateMaxSeries } from '../metrics/metric.ts';
import { reportInternalError } from '../metrics/guard.ts';
import { addSaturating, badValue } from '../metrics/names.ts';
import { QuantileTracker, type WindowClock } from '../metrics/sketch.ts';
import type { Percentiles, Source, ToolExecutionSnapshot, ToolStats } from '../collector/types.ts';
import { WindowedCounter } from './window.ts';

export interface ToolExecutionMonitorOptions {
  /**
   * Tools kept apart, in the stats and the series (default 1000); later tool names share the overflow entry,
   * named '' (the empty name, which no caller can give).
   */
  maxSeries?: number;
  /** Recent window for the error rate and the percentiles (default 5 minutes). */
  windowMs?: number;
  clock?: WindowClock;
}

export const TOP_TOOLS = 10;

/** One tool's bound children and running stats. */
class ToolEntry {
  total = 0;
  failed = 0;
  totalMs = 0;
  minMs = Infinity;
  maxMs = -Infinity;

  constructor(
    readonly tool: string,
    readonly duration: HistogramChild,
    readonly success: CounterChild,
    readonly failure: CounterChild,
    /** The shared entry of the tools past the limit: its records are counted as folded. */
    readonly overflow: boolean,
  ) {}

  stats(): ToolStats {
    const n = this.total;
    return {
      total_calls: n,
      successful_calls: n - this.failed,
      failed_calls: this.failed,
      total_time_ms: this.totalMs,
      avg_time_ms: n === 0 ? null : this.totalMs / n,
      min_time_ms: n === 0 ? null : this.minMs,
      max_time_ms: n === 0 ? null : this.maxMs,
    };
  }
}

export class ToolExecutionMonitor implements Source<ToolExecutionSnapshot> {
  readonly sourceName = 'tool_execution';
  readonly duration: Histogram<'tool'>;
  readonly executions: Counter<'tool' | 'status'>;
  readonly errorRate: Gauge;

  private readonly tools = new Map<string, ToolEntry>();
  private readonly maxTools: number;
  private overflowEntry: ToolEntry | undefined;
  /** Every execution of every tool, for percentiles over executions. */
  private readonly all: QuantileTracker;
  private readonly recentTotal: WindowedCounter;
  private readonly recentFailed: WindowedCounter;
  private total = 0;
  private failed = 0;
  private totalMs = 0;

  constructor(options: ToolExecutionMonitorOptions = {}) {
    const maxSeries = validateMaxSeries('ToolExecutionMonitor', options.maxSeries ?? DEFAULT_MAX_SERIES);
    const window = { windowMs: options.windowMs, clock: options.clock };
    this.maxTools = maxSeries;
    this.duration = new Histogram(CATALOG.toolExecutionDuration, { maxSeries, ...window });
    // Two statuses per tool (plus the overflow tool's two), so the same number of tools fits before folding.
    this.executions = new Counter(CATALOG.toolExecutions, { maxSeries: 2 * maxSeries });
    this.errorRate = new Gauge(CATALOG.toolErrorRate);
    this.all = new QuantileTracker(window);
    this.recentTotal = new WindowedCounter(window);
    this.recentFailed = new WindowedCounter(window);
  }

  /**
   * Wraps a tool function (sync or async); the result has the same signature. The tool is resolved here,
   * once. A throw or rejection is recorded as a failure and propagates unchanged.
   */
  wrap<A extends unknown[], R>(toolName: string, fn: (...args: A) => R): (...args: A) => R {
    const entry = this.entry(toolName);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- `this` inside is the tool's caller's
    const monitor = this;
    return function (this: unknown, ...args: A): R {
      return monitor.timed(entry, () => fn.apply(this, args));
    };
  }

  /** Runs `fn` as one execution of `toolName`. */
  run<R>(toolName: string, fn: () => R): R {
    return this.timed(this.entry(toolName), fn);
  }

  /** Records one execution measured elsewhere. */
  record(toolName: string, durationMs: number, ok: boolean): void {
    // Checked before anything is counted or a tool entry made, so a bad value leaves no trace. Timed runs
    // need no check: performance.now() deltas are finite and >= 0.
    if (typeof durationMs !== 'number' || !(durationMs >= 0 && durationMs < Infinity)) {
      throw badValue(
        `metric ${CATALOG.toolExecutionDuration.name}, tool ${JSON.stringify(toolName)}`,
        'duration must be a finite number >= 0 ms',
        durationMs,
      );
    }
    if (typeof ok !== 'boolean') {
      throw new TypeError(
        `metric ${CATALOG.toolExecutions.name}, tool ${JSON.stringify(toolName)}: ok must be a boolean, got ${typeof ok} ${String(ok)}`,
      );
    }
    this.observe(this.entry(toolName), durationMs, ok);
  }

  /** Runs the tool; recording never throws into it nor changes what it returns or throws. */
  private timed<R>(entry: ToolEntry, fn: () => R): R {
    const start = performance.now();
    let result: R;
    try {
      result = fn();
    } catch (err) {
      this.safeObserve(entry, start, false);
      throw err;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          this.safeObserve(entry, start, true);
          return value;
        },
        (err: unknown) => {
          this.safeObserve(entry, start, false);
          throw err;
        },
      ) as R;
    }
    this.safeObserve(entry, start, true);
    return result;
  }

  private safeObserve(entry: ToolEntry, start: number, ok: boolean): void {
    try {
      this.observe(entry, performance.now() - start, ok);
    } catch (err) {
      reportInternalError(this.sourceName, err);
    }
  }

  private observe(entry: ToolEntry, ms: number, ok: boolean): void {
    entry.duration.observe(ms);
    entry.total++;
    entry.totalMs = addSaturating(entry.totalMs, ms);
    if (ms < entry.minMs) entry.minMs = ms;
    if (ms > entry.maxMs) entry.maxMs = ms;
    this.total++;
    this.totalMs = addSaturating(this.totalMs, ms);
    this.all.add(ms);
    this.recentTotal.inc();
    if (ok) {
      entry.success.inc();
    } else {
      entry.failure.inc();
      entry.failed++;
      this.failed++;
      this.recentFailed.inc();
    }
    if (entry.overflow) {
      this.duration.noteOverflow();
      this.executions.noteOverflow();
    }
  }

  private entry(toolName: string): ToolEntry {
    const found = this.tools.get(toolName);
    if (found !== undefined) return found;
    if (typeof toolName !== 'string' || toolName === '') {
      throw new TypeError(
        `tool name must be a non-empty string, got ${JSON.stringify(toolName) ?? 'nothing'}`,
      );
    }
    // Past the limit, new tools share one overflow entry, like the metrics' own overflow series; their names
    // are not kept, so memory stays bounded whatever the callers pass.
    if (this.tools.size >= this.maxTools) {
      return (this.overflowEntry ??= new ToolEntry(
        OVERFLOW_LABEL_VALUE,
        this.duration.overflowSeries(),
        this.executions.overflowSeries({ status: 'success' }),
        this.executions.overflowSeries({ status: 'failure' }),
        true,
      ));
    }
    const entry = new ToolEntry(
      toolName,
      this.duration.labels({ tool: toolName }),
      this.executions.labels({ tool: toolName, status: 'success' }),
      this.executions.labels({ tool: toolName, status: 'failure' }),
      false,
    );
    this.tools.set(toolName, entry);
    return entry;
  }

  /** Failed / total executions over the recent window; null with none in it. */
  recentErrorRate(): number | null {
    const n = this.recentTotal.sum();
    return n === 0 ? null : this.recentFailed.sum() / n;
  }

  /** Stats of one tool, or undefined if it never ran. */
  toolStats(toolName: string): ToolStats | undefined {
    return this.tools.get(toolName)?.stats();
  }

  collect(): ToolExecutionSnapshot {
    const errorRate = this.recentErrorRate();
    this.errorRate.setOrUnknown(errorRate);
    const entries = [...this.tools.values()];
    if (this.overflowEntry) entries.push(this.overflowEntry);
    // No prototype: a tool named __proto__ is an ordinary key.
    const toolMetrics = Object.create(null) as Record<string, ToolStats>;
    for (const e of entries) toolMetrics[e.tool] = e.stats();
    const top = entries
      .filter((e) => e.total > 0)
      .sort((a, b) => b.total - a.total || (a.tool < b.tool ? -1 : 1))
      .slice(0, TOP_TOOLS)
      .map((e) => ({
        tool: e.tool,
        executions: e.total,
        failed: e.failed,
        avg_time_ms: e.totalMs / e.total,
      }));
    const duration: Percentiles = {
      avg: this.total === 0 ? null : this.totalMs / this.total,
      p50: this.all.recent(0.5),
      p95: this.all.recent(0.95),
      p99: this.all.recent(0.99),
    };
    return {
      executions: { total: this.total, successful: this.total - this.failed, failed: this.failed },
      duration_ms: duration,
      errors: { error_rate: errorRate },
      top_tools: top,
      tool_metrics: toolMetrics,
    };
  }

  metrics(): readonly AnyMetric[] {
    return [this.executions, this.duration, this.errorRate];
  }
}

function isThenable<T>(v: T): v is T & PromiseLike<Awaited<T>> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
