/**
 * Workload scenarios: `normal` is a healthy agent (no alert should fire); each other scenario changes the
 * workload, not the metrics, so that the components themselves measure the state an alert watches. Provider
 * faults are played by the mock model server the agent talks to (or by the simulated pool without the SDKs).
 */

export const SCENARIOS = [
  'normal',
  'cache-miss-storm',
  'provider-outage',
  'rate-limits',
  'slow-first-token',
  'slow-tools',
  'tool-errors',
  'memory-pressure',
  'selection-latency',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const SCENARIO_DESCRIPTIONS: Readonly<Record<ScenarioName, string>> = {
  normal:
    'a healthy agent: ~70 % cache hit rate, a few slow or flaky tools, one provider that fails and recovers',
  'cache-miss-storm': 'tiny cache and random keys: hit rate near 0, cache full, many evictions',
  'provider-outage': 'one provider down (circuit open), the others failing over: pool failure rate > 30 %',
  'rate-limits': 'openai answers 429 to a quarter of its requests: rate-limited share > 5 %',
  'slow-first-token': 'anthropic sends its first chunk after 5.5-8 s: time to first chunk P95 > 5 s',
  'slow-tools': 'slow tools take 5-20 s (recorded durations): tool execution P95 > 5 s',
  'tool-errors': 'tools fail far more often: tool error rate > 15 %',
  'memory-pressure': 'the process holds a growing buffer up to a cap (default 1.2 GiB resident)',
  'selection-latency': 'the selector takes 6-15 ms on a miss: selection P95 > 5 ms',
};

export interface CacheLoad {
  /** Lookups per second in this namespace. */
  perSecond: number;
  /** Distinct keys; 0 = every key new (no reuse at all). */
  keys: number;
  /** Zipf exponent over the keys. */
  skew: number;
}

export interface WorkloadProfile {
  cacheSize: number;
  ttlSeconds: { query: number; context: number; rl: number };
  load: { query: CacheLoad; context: CacheLoad; rl: CacheLoad };
  /** Selector time on a miss, ms; `async` waits instead of computing (no CPU for long selections). */
  selector: { minMs: number; maxMs: number; async: boolean };
  toolsPerSecond: number;
  /** Failure probability of each tool is max(p * scale, floor). */
  toolFailure: { scale: number; floor: number };
  /** Slow tools take this long and are recorded, not slept (a 20 s sleep per call would pile up). */
  slowToolsMs: [number, number] | null;
  providerRequestsPerSecond: number;
  /**
   * Agent runs started per second when the workload is the AI SDK agent (each run: one or two steps of tool
   * calls, then the answer, so about 2.5 model requests and 3.75 tool executions a run).
   */
  agentRunsPerSecond: number;
  /** Providers down for the whole run (every request fails). */
  providersDown: readonly string[];
  /** Extra failure probability of every other provider (overload from the failover). */
  providerStress: number;
  /** Per provider: extra probability of a 429, and a first chunk this late (ms, instead of its usual). */
  providerFaults: Readonly<Record<string, { rateLimit?: number; firstChunkMs?: [number, number] }>>;
  /** Grow a held buffer to this many bytes, `stepBytes` a second; null = no pressure. */
  memory: { capBytes: number; stepBytes: number } | null;
}

const MIB = 1024 * 1024;
export const DEFAULT_MEMORY_CAP_BYTES = 1.2 * 1024 * MIB;

export const NORMAL: Readonly<WorkloadProfile> = {
  cacheSize: 1500,
  // Short TTLs so that expiry is visible within minutes (the defaults are 3600/300/3600 s).
  ttlSeconds: { query: 60, context: 20, rl: 90 },
  load: {
    query: { perSecond: 24, keys: 2000, skew: 1.1 },
    context: { perSecond: 10, keys: 600, skew: 1.0 },
    rl: { perSecond: 6, keys: 300, skew: 1.0 },
  },
  selector: { minMs: 0.2, maxMs: 2, async: false },
  toolsPerSecond: 10,
  toolFailure: { scale: 1, floor: 0 },
  slowToolsMs: null,
  providerRequestsPerSecond: 5,
  agentRunsPerSecond: 2,
  providersDown: [],
  providerStress: 0,
  providerFaults: {},
  memory: null,
};

export function scenarioProfile(
  name: ScenarioName,
  options: { memoryCapBytes?: number } = {},
): WorkloadProfile {
  const p: WorkloadProfile = structuredClone(NORMAL) as WorkloadProfile;
  switch (name) {
    case 'normal':
      break;
    case 'cache-miss-storm':
      p.cacheSize = 40;
      p.load = {
        query: { perSecond: 30, keys: 0, skew: 0 },
        context: { perSecond: 12, keys: 0, skew: 0 },
        rl: { perSecond: 8, keys: 100_000, skew: 0 },
      };
      break;
    case 'provider-outage':
      p.providersDown = ['anthropic'];
      p.providerStress = 0.45;
      break;
    case 'rate-limits':
      p.providerFaults = { openai: { rateLimit: 0.25 } };
      break;
    case 'slow-first-token':
      p.providerFaults = { anthropic: { firstChunkMs: [5500, 8000] } };
      break;
    case 'slow-tools':
      p.slowToolsMs = [5500, 20_000];
      break;
    case 'tool-errors':
      p.toolFailure = { scale: 5, floor: 0.2 };
      break;
    case 'memory-pressure':
      p.memory = { capBytes: options.memoryCapBytes ?? DEFAULT_MEMORY_CAP_BYTES, stepBytes: 64 * MIB };
      break;
    case 'selection-latency':
      p.selector = { minMs: 6, maxMs: 15, async: true };
      break;
  }
  return p;
}

export function isScenario(name: string): name is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(name);
}
