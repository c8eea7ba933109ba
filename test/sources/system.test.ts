import os from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from '../../src/metrics/registry.ts';
import { SystemMonitor, readAvailableMemory, type SystemReaders } from '../../src/sources/system.ts';

const MIB = 1024 * 1024;
const monitors: SystemMonitor[] = [];

function monitor(...args: ConstructorParameters<typeof SystemMonitor>): SystemMonitor {
  const m = new SystemMonitor(...args);
  monitors.push(m);
  return m;
}

afterEach(() => {
  for (const m of monitors.splice(0)) m.close();
});

function render(m: SystemMonitor): string {
  const registry = new Registry();
  for (const metric of m.metrics()) registry.register(metric);
  return registry.metricsText();
}

function burnCpu(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Burns CPU until the process has had `cpuMs` of CPU time, however long a busy machine makes that take (up to
 * a deadline): a fixed stretch of wall time may get almost no CPU under load.
 */
function burnCpuTime(cpuMs: number, deadlineMs = 30_000): void {
  const start = process.cpuUsage();
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    burnCpu(5);
    const used = process.cpuUsage(start);
    if ((used.user + used.system) / 1000 >= cpuMs) return;
    if (performance.now() > deadline)
      throw new Error(`got ${used.user / 1000} ms of CPU in ${deadlineMs} ms`);
  }
}

describe('SystemMonitor on the real process', () => {
  it('reports CPU % from process CPU time: not 0 under load', { timeout: 40_000 }, () => {
    const wallStart = performance.now();
    const cpuStart = process.cpuUsage();
    const m = monitor();
    m.collect();
    burnCpuTime(200);
    const s = m.collect();
    const cpu = process.cpuUsage(cpuStart);
    // What the process really used over (a little more than) the monitor's window, whatever the machine's load.
    const used = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallStart)) * 100;
    expect(s.cpu.percent).not.toBeNull();
    expect(s.cpu.percent!).toBeGreaterThan(used * 0.5);
    expect(s.cpu.percent!).toBeGreaterThan(1);
    expect(render(m)).toMatch(/^victor_system_cpu_percent \d+(\.\d+)?$/m);
  });

  it('reports memory, CPU count, uptime, heap and threads', () => {
    const m = monitor();
    const s = m.collect();
    const rss = process.memoryUsage().rss;
    expect(s.memory.used_bytes).toBeGreaterThan(10 * MIB);
    // RSS moves a little between the two reads.
    expect(Math.abs(s.memory.used_bytes - rss) / rss).toBeLessThan(0.2);
    expect(s.memory.used_mb).toBe(s.memory.used_bytes / MIB);
    expect(s.memory.used_gb).toBe(s.memory.used_bytes / (1024 * MIB));
    expect(s.memory.available_bytes).toBeGreaterThan(0);
    expect(s.memory.available_bytes).toBeLessThanOrEqual(os.totalmem());
    expect(s.memory.available_mb).toBe(s.memory.available_bytes / MIB);
    expect(s.cpu.count).toBe(os.availableParallelism());
    expect(s.uptime.seconds).toBeGreaterThan(0);
    expect(s.uptime.minutes).toBe(s.uptime.seconds / 60);
    expect(s.uptime.hours).toBe(s.uptime.seconds / 3600);
    expect(s.heap.used_bytes).toBeGreaterThan(0);
    expect(s.heap.total_bytes).toBeGreaterThanOrEqual(s.heap.used_bytes);
    if (process.platform === 'linux') {
      // Node always runs libuv and V8 worker threads besides the main one.
      expect(s.threads.active!).toBeGreaterThan(1);
    } else {
      expect(s.threads.active).toBeNull();
    }
  });

  it.runIf(process.platform === 'linux')('reads MemAvailable from /proc/meminfo on Linux', async () => {
    const { readFileSync } = await import('node:fs');
    const kb = Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
    expect(Math.abs(readAvailableMemory() - kb * 1024)).toBeLessThan(256 * MIB);
  });

  it('measures event-loop delay and utilization over a trailing window; reading resets nothing', async () => {
    const m = monitor({ eventLoopResolutionMs: 10, sampleIntervalMs: 50, windowMs: 200, autoSample: false });
    await sleep(60);
    m.sample();
    // Node's delay histogram drops the first interval after a reset: let one pass, then block the loop.
    await sleep(30);
    burnCpu(150);
    await sleep(20);
    m.sample();
    const first = m.collect();
    expect(first.event_loop.delay_p99_ms).not.toBeNull();
    expect(first.event_loop.delay_p99_ms!).toBeGreaterThan(100);
    expect(first.event_loop.utilization!).toBeGreaterThan(0.3);
    expect(first.event_loop.utilization!).toBeLessThanOrEqual(1);
    // Any number of reads later, the stall is still there for every reader: nothing was reset by reading.
    for (let i = 0; i < 5; i++) m.collect();
    expect(m.collect().event_loop.delay_p99_ms!).toBeGreaterThan(100);
    // Once the window has moved past it, quiet intervals report a small delay.
    for (let i = 0; i < 5; i++) {
      await sleep(60);
      m.sample();
    }
    const quiet = m.collect().event_loop.delay_p99_ms;
    if (quiet !== null) expect(quiet).toBeLessThan(100);
  });

  it('renders every system family', () => {
    const m = monitor();
    m.collect();
    const text = render(m);
    for (const name of [
      'system_memory_bytes',
      'system_memory_mb',
      'system_memory_available_bytes',
      'system_cpus',
      'system_uptime_seconds',
      'system_heap_used_bytes',
      'system_heap_total_bytes',
      'system_event_loop_utilization',
    ]) {
      expect(text).toContain(`# TYPE victor_${name} gauge\nvictor_${name} `);
    }
    if (process.platform === 'linux') expect(text).toMatch(/^victor_system_threads \d+$/m);
  });
});

describe('SystemMonitor with injected readers', () => {
  function fakeReaders() {
    const state = { now: 0, user: 0, system: 0, threads: 4 as number | null };
    const readers: Partial<SystemReaders> = {
      now: () => state.now,
      cpuUsage: () => ({ user: state.user, system: state.system }),
      memoryUsage: () => ({ rss: 512 * MIB, heapUsed: 20 * MIB, heapTotal: 40 * MIB }),
      availableMemory: () => 2048 * MIB,
      cpuCount: () => 8,
      uptimeSeconds: () => 7200,
      threads: () => state.threads,
    };
    return { state, readers };
  }

  it('computes CPU % of one core over the trailing window, and CPU seconds as a counter', () => {
    const { state, readers } = fakeReaders();
    const m = monitor({
      readers,
      eventLoop: false,
      autoSample: false,
      sampleIntervalMs: 1000,
      windowMs: 2000,
    });
    // No wall time has passed since construction: unknown, not 0.
    let s = m.collect();
    expect(s.cpu.percent).toBeNull();
    expect(render(m)).not.toContain('victor_system_cpu_percent');

    state.now = 1000;
    state.user = 500_000; // 500 ms user
    state.system = 250_000; // 250 ms system
    expect(m.collect().cpu.percent).toBe(75);
    expect(render(m)).toContain('victor_system_cpu_seconds_total 0.75\n');
    m.sample();

    // Two busy cores for a second: the window (2 s, from the construction tick) averages 75 % and 200 %.
    state.now = 2000;
    state.user += 2_000_000;
    expect(m.collect().cpu.percent).toBeCloseTo(137.5, 10);
    m.sample();
    // The window slides: from the tick at 1000, only the busy second and an idle one.
    state.now = 3000;
    expect(m.collect().cpu.percent).toBeCloseTo(100, 10);

    s = m.collect();
    expect(s.memory).toEqual({
      used_bytes: 512 * MIB,
      used_mb: 512,
      used_gb: 0.5,
      available_bytes: 2048 * MIB,
      available_mb: 2048,
    });
    expect(s.uptime).toEqual({ seconds: 7200, minutes: 120, hours: 2 });
    expect(s.cpu.count).toBe(8);
    expect(s.threads.active).toBe(4);
    expect(s.event_loop).toEqual({ delay_p99_ms: null, utilization: null });
  });

  it('leaves unknowable series out of the exposition', () => {
    const { state, readers } = fakeReaders();
    state.threads = null;
    const m = monitor({ readers, eventLoop: false });
    const s = m.collect();
    expect(s.threads.active).toBeNull();
    const text = render(m);
    expect(text).not.toContain('victor_system_threads');
    expect(text).not.toContain('victor_system_event_loop');
    expect(text).toContain('victor_system_memory_mb 512\n');
    expect(text).toContain('victor_system_uptime_seconds 7200\n');
  });

  it('two readers at different rates see the same values', () => {
    const { state, readers } = fakeReaders();
    let active = 0;
    let idle = 0;
    readers.eventLoopTimes = () => ({ idle, active });
    const m = monitor({ readers, autoSample: false, sampleIntervalMs: 1000, windowMs: 5000 });
    const fast: Array<number | null> = [];
    const slow: Array<number | null> = [];
    for (let second = 1; second <= 12; second++) {
      // A stall in second 4: busy CPU and a busy loop.
      const busy = second === 4;
      for (let step = 1; step <= 10; step++) {
        state.now += 100;
        state.user += busy ? 100_000 : 10_000;
        if (busy) active += 100;
        else idle += 100;
        // The history reads every 100 ms, the scrape every 5 s, both at the same moments when they meet.
        const a = m.collect();
        fast.push(a.cpu.percent, a.event_loop.utilization);
        if (step === 10 && second % 5 === 0) {
          const b = m.collect();
          slow.push(b.cpu.percent, b.event_loop.utilization);
          expect([b.cpu.percent, b.event_loop.utilization]).toEqual(fast.slice(-2));
        }
      }
      m.sample();
    }
    expect(slow).toHaveLength(4);
    // At second 5 the 5 s window still holds the stall: the slow reader sees it, not the fast reader's
    // last 100 ms (the old per-reader interval would have shown the slow reader 10 % at second 10 either way).
    expect(slow[0]).toBeCloseTo(28, 5);
    expect(slow[1]).toBeCloseTo(0.2, 5);
  });

  it('rejects a bad event-loop resolution with the bad value', () => {
    expect(() => new SystemMonitor({ eventLoopResolutionMs: 0 })).toThrow(
      /eventLoopResolutionMs must be a positive integer, got 0/,
    );
  });
});
