/**
 * The demo's agent: it boots in five phases, then answers a stream of queries (tool selection through the
 * cache), runs tools, calls LLM providers and loads services lazily. Every component is the real one,
 * registered with the collector, so the demo shows the monitoring exactly as an application would see it.
 *
 * Providers and tools are, by default, an AI SDK agent (agent.ts: `generateText`/`streamText` with tools
 * against a mock model server on loopback, measured through `victor-perf/ai-sdk`); with `llm: 'simulated'`,
 * or where the SDK packages are absent, they are driven by hand (simulated.ts). The selection cache, the
 * selector, bootstrap and lazy loads are simulated either way.
 *
 * Load is deliberately small (about 40 lookups, 2 agent runs = 5 model requests and 7 tool runs a second, a
 * few percent of one core) so that the demo can run next to tests on a small machine. One interval drives
 * everything.
 */
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { CACHE_NAMESPACES, type CacheNamespace } from '../metrics/catalog.ts';
import { BootstrapMonitor } from '../sources/bootstrap.ts';
import { ToolSelectionCache } from '../sources/cache.ts';
import { ProviderPoolMonitor } from '../sources/providers.ts';
import { ToolSelectionMonitor } from '../sources/selection.ts';
import { readAvailableMemory, SystemMonitor } from '../sources/system.ts';
import { ToolExecutionMonitor } from '../sources/tools.ts';
import { startAgent, type Agent, type AgentOptions } from './agent.ts';
import { createRandom, type Random } from './random.ts';
import {
  isScenario,
  scenarioProfile,
  SCENARIOS,
  type ScenarioName,
  type WorkloadProfile,
} from './scenarios.ts';
import { DEMO_PROVIDERS, DEMO_TOOLS, DemoProviderPool, executeTool, runTool, Sleeper } from './simulated.ts';

/** Who drives the providers and tools: the AI SDK agent, or hand calls. */
export type LlmWorkload = 'agent' | 'simulated';

export interface WorkloadOptions {
  collector: PerformanceMetricsCollector;
  /** Default `normal`. */
  scenario?: ScenarioName;
  /** PRNG seed (default 42): the same seed replays the same queries and outcomes. */
  seed?: number;
  /** Interval of the driver in ms (default 100). */
  tickMs?: number;
  /** Multiplies every event rate (default 1); tests use it to reach a scenario's state in seconds. */
  speed?: number;
  /** memory-pressure: resident bytes to grow the held buffer to (default 1.2 GiB; capped to what is free). */
  memoryCapBytes?: number;
  /** Where notes go (e.g. a memory cap lowered to fit); default nowhere. */
  log?: (line: string) => void;
  /**
   * End the scenario after this many seconds of workload and go back to `normal` (a cache the scenario
   * shrank is replaced by a normal one, held memory is dropped), so that alerts can be seen to resolve.
   */
  scenarioSeconds?: number;
  /**
   * `agent` (default): an AI SDK agent against a mock model server on loopback; where the SDK packages are
   * absent, one line goes to `log` and the workload is `simulated`: hand calls into the same monitors.
   */
  llm?: LlmWorkload;
  /** Loads the SDK packages (tests replace it to play a consumer that has none). */
  importSdk?: AgentOptions['importSdk'];
}

export interface Workload {
  /** The scenario running now (`normal` once a timed scenario has ended). */
  readonly scenario: ScenarioName;
  readonly profile: WorkloadProfile;
  /** The components, for inspection. */
  readonly components: {
    cache: ToolSelectionCache;
    selection: ToolSelectionMonitor;
    tools: ToolExecutionMonitor;
    providers: ProviderPoolMonitor;
    bootstrap: BootstrapMonitor;
    system: SystemMonitor;
  };
  /** Resolves when start-up (the five bootstrap phases) is done. */
  readonly started: Promise<void>;
  /** True once start-up is done. */
  readonly ready: boolean;
  /** What drives providers and tools: the one asked for, or `simulated` once the agent could not start. */
  readonly llm: LlmWorkload;
  /** Resolves with `llm` once the providers are initialised (the third bootstrap phase). */
  readonly llmReady: Promise<LlmWorkload>;
  /** The AI SDK agent, once started. */
  readonly agent: Agent | undefined;
  /**
   * Stops every timer, the agent and its model server, and drops held memory; the components stay
   * registered with their last values. The workload keeps the process alive until then, like a server would.
   */
  stop(): Promise<void>;
}

const MIB = 1024 * 1024;
/** Left free for the rest of the machine when sizing the memory-pressure buffer. */
const MEMORY_HEADROOM_BYTES = 512 * MIB;

const PHASES: ReadonlyArray<[string, number, number]> = [
  ['container_bootstrap', 15, 40],
  ['service_registration', 10, 30],
  ['provider_initialization', 20, 60],
  ['tool_loading', 15, 50],
  ['cache_warming', 10, 40],
];

/** The tools a (pretend) selector would pick for a query: stable per query. */
function toolsFor(query: string): string[] {
  let h = 2166136261;
  for (let i = 0; i < query.length; i++) h = Math.imul(h ^ query.charCodeAt(i), 16777619);
  const n = DEMO_TOOLS.length;
  const a = (h >>> 0) % n;
  const b = (a + 1 + ((h >>> 8) % (n - 1))) % n;
  return [DEMO_TOOLS[a]!.name, DEMO_TOOLS[b]!.name];
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Scoring tools against the query, as far as the monitor can tell.
  }
}

export function startWorkload(options: WorkloadOptions): Workload {
  const scenario = options.scenario ?? 'normal';
  if (!isScenario(scenario)) {
    throw new RangeError(
      `unknown scenario ${JSON.stringify(scenario)}; scenarios are ${SCENARIOS.join(', ')}`,
    );
  }
  const seed = options.seed ?? 42;
  const tickMs = options.tickMs ?? 100;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!(tickMs >= 10 && tickMs <= 10_000)) throw new RangeError(`tickMs must be 10..10000, got ${tickMs}`);
  const speed = options.speed ?? 1;
  if (!(speed > 0 && speed <= 100)) throw new RangeError(`speed must be in (0, 100], got ${speed}`);
  const log = options.log ?? (() => {});
  const scenarioSeconds = options.scenarioSeconds;
  if (scenarioSeconds !== undefined && !(scenarioSeconds > 0)) {
    throw new RangeError(`scenarioSeconds must be > 0, got ${scenarioSeconds}`);
  }
  let current: ScenarioName = scenario;
  let profile = scenarioProfile(scenario, { memoryCapBytes: options.memoryCapBytes });
  const rnd: Random = createRandom(seed);
  const sleeper = new Sleeper();

  const bootstrap = new BootstrapMonitor();
  const system = new SystemMonitor();
  // The cache and the selector follow the profile; a scenario that ends builds them anew.
  const selectionFor = (
    p: WorkloadProfile,
  ): { cache: ToolSelectionCache; selection: ToolSelectionMonitor } => {
    const cache = new ToolSelectionCache({ size: p.cacheSize, ttlSeconds: p.ttlSeconds });
    const { minMs, maxMs, async: selectorAsync } = p.selector;
    // Mostly quick, now and then slow: r^12 skews towards minMs (in `normal`, P95 of selections stays < 1 ms).
    const selectorMs = () => minMs + (maxMs - minMs) * rnd.next() ** 12;
    const selection = new ToolSelectionMonitor(
      selectorAsync
        ? async (query: string) => {
            await sleeper.sleep(selectorMs());
            return toolsFor(query);
          }
        : (query: string) => {
            busyWait(selectorMs());
            return toolsFor(query);
          },
      { cache },
    );
    return { cache, selection };
  };
  let { cache, selection } = selectionFor(profile);
  const tools = new ToolExecutionMonitor();
  const providers = new ProviderPoolMonitor({ failureThreshold: 3, cooldownMs: 5000 });
  for (const p of DEMO_PROVIDERS) providers.addProvider(p.name);
  let llm: LlmWorkload = options.llm ?? 'agent';
  if (llm !== 'agent' && llm !== 'simulated') {
    throw new RangeError(`llm must be agent or simulated, got ${JSON.stringify(llm)}`);
  }
  // Set in the provider_initialization phase: the agent, or the hand-driven pool.
  let agent: Agent | undefined;
  let agentStart: Promise<Agent | undefined> | undefined;
  let pool: DemoProviderPool | undefined;
  let llmDecided: (mode: LlmWorkload) => void = () => {};
  const llmReady = new Promise<LlmWorkload>((resolve) => (llmDecided = resolve));
  options.collector
    .register('bootstrap', bootstrap)
    .register('system', system)
    .register('cache', cache)
    .register('tool_selection', selection)
    .register('tool_execution', tools)
    .register('provider_pool', providers);

  let stopped = false;
  // Keys: Zipf ranks over a fixed key space, or always new keys when the space is 0.
  let fresh = 0;
  const keyOf = {} as Record<CacheNamespace, () => string>;
  const chooseKeys = (): void => {
    for (const ns of CACHE_NAMESPACES) {
      const load = profile.load[ns];
      const rank = load.keys > 0 ? rnd.zipf(load.keys, load.skew) : null;
      keyOf[ns] = rank ? () => `${ns}:${rank()}` : () => `${ns}:new-${fresh++}`;
    }
  };
  chooseKeys();
  // One after another, as one agent loop would: started together, each selection's time would include the
  // selectors run synchronously after it.
  const selectInTurn = async (namespaces: CacheNamespace[]): Promise<void> => {
    for (const ns of namespaces) {
      if (stopped) return;
      await selection.select(`query ${keyOf[ns]()}`, { namespace: ns }).catch(() => {});
    }
  };

  // Tool backends are loaded on first use; each new session lazily loads its memory store.
  const backends = new Map<string, () => Promise<unknown>>();
  const loadBackend = (name: string): Promise<unknown> => {
    let get = backends.get(name);
    if (!get) {
      get = bootstrap.lazy(name, () => sleeper.sleep(rnd.between(20, 80)));
      backends.set(name, get);
    }
    return get();
  };
  const initProviders = async (seconds: number): Promise<void> => {
    if (llm === 'agent') {
      agentStart = startAgent({
        providers,
        tools,
        profile: () => profile,
        rnd,
        execute: (tool) => executeTool(tool, profile, rnd, sleeper, loadBackend),
        log,
        ...(options.importSdk ? { importSdk: options.importSdk } : {}),
      });
      agent = await agentStart;
      if (agent) return;
      llm = 'simulated';
    }
    await sleeper.sleep(seconds);
    pool = new DemoProviderPool(providers, profile, rnd, sleeper);
  };
  const startSession = (): void => {
    const memory = bootstrap.lazy('session_memory', () => sleeper.sleep(rnd.between(3, 15)));
    void memory().then(() => memory());
  };

  const held: Buffer[] = [];
  let heldBytes = 0;
  let memoryCap = 0;
  if (profile.memory) {
    const room = process.memoryUsage.rss() + readAvailableMemory() - MEMORY_HEADROOM_BYTES;
    memoryCap = Math.max(0, Math.min(profile.memory.capBytes, room));
    if (memoryCap < profile.memory.capBytes) {
      log(
        `memory-pressure: cap lowered to ${Math.round(memoryCap / MIB)} MiB ` +
          `(${Math.round(profile.memory.capBytes / MIB)} MiB asked; keeping ${MEMORY_HEADROOM_BYTES / MIB} MiB free)`,
      );
    }
  }
  const growMemory = (seconds: number): void => {
    const m = profile.memory;
    if (!m) return;
    const rss = process.memoryUsage.rss();
    const step = Math.min(m.stepBytes * seconds, memoryCap - rss, memoryCap - heldBytes);
    if (step < MIB) return;
    // allocUnsafe + fill touches every page, so the memory is resident (calloc'd pages would not be).
    const chunk = Buffer.allocUnsafe(Math.floor(step)).fill(0x5a);
    held.push(chunk);
    heldBytes += chunk.length;
  };

  // Fractional events carry over between ticks, so rates are exact on average.
  const owed = { query: 0, context: 0, rl: 0, tools: 0, providers: 0, runs: 0, sessions: 0, memory: 0 };
  // Rates are per second of real time: a tick delayed by a busy machine makes up for the time it missed
  // (up to one second's worth, so a long stall does not end in a burst).
  let lastTick = performance.now();
  const tick = (): void => {
    const now = performance.now();
    const seconds = (Math.min(now - lastTick, 1000) / 1000) * speed;
    lastTick = now;
    const due: CacheNamespace[] = [];
    for (const ns of CACHE_NAMESPACES) {
      owed[ns] += profile.load[ns].perSecond * seconds;
      for (; owed[ns] >= 1; owed[ns]--) due.push(ns);
    }
    void selectInTurn(due);
    if (agent) {
      for (owed.runs += profile.agentRunsPerSecond * seconds; owed.runs >= 1; owed.runs--) agent.run();
    } else if (pool) {
      for (owed.tools += profile.toolsPerSecond * seconds; owed.tools >= 1; owed.tools--) {
        runTool(tools, profile, rnd, sleeper, loadBackend);
      }
      owed.providers += profile.providerRequestsPerSecond * seconds;
      for (; owed.providers >= 1; owed.providers--) pool.request();
    }
    for (owed.sessions += 2 * seconds; owed.sessions >= 1; owed.sessions--) startSession();
    owed.memory += seconds;
    if (owed.memory >= 1) {
      growMemory(owed.memory);
      owed.memory = 0;
    }
  };

  let endTimer: NodeJS.Timeout | undefined;
  const endScenario = (): void => {
    if (stopped) return;
    const next = scenarioProfile('normal');
    if (next.cacheSize !== profile.cacheSize || next.selector.async !== profile.selector.async) {
      ({ cache, selection } = selectionFor(next));
      options.collector.register('cache', cache).register('tool_selection', selection);
    }
    profile = next;
    if (pool) pool.profile = next;
    chooseKeys();
    held.length = 0;
    heldBytes = 0;
    log(`scenario ${current} ended after ${scenarioSeconds} s: back to normal`);
    current = 'normal';
  };

  let timer: NodeJS.Timeout | undefined;
  let ready = false;
  const started = (async () => {
    for (const [phase, min, max] of PHASES) {
      await bootstrap.phase(phase, async () => {
        if (phase === 'provider_initialization') {
          await initProviders(rnd.between(min, max));
          llmDecided(llm);
          return;
        }
        await sleeper.sleep(rnd.between(min, max));
        // Warm the cache with the hottest queries, as a real agent would from its history.
        if (phase === 'cache_warming') {
          for (let rank = 0; rank < 50; rank++)
            cache.set('query', `query query:${rank}`, toolsFor(`query query:${rank}`));
        }
      });
    }
    if (stopped) return;
    bootstrap.complete();
    ready = true;
    lastTick = performance.now();
    timer = setInterval(tick, tickMs);
    if (scenarioSeconds !== undefined && current !== 'normal') {
      endTimer = setTimeout(endScenario, scenarioSeconds * 1000);
    }
  })();

  return {
    get scenario() {
      return current;
    },
    get profile() {
      return profile;
    },
    get components() {
      return { cache, selection, tools, providers, bootstrap, system };
    },
    started,
    get ready() {
      return ready;
    },
    get llm() {
      return llm;
    },
    llmReady,
    get agent() {
      return agent;
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (endTimer) clearTimeout(endTimer);
      sleeper.cancel();
      system.close();
      held.length = 0;
      heldBytes = 0;
      await (await agentStart)?.stop();
    },
  };
}
