/**
 * System: the process's memory, CPU, uptime and threads, plus Node's heap and event loop.
 *
 * Everything is read at collection time. CPU % is the process CPU time used between two collections divided
 * by the wall time between them (percent of one core, as `top` shows it); the original read a fresh process
 * handle each time and so always answered 0 (reference.md section 7, defect 6). The first collection measures
 * from construction. Event-loop delay and utilization likewise cover the interval since the last collection.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';
import { CATALOG } from '../metrics/catalog.ts';
import { Gauge, type AnyMetric } from '../metrics/primitives.ts';
import type { Source, SystemSnapshot } from '../collector/types.ts';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Intervals shorter than this give noisy CPU figures: keep the last value and the old baseline instead. */
const MIN_CPU_INTERVAL_MS = 10;

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
};

export interface SystemMonitorOptions {
  readers?: Partial<SystemReaders>;
  /** Measure event-loop delay and utilization (default true). */
  eventLoop?: boolean;
  /** Resolution of the event-loop delay sampler in ms (default 10). */
  eventLoopResolutionMs?: number;
}

export class SystemMonitor implements Source<SystemSnapshot> {
  readonly sourceName = 'system';
  readonly memoryBytes = new Gauge(CATALOG.systemMemoryBytes);
  readonly memoryMb = new Gauge(CATALOG.systemMemoryMb);
  readonly memoryAvailableBytes = new Gauge(CATALOG.systemMemoryAvailableBytes);
  readonly cpuPercent = new Gauge(CATALOG.systemCpuPercent);
  readonly cpuCount = new Gauge(CATALOG.systemCpuCount);
  readonly uptime = new Gauge(CATALOG.systemUptime);
  readonly startTime = new Gauge(CATALOG.systemStartTime);
  readonly threads = new Gauge(CATALOG.systemThreads);
  readonly heapUsed = new Gauge(CATALOG.systemHeapUsed);
  readonly heapTotal = new Gauge(CATALOG.systemHeapTotal);
  readonly eventLoopDelayP99 = new Gauge(CATALOG.systemEventLoopDelayP99);
  readonly eventLoopUtilization = new Gauge(CATALOG.systemEventLoopUtilization);

  private readonly readers: SystemReaders;
  private lastCpu: { user: number; system: number };
  private lastWallMs: number;
  private lastPercent: number | null = null;
  private readonly delay: IntervalHistogram | undefined;
  private lastElu: EventLoopUtilization | undefined;

  constructor(options: SystemMonitorOptions = {}) {
    this.readers = { ...DEFAULT_READERS, ...options.readers };
    this.lastCpu = this.readers.cpuUsage();
    this.lastWallMs = this.readers.now();
    if (options.eventLoop ?? true) {
      const resolution = options.eventLoopResolutionMs ?? 10;
      if (!Number.isInteger(resolution) || resolution < 1) {
        throw new RangeError(`eventLoopResolutionMs must be a positive integer, got ${resolution}`);
      }
      this.delay = monitorEventLoopDelay({ resolution });
      this.delay.enable();
      this.lastElu = performance.eventLoopUtilization();
    }
  }

  /** CPU % of one core since the previous call (or construction); null until an interval can be measured. */
  private readCpuPercent(): number | null {
    const wall = this.readers.now();
    const elapsedMs = wall - this.lastWallMs;
    if (elapsedMs < MIN_CPU_INTERVAL_MS) return this.lastPercent;
    const cpu = this.readers.cpuUsage();
    const usedMs = (cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system)) / 1000;
    this.lastCpu = cpu;
    this.lastWallMs = wall;
    this.lastPercent = Math.max(0, (usedMs / elapsedMs) * 100);
    return this.lastPercent;
  }

  /** P99 event-loop delay in ms since the last read (null without samples), then starts a new interval. */
  private readDelayP99(): number | null {
    const h = this.delay;
    if (h === undefined || h.count === 0) return null;
    const p99 = h.percentile(99) / 1e6;
    h.reset();
    return p99;
  }

  private readUtilization(): number | null {
    if (this.lastElu === undefined) return null;
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.lastElu);
    this.lastElu = now;
    return Number.isFinite(delta.utilization) ? delta.utilization : null;
  }

  collect(): SystemSnapshot {
    const mem = this.readers.memoryUsage();
    const available = this.readers.availableMemory();
    const percent = this.readCpuPercent();
    const count = this.readers.cpuCount();
    const uptime = this.readers.uptimeSeconds();
    const threads = this.readers.threads();
    const delayP99 = this.readDelayP99();
    const utilization = this.readUtilization();

    this.memoryBytes.set(mem.rss);
    this.memoryMb.set(mem.rss / MIB);
    this.memoryAvailableBytes.set(available);
    this.cpuPercent.setOrUnknown(percent);
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

  /** Stops the event-loop delay sampler. */
  close(): void {
    this.delay?.disable();
  }

  metrics(): readonly AnyMetric[] {
    return [
      this.memoryBytes,
      this.memoryMb,
      this.memoryAvailableBytes,
      this.cpuPercent,
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
