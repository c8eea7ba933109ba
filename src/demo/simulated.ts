/**
 * The simulated parts of the demo agent: its tools and its LLM provider pool. They do nothing useful, but
 * they run through the real monitors (real timing, real errors thrown and classified, a real circuit breaker
 * deciding where requests go), so every number the API shows was measured, not made up.
 */
import type { ProviderPoolMonitor } from '../sources/providers.ts';
import type { ToolExecutionMonitor } from '../sources/tools.ts';
import type { Random } from './random.ts';
import type { WorkloadProfile } from './scenarios.ts';

/** Waits that can all be dropped at once: after `cancel()`, pending waits never resolve. */
export class Sleeper {
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopped = false;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return;
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });
  }

  /** Pending waits never resolve: the work behind them stops where it is. */
  cancel(): void {
    this.stopped = true;
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}

export interface DemoTool {
  name: string;
  /** Relative frequency. */
  weight: number;
  ms: [number, number];
  failure: number;
  /** Long-running: the `slow-tools` scenario makes these take seconds. */
  slow?: boolean;
  /** A backend loaded lazily on first use. */
  lazy?: string;
}

export const DEMO_TOOLS: readonly DemoTool[] = [
  { name: 'read_file', weight: 25, ms: [2, 25], failure: 0.005 },
  { name: 'code_edit', weight: 20, ms: [5, 50], failure: 0.01, lazy: 'syntax_parser' },
  { name: 'grep', weight: 15, ms: [10, 120], failure: 0.002 },
  { name: 'bash', weight: 12, ms: [10, 400], failure: 0.08 },
  { name: 'write_file', weight: 10, ms: [5, 40], failure: 0.005 },
  { name: 'http_fetch', weight: 8, ms: [80, 600], failure: 0.06, slow: true, lazy: 'http_pool' },
  { name: 'web_search', weight: 6, ms: [200, 900], failure: 0.03, slow: true, lazy: 'search_client' },
  { name: 'run_tests', weight: 3, ms: [800, 2500], failure: 0.1, slow: true, lazy: 'test_runner' },
];

export class ToolFailure extends Error {
  override name = 'ToolFailure';
}

/** Runs one tool call chosen by frequency. */
export function runTool(
  tools: ToolExecutionMonitor,
  profile: WorkloadProfile,
  rnd: Random,
  sleeper: Sleeper,
  loadBackend: (name: string) => Promise<unknown>,
): void {
  const tool = rnd.weighted(DEMO_TOOLS, (t) => t.weight);
  const failure = Math.min(1, Math.max(tool.failure * profile.toolFailure.scale, profile.toolFailure.floor));
  const fails = rnd.chance(failure);
  if (tool.slow && profile.slowToolsMs) {
    // Seconds-long durations are recorded rather than slept: thousands of pending calls would pile up.
    tools.record(tool.name, rnd.between(...profile.slowToolsMs), !fails);
    return;
  }
  const ms = rnd.between(...tool.ms);
  tools
    .run(tool.name, async () => {
      if (tool.lazy) await loadBackend(tool.lazy);
      await sleeper.sleep(ms);
      if (fails) throw new ToolFailure(`${tool.name} failed`);
    })
    .catch(() => {
      // Counted by the monitor; the demo agent moves on.
    });
}

export interface DemoProvider {
  name: string;
  /** The model label of its requests. */
  model: string;
  weight: number;
  ms: [number, number];
  timeout: number;
  rateLimit: number;
  /** Periodic outage: down for `forMs` starting `atMs` into every `everyMs`. */
  outage?: { everyMs: number; atMs: number; forMs: number };
}

export const DEMO_PROVIDERS: readonly DemoProvider[] = [
  {
    name: 'anthropic',
    model: 'claude-sonnet-4-5',
    weight: 45,
    ms: [350, 1400],
    timeout: 0.01,
    rateLimit: 0.015,
  },
  { name: 'openai', model: 'gpt-4o-mini', weight: 35, ms: [300, 1200], timeout: 0.01, rateLimit: 0.02 },
  {
    name: 'local-llama',
    model: 'llama-3.1-8b',
    weight: 20,
    ms: [60, 300],
    timeout: 0.005,
    rateLimit: 0,
    // Down 15 s of every minute, first at 40 s: its circuit opens, then closes once a probe succeeds.
    outage: { everyMs: 60_000, atMs: 40_000, forMs: 15_000 },
  },
];

export const PROVIDER_TIMEOUT_MS = 3000;

class ProviderError extends Error {
  constructor(
    message: string,
    override readonly name: string,
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A pool that sends each request to an available provider and fails over once on error. */
export class DemoProviderPool {
  private readonly started = performance.now();

  constructor(
    private readonly monitor: ProviderPoolMonitor,
    /** Read on every request, so a scenario that ends takes effect at once. */
    public profile: WorkloadProfile,
    private readonly rnd: Random,
    private readonly sleeper: Sleeper,
  ) {
    for (const p of DEMO_PROVIDERS) monitor.addProvider(p.name);
  }

  private down(p: DemoProvider): boolean {
    if (this.profile.providersDown.includes(p.name)) return true;
    if (!p.outage) return false;
    const t = (performance.now() - this.started) % p.outage.everyMs;
    return t >= p.outage.atMs && t < p.outage.atMs + p.outage.forMs;
  }

  /** One completion request, with one failover. */
  request(): void {
    const available = DEMO_PROVIDERS.filter((p) => this.monitor.isAvailable(p.name));
    if (available.length === 0) return;
    const first = this.rnd.weighted(available, (p) => p.weight);
    this.attempt(first).catch(() => {
      const others = available.filter((p) => p !== first && this.monitor.isAvailable(p.name));
      if (others.length === 0) return;
      this.attempt(this.rnd.weighted(others, (p) => p.weight)).catch(() => {});
    });
  }

  private attempt(p: DemoProvider): Promise<void> {
    const r = this.rnd.next();
    const stress = this.profile.providersDown.includes(p.name) ? 0 : this.profile.providerStress;
    // Overload mostly shows as quick refusals (429, 503), some requests hang until the timeout.
    const timeout = p.timeout + stress * 0.2;
    const rateLimit = p.rateLimit + stress * 0.5;
    const overloaded = stress * 0.3;
    const latency = this.rnd.between(...p.ms);
    const down = this.down(p);
    // A streamed completion: the first chunk after part of the latency, tokens reported at the end.
    const request = this.monitor.start(p.name, { model: p.model });
    const run = async (): Promise<void> => {
      if (down) {
        await this.sleeper.sleep(this.rnd.between(5, 30));
        throw new ProviderError(`connect ECONNREFUSED (${p.name})`, 'Error', 'ECONNREFUSED');
      }
      if (r < timeout) {
        await this.sleeper.sleep(PROVIDER_TIMEOUT_MS);
        throw new ProviderError(`${p.name}: no answer in ${PROVIDER_TIMEOUT_MS} ms`, 'TimeoutError');
      }
      if (r < timeout + rateLimit) {
        await this.sleeper.sleep(this.rnd.between(20, 80));
        throw new ProviderError(`${p.name}: 429 Too Many Requests`, 'Error', undefined, 429);
      }
      if (r < timeout + rateLimit + overloaded) {
        await this.sleeper.sleep(this.rnd.between(20, 80));
        throw new ProviderError(`${p.name}: 503 Service Unavailable`, 'Error', undefined, 503);
      }
      const firstChunk = latency * this.rnd.between(0.15, 0.35);
      await this.sleeper.sleep(firstChunk);
      request.chunk();
      await this.sleeper.sleep(latency - firstChunk);
      const input = Math.round(this.rnd.between(800, 4000));
      request.addUsage({
        input,
        cachedInput: Math.round(input * this.rnd.between(0.3, 0.8)),
        output: Math.round(this.rnd.between(50, 600)),
      });
    };
    return run().then(
      () => request.succeed(),
      (err: unknown) => {
        request.fail(err);
        throw err;
      },
    );
  }
}
