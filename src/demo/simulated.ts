/**
 * The simulated parts of the demo agent: its tools, how its LLM providers behave, and the hand-driven provider
 * pool of the simulated workload. They do nothing useful, but they run through the real monitors (real timing,
 * real errors thrown and classified, a real circuit breaker deciding where requests go), so every number the
 * API shows was measured, not made up.
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

/** The failure probability of `tool` under the profile. */
function failureOf(tool: DemoTool, profile: WorkloadProfile): number {
  return Math.min(1, Math.max(tool.failure * profile.toolFailure.scale, profile.toolFailure.floor));
}

/**
 * One execution of `tool` as the profile has it: its backend loaded on first use, its time spent (seconds for
 * the slow ones in `slow-tools`), a ToolFailure thrown when it fails. The agent's tools run this.
 */
export async function executeTool(
  tool: DemoTool,
  profile: WorkloadProfile,
  rnd: Random,
  sleeper: Sleeper,
  loadBackend: (name: string) => Promise<unknown>,
): Promise<{ tool: string; ok: true }> {
  const fails = rnd.chance(failureOf(tool, profile));
  const ms = tool.slow && profile.slowToolsMs ? rnd.between(...profile.slowToolsMs) : rnd.between(...tool.ms);
  if (tool.lazy) await loadBackend(tool.lazy);
  await sleeper.sleep(ms);
  if (fails) throw new ToolFailure(`${tool.name} failed`);
  return { tool: tool.name, ok: true };
}

/** Runs one tool call chosen by frequency, by hand (the simulated workload). */
export function runTool(
  tools: ToolExecutionMonitor,
  profile: WorkloadProfile,
  rnd: Random,
  sleeper: Sleeper,
  loadBackend: (name: string) => Promise<unknown>,
): void {
  const tool = rnd.weighted(DEMO_TOOLS, (t) => t.weight);
  if (tool.slow && profile.slowToolsMs) {
    // Seconds-long durations are recorded rather than slept: thousands of pending calls would pile up.
    tools.record(tool.name, rnd.between(...profile.slowToolsMs), !rnd.chance(failureOf(tool, profile)));
    return;
  }
  tools
    .run(tool.name, () => executeTool(tool, profile, rnd, sleeper, loadBackend))
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

/** What one request to a provider meets: the same draw for the simulated pool and the mock model server. */
export type ProviderOutcome =
  | { kind: 'down'; afterMs: number }
  | { kind: 'timeout'; afterMs: number }
  | { kind: 'rate_limit' | 'overloaded'; afterMs: number }
  | {
      kind: 'ok';
      /** Until the last chunk. */
      latencyMs: number;
      firstChunkMs: number;
      usage: { input: number; cachedInput: number; output: number };
    };

/** The providers' behaviour under a profile: periodic outages, overload, rate limits, latency, usage. */
export class ProviderBehaviour {
  private readonly started = performance.now();

  constructor(
    /** Read on every request, so a scenario that ends takes effect at once. */
    public profile: WorkloadProfile,
    private readonly rnd: Random,
  ) {}

  down(p: DemoProvider): boolean {
    if (this.profile.providersDown.includes(p.name)) return true;
    if (!p.outage) return false;
    const t = (performance.now() - this.started) % p.outage.everyMs;
    return t >= p.outage.atMs && t < p.outage.atMs + p.outage.forMs;
  }

  outcome(p: DemoProvider): ProviderOutcome {
    const rnd = this.rnd;
    const r = rnd.next();
    const stress = this.profile.providersDown.includes(p.name) ? 0 : this.profile.providerStress;
    const fault = this.profile.providerFaults[p.name];
    // Overload mostly shows as quick refusals (429, 503), some requests hang until the timeout.
    const timeout = p.timeout + stress * 0.2;
    const rateLimit = p.rateLimit + stress * 0.5 + (fault?.rateLimit ?? 0);
    const overloaded = stress * 0.3;
    const latency = rnd.between(...p.ms);
    if (this.down(p)) return { kind: 'down', afterMs: rnd.between(5, 30) };
    if (r < timeout) return { kind: 'timeout', afterMs: PROVIDER_TIMEOUT_MS };
    if (r < timeout + rateLimit) return { kind: 'rate_limit', afterMs: rnd.between(20, 80) };
    if (r < timeout + rateLimit + overloaded) return { kind: 'overloaded', afterMs: rnd.between(20, 80) };
    // A streamed completion: the first chunk after part of the latency, tokens reported at the end.
    const usual = latency * rnd.between(0.15, 0.35);
    const firstChunkMs = fault?.firstChunkMs ? rnd.between(...fault.firstChunkMs) : usual;
    const input = Math.round(rnd.between(800, 4000));
    return {
      kind: 'ok',
      latencyMs: latency - usual + firstChunkMs,
      firstChunkMs,
      usage: {
        input,
        cachedInput: Math.round(input * rnd.between(0.3, 0.8)),
        output: Math.round(rnd.between(50, 600)),
      },
    };
  }
}

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

/** A pool that sends each request to an available provider and fails over once on error (by hand calls). */
export class DemoProviderPool {
  private readonly behaviour: ProviderBehaviour;

  constructor(
    private readonly monitor: ProviderPoolMonitor,
    profile: WorkloadProfile,
    private readonly rnd: Random,
    private readonly sleeper: Sleeper,
  ) {
    this.behaviour = new ProviderBehaviour(profile, rnd);
    for (const p of DEMO_PROVIDERS) monitor.addProvider(p.name);
  }

  set profile(profile: WorkloadProfile) {
    this.behaviour.profile = profile;
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
    const o = this.behaviour.outcome(p);
    const request = this.monitor.start(p.name, { model: p.model });
    const run = async (): Promise<void> => {
      switch (o.kind) {
        case 'down':
          await this.sleeper.sleep(o.afterMs);
          throw new ProviderError(`connect ECONNREFUSED (${p.name})`, 'Error', 'ECONNREFUSED');
        case 'timeout':
          await this.sleeper.sleep(o.afterMs);
          throw new ProviderError(`${p.name}: no answer in ${PROVIDER_TIMEOUT_MS} ms`, 'TimeoutError');
        case 'rate_limit':
          await this.sleeper.sleep(o.afterMs);
          throw new ProviderError(`${p.name}: 429 Too Many Requests`, 'Error', undefined, 429);
        case 'overloaded':
          await this.sleeper.sleep(o.afterMs);
          throw new ProviderError(`${p.name}: 503 Service Unavailable`, 'Error', undefined, 503);
        case 'ok':
          await this.sleeper.sleep(o.firstChunkMs);
          request.chunk();
          await this.sleeper.sleep(o.latencyMs - o.firstChunkMs);
          request.addUsage(o.usage);
      }
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
