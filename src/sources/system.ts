/**
 * System: the process's memory, CPU, uptime and threads, plus Node's heap and event loop.
 *
 * Readings never depend on who reads or how often: no collection resets anything. CPU time is exported as
 * a cumulative counter (`system_cpu_seconds_total`, for rate() in Prometheus). One internal sampler (an
 * unref'd timer, every `sampleIntervalMs`, default 1 s) keeps a short ring of CPU time, event-loop
 * utilization and the event-loop delay P99 of each interval; the percent, utilization and delay gauges are
 * derived from that ring over a trailing window (`windowMs`, default 10 s) ending at the read. So the
 * dashboard history every 5 s, a Prometheus scrape every 15 s and API clients all see the same figures at
 * the same moment. (The original read a fresh process handle each time and so always answered 0 %;
 * README "How it differs from the original", item 6.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { CATALOG } from '../metrics/catalog.ts';
import { reportInternalError } from '../metrics/guard.ts';
import { Counter, Gauge, type AnyMetric } from '../metrics/primitives.ts';
import type { Source, SystemSnapshot } from '../collector/types.ts';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** CPU windows shorter than this give noisy figures: unknown instead. */
const MIN_WINDOW_MS = 10;

/** Where readings come from; tests replace some of them. */
export interface SystemReaders {
  memoryUsage(): { rss: number; heapUsed: number; heapTotal: number };
  /** Process CPU time in microseconds, as `process.cpuUsage()`. */
  cpuUsage(): { user: number; system: number };
  /** Monotonic wall clock in ms. */
  now(): number;
  availableMemory(): number;
  cpuCount(): number;
  uptimeSeconds(): number;
  /** Process start, seconds since the Unix epoch. */
  startTimeSeconds(): number;
  /** Threads of the process, or null where that cannot be read. */
  threads(): number | null;
  /** Cumulative event-loop idle and active time in ms, as `performance.eventLoopUtilization()`. */
  eventLoopTimes(): { idle: number; active: number };
}

/** MemAvailable from /proc/meminfo on Linux (it counts reclaimable cache, unlike freemem); os.freemem() elsewhere. */
export function readAvailableMemory(): number {
  if (process.platform === 'linux') {
    try {
      const match = /^MemAvailable:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
      if (match) return Number(match[1]) * 1024;
    } catch {
      // Fall through: /proc may be absent or hidden in a sandbox.
    }
  }
  return os.freemem();
}

/** Entries of /proc/self/task on Linux (one per thread); null elsewhere. */
export function readThreadCount(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

export const DEFAULT_READERS: SystemReaders = {
  memoryUsage: () => process.memoryUsage(),
  cpuUsage: () => process.cpuUsage(),
  now: () => performance.now(),
  availableMemory: readAvailableMemory,
  cpuCount: () => os.availableParallelism(),
  uptimeSeconds: () => process.uptime(),
  startTimeSeconds: () => performance.timeOrigin / 1000,
  threads: readThreadCount,
  eventLoopTimes: () => performance.eventLoopUtilization(),
};

export interface SystemMonitorOptions {
  readers?: Partial<SystemReaders>;
  /** Measure event-loop delay and utilization (default true). */
  eventLoop?: boolean;
  /** Resolution of the event-loop delay sampler in ms (default 10). */
  eventLoopResolutionMs?: number;
  /** Interval of the internal sampler in ms (default 1000). */
  sampleIntervalMs?: number;
  /** Trailing window of the CPU %, utilization and delay figures in ms (default 10,000). */
  windowMs?: number;
  /** Run the internal sampler on a timer (default true); without it, call `sample()` yourself. */
  autoSample?: boolean;
}

/** One tick of the internal sampler. */
interface Tick {
  wall: number;
  /** Process CPU time in microseconds. */
  cpu: number;
  eluIdle: number;
  eluActive: number;
  /** P99 event-loop delay of the interval that ended here, in ms (NaN without samples). */
  delayP99: number;
}

export class SystemMonitor implements Source<SystemSnapshot> {
  readonly sourceName = 'system';
  readonly memoryBytes = new Gauge(CATALOG.systemMemoryBytes);
  readonly memoryMb = new Gauge(CATALOG.systemMemoryMb);
  readonly memoryAvailableBytes = new Gauge(CATALOG.systemMemoryAvailableBytes);
  readonly cpuPercent = new Gauge(CATALOG.systemCpuPercent);
  readonly cpuSeconds = new Counter(CATALOG.systemCpuSeconds);
  readonly cpuCount = new Gauge(CATALOG.systemCpuCount);
  readonly uptime = new Gauge(CATALOG.systemUptime);
  readonly startTime = new Gauge(CATALOG.systemStartTime);
  readonly threads = new Gauge(CATALOG.systemThreads);
  readonly heapUsed = new Gauge(CATALOG.systemHeapUsed);
  readonly heapTotal = new Gauge(CATALOG.systemHeapTotal);
  readonly eventLoopDelayP99 = new Gauge(CATALOG.systemEventLoopDelayP99);
  readonly eventLoopUtilization = new Gauge(CATALOG.systemEventLoopUtilization);

  private readonly readers: SystemReaders;
  private readonly windowMs: number;
  private readonly eventLoop: boolean;
  /** Ticks within the window (plus the one just before it, the window's start), oldest first. */
  private readonly ticks: Tick[] = [];
  private readonly delay: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SystemMonitorOptions = {}) {
    this.readers = { ...DEFAULT_READERS, ...options.readers };
    const interval = options.sampleIntervalMs ?? 1000;
    const windowMs = options.windowMs ?? 10_000;
    if (!Number.isInteger(interval) || interval < 10) {
      throw new RangeError(`sampleIntervalMs must be an integer >= 10, got ${String(interval)}`);
    }
    if (!Number.isInteger(windowMs) || windowMs < interval || windowMs > 3_600_000) {
      throw new RangeError(
        `windowMs must be an integer from sampleIntervalMs (${interval}) to 3600000, got ${String(windowMs)}`,
      );
    }
    this.windowMs = windowMs;
    this.eventLoop = options.eventLoop ?? true;
    if (this.eventLoop) {
      const resolution = options.eventLoopResolutionMs ?? 10;
      if (!Number.isInteger(resolution) || resolution < 1) {
        throw new RangeError(`eventLoopResolutionMs must be a positive integer, got ${resolution}`);
      }
      this.delay = monitorEventLoopDelay({ resolution });
      this.delay.enable();
    }
    this.sample();
    if (options.autoSample ?? true) {
      this.timer = setInterval(() => {
        try {
          this.sample();
        } catch (err) {
          reportInternalError(this.sourceName, err);
        }
      }, interval);
      this.timer.unref();
    }
  }

  /** Takes one tick of the internal sampler (the timer calls this; tests may call it by hand). */
  sample(): void {
    const tick = this.read();
    const h = this.delay;
    tick.delayP99 = h === undefined || h.count === 0 ? NaN : h.percentile(99) / 1e6;
    // The sampler is the only one to reset the histogram: each tick holds the P99 of its own interval. (Node
    // skips the first timer interval after a reset: one of ~100 per second at the default resolution.)
    h?.reset();
    this.ticks.push(tick);
    // Keep one tick at or before the window's start, so the window is always covered.
    while (this.ticks.length > 2 && this.ticks[1]!.wall <= tick.wall - this.windowMs) this.ticks.shift();
  }

  private read(): Tick {
    const cpu = this.readers.cpuUsage();
    const elu = this.eventLoop ? this.readers.eventLoopTimes() : { idle: NaN, active: NaN };
    return {
      wall: this.readers.now(),
      cpu: cpu.user + cpu.system,
      eluIdle: elu.idle,
      eluActive: elu.active,
      delayP99: NaN,
    };
  }

  /** The tick the window ending at `now` starts from. */
  private windowStart(now: number): Tick {
    const from = now - this.windowMs;
    let start = this.ticks[0]!;
    for (const t of this.ticks) {
      if (t.wall > from) break;
      start = t;
    }
    return start;
  }

  collect(): SystemSnapshot {
    const mem = this.readers.memoryUsage();
    const available = this.readers.availableMemory();
    const count = this.readers.cpuCount();
    const uptime = this.readers.uptimeSeconds();
    const threads = this.readers.threads();
    const now = this.read();
    const start = this.windowStart(now.wall);
    const elapsedMs = now.wall - start.wall;
    const percent =
      elapsedMs >= MIN_WINDOW_MS ? Math.max(0, ((now.cpu - start.cpu) / 1000 / elapsedMs) * 100) : null;
    let utilization: number | null = null;
    let delayP99: number | null = null;
    if (this.eventLoop) {
      const active = now.eluActive - start.eluActive;
      const total = active + (now.eluIdle - start.eluIdle);
      utilization = total > 0 && Number.isFinite(active / total) ? active / total : null;
      // The worst interval of the window, the current one (not reset by reading) included.
      const h = this.delay!;
      let worst = h.count > 0 ? h.percentile(99) / 1e6 : NaN;
      for (const t of this.ticks) {
        if (t.wall > start.wall && !Number.isNaN(t.delayP99) && !(t.delayP99 <= worst)) worst = t.delayP99;
      }
      delayP99 = Number.isNaN(worst) ? null : worst;
    }

    this.memoryBytes.set(mem.rss);
    this.memoryMb.set(mem.rss / MIB);
    this.memoryAvailableBytes.set(available);
    this.cpuPercent.setOrUnknown(percent);
    this.cpuSeconds.labels({}).value = now.cpu / 1e6;
    this.cpuCount.set(count);
    this.uptime.set(uptime);
    this.startTime.set(this.readers.startTimeSeconds());
    this.threads.setOrUnknown(threads);
    this.heapUsed.set(mem.heapUsed);
    this.heapTotal.set(mem.heapTotal);
    this.eventLoopDelayP99.setOrUnknown(delayP99);
    this.eventLoopUtilization.setOrUnknown(utilization);

    return {
      memory: {
        used_bytes: mem.rss,
        used_mb: mem.rss / MIB,
        used_gb: mem.rss / GIB,
        available_bytes: available,
        available_mb: available / MIB,
      },
      cpu: { percent, count },
      uptime: { seconds: uptime, minutes: uptime / 60, hours: uptime / 3600 },
      threads: { active: threads },
      heap: { used_bytes: mem.heapUsed, total_bytes: mem.heapTotal },
      event_loop: { delay_p99_ms: delayP99, utilization },
    };
  }

  /** Stops the internal sampler and the event-loop delay sampler. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.delay?.disable();
  }

  metrics(): readonly AnyMetric[] {
    return [
      this.memoryBytes,
      this.memoryMb,
      this.memoryAvailableBytes,
      this.cpuPercent,
      this.cpuSeconds,
      this.cpuCount,
      this.uptime,
      this.startTime,
      this.threads,
      this.heapUsed,
      this.heapTotal,
      this.eventLoopDelayP99,
      this.eventLoopUtilization,
    ];
  }
}
