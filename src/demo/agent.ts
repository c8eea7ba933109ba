/**
 * The demo's agent: an AI SDK agent loop (`generateText` and `streamText` with tools, several steps) against a
 * scripted OpenAI-compatible model server on loopback that it starts itself, one path per provider
 * (`/anthropic/v1`, `/openai/v1`, `/local-llama/v1`). It is measured only through `victor-perf/ai-sdk`:
 * `performanceMiddleware` on each provider's model, `instrumentTools` on its tools. The model server plays the
 * providers' behaviour (latency, first chunk, usage, outages, 429s, 503s, gateway timeouts) from the workload
 * profile, so a scenario changes what the server does, never what is recorded.
 *
 * The SDK packages (`ai`, `@ai-sdk/openai-compatible`) are development dependencies, not the library's: they
 * are imported when the agent starts (through a specifier that bundlers leave alone), and where they are
 * absent `startAgent` logs one line and resolves to undefined, and the demo runs its simulated workload.
 */
import { instrumentTools, performanceMiddleware } from '../adapters/ai-sdk/index.ts';
import type { ProviderPoolMonitor } from '../sources/providers.ts';
import type { ToolExecutionMonitor } from '../sources/tools.ts';
import { startMockLlm, type MockRequest, type Plan } from './mock-llm.ts';
import type { Random } from './random.ts';
import type { WorkloadProfile } from './scenarios.ts';
import {
  DEMO_PROVIDERS,
  DEMO_TOOLS,
  ProviderBehaviour,
  type DemoProvider,
  type DemoTool,
} from './simulated.ts';

// Kept out of the exported signatures: the library's declarations must not need the optional packages.
type Sdk = [typeof import('ai'), typeof import('@ai-sdk/openai-compatible')];

export const SDK_PACKAGES = ['ai', '@ai-sdk/openai-compatible'] as const;

/** The notice where the SDK packages are absent (one line). */
export const NO_SDK_NOTICE = `the AI SDK packages (${SDK_PACKAGES.join(', ')}) are not installed: running the simulated workload instead of the AI SDK agent`;

export interface AgentOptions {
  providers: ProviderPoolMonitor;
  tools: ToolExecutionMonitor;
  /** The workload profile, read at every request (a scenario that ends takes effect at once). */
  profile: () => WorkloadProfile;
  rnd: Random;
  /** Runs the body of one demo tool (its time, its backend, its failure). */
  execute: (tool: DemoTool) => Promise<unknown>;
  /** Where the one-line notice goes when the SDK packages are absent. */
  log?: (line: string) => void;
  /**
   * Loads the SDK packages, `[ai, @ai-sdk/openai-compatible]` (tests replace it to play a consumer that has
   * none: a rejection means absent).
   */
  importSdk?: () => Promise<readonly [unknown, unknown]>;
  /** Most runs at once (default 64): a run due while that many are in flight is skipped. */
  maxInFlight?: number;
  /** Sees each request the model server answers and its plan (tests compare the monitors with it). */
  onPlan?: (request: MockRequest, plan: Plan) => void;
}

export interface Agent {
  /** The loopback model server's base URL. */
  readonly url: string;
  /** Starts one run in the background: a provider chosen among the available ones, one failover. */
  run(): void;
  /** Runs finished (answered, or failed on two providers). */
  readonly runs: number;
  readonly failedRuns: number;
  /** Runs not started because `maxInFlight` were running. */
  readonly skippedRuns: number;
  readonly inFlight: number;
  /** Aborts the runs in flight and closes the model server. */
  stop(): Promise<void>;
}

// A specifier in a variable: bundlers of the library leave the optional packages out instead of failing.
const load = (name: string): Promise<unknown> => import(name);
const importSdk = async (): Promise<Sdk> => [
  (await load(SDK_PACKAGES[0])) as Sdk[0],
  (await load(SDK_PACKAGES[1])) as Sdk[1],
];

/** The run's script, sent in the prompt: the tools the model calls at each step before it answers. */
type Script = string[][];
const SCRIPT_MARK = 'Script: ';

/** One or two steps of one to four tool calls, chosen by the tools' frequencies. */
function scriptRun(rnd: Random): Script {
  const steps = rnd.chance(0.5) ? 1 : 2;
  return Array.from({ length: steps }, () =>
    Array.from(
      { length: 1 + Math.floor(rnd.next() * 4) },
      () => rnd.weighted(DEMO_TOOLS, (t) => t.weight).name,
    ),
  );
}

/** The scripted model's next answer: the tool calls of the current step, or the final text. */
function answer(body: Record<string, unknown>): Pick<Plan, 'toolCalls' | 'pieces'> {
  const messages = Array.isArray(body.messages)
    ? (body.messages as Array<{ role?: string; content?: unknown }>)
    : [];
  const prompt = messages.find((m) => m.role === 'user')?.content;
  const at = typeof prompt === 'string' ? prompt.indexOf(SCRIPT_MARK) : -1;
  const script = at >= 0 ? (JSON.parse((prompt as string).slice(at + SCRIPT_MARK.length)) as Script) : [];
  const step = messages.filter((m) => m.role === 'assistant').length;
  const calls = script[step];
  if (calls === undefined) return { pieces: ['Done: ', 'the tools ', 'answered.'] };
  return { toolCalls: calls.map((name, i) => ({ name, args: { query: 'demo' }, id: `call_${step}_${i}` })) };
}

/** Chunks the mock writes after the first one: text pieces + finish + usage + [DONE], or 3 for tool calls. */
const laterChunks = (a: Pick<Plan, 'toolCalls' | 'pieces'>): number =>
  a.toolCalls ? 3 : (a.pieces?.length ?? 0) + 2;

/** The mock model server's plan for one request: the provider's behaviour, then the scripted answer. */
function planFor(behaviour: ProviderBehaviour, request: MockRequest): Plan {
  const provider = DEMO_PROVIDERS.find((p) => p.name === request.provider);
  if (!provider) return { status: 404 };
  const o = behaviour.outcome(provider);
  switch (o.kind) {
    case 'down':
      return { headerDelayMs: o.afterMs, drop: true };
    case 'timeout':
      return { headerDelayMs: o.afterMs, status: 504 }; // the gateway gave up waiting
    case 'rate_limit':
      return { headerDelayMs: o.afterMs, status: 429 };
    case 'overloaded':
      return { headerDelayMs: o.afterMs, status: 503 };
  }
  const next = answer(request.body);
  const usage = { ...o.usage, reasoning: 0 };
  if (!request.stream) return { ...next, usage, headerDelayMs: o.latencyMs };
  return {
    ...next,
    usage,
    firstChunkDelayMs: o.firstChunkMs,
    chunkDelayMs: (o.latencyMs - o.firstChunkMs) / laterChunks(next),
  };
}

/** Starts the model server and the agent, or resolves to undefined (after a one-line notice) without the SDKs. */
export async function startAgent(options: AgentOptions): Promise<Agent | undefined> {
  const { providers, rnd } = options;
  const maxInFlight = options.maxInFlight ?? 64;
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) {
    throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }
  let sdk: Sdk;
  try {
    sdk = (await (options.importSdk ?? importSdk)()) as Sdk;
  } catch {
    options.log?.(NO_SDK_NOTICE);
    return undefined;
  }
  const [
    { generateText, jsonSchema, stepCountIs, streamText, tool, wrapLanguageModel },
    { createOpenAICompatible },
  ] = sdk;
  const behaviour = new ProviderBehaviour(options.profile(), rnd);
  const mock = await startMockLlm({
    log: false,
    plan: (request) => {
      behaviour.profile = options.profile();
      const plan = planFor(behaviour, request);
      options.onPlan?.(request, plan);
      return plan;
    },
  });
  const middleware = performanceMiddleware({ pool: providers });
  const models = new Map(
    DEMO_PROVIDERS.map((p) => {
      providers.addProvider(p.name);
      const provider = createOpenAICompatible({
        name: p.name,
        baseURL: `${mock.url}/${p.name}/v1`,
        apiKey: 'demo',
        includeUsage: true,
      });
      return [p.name, wrapLanguageModel({ model: provider(p.model), middleware })] as const;
    }),
  );
  const input = jsonSchema<{ query: string }>({
    type: 'object',
    properties: { query: { type: 'string' } },
    required: ['query'],
  });
  const tools = instrumentTools(
    Object.fromEntries(
      DEMO_TOOLS.map((t) => [
        t.name,
        tool({
          description: `The demo's ${t.name} tool`,
          inputSchema: input,
          execute: () => options.execute(t),
        }),
      ]),
    ),
    options.tools,
  );

  const abort = new AbortController();
  let runs = 0;
  let failedRuns = 0;
  let skippedRuns = 0;
  let inFlight = 0;

  /** One agent run on one provider; throws what made it fail. */
  const attempt = async (p: DemoProvider, script: Script, stream: boolean): Promise<void> => {
    const call = {
      model: models.get(p.name)!,
      prompt: `Answer with the demo tools. ${SCRIPT_MARK}${JSON.stringify(script)}`,
      tools,
      stopWhen: stepCountIs(script.length + 1),
      // The agent fails over to another provider instead of retrying one (as the simulated pool does).
      maxRetries: 0,
      abortSignal: abort.signal,
    };
    if (!stream) {
      await generateText(call);
      return;
    }
    let failure: unknown;
    // streamText reports errors through onError (by default on the console) instead of throwing.
    const result = streamText({ ...call, onError: ({ error }) => void (failure ??= error) });
    await result.consumeStream();
    if (failure !== undefined) throw failure;
  };

  const runOnce = async (): Promise<void> => {
    const available = DEMO_PROVIDERS.filter((p) => providers.isAvailable(p.name));
    if (available.length === 0) return;
    const first = rnd.weighted(available, (p) => p.weight);
    const script = scriptRun(rnd);
    const stream = rnd.chance(0.5);
    try {
      await attempt(first, script, stream);
    } catch (err) {
      const others = available.filter((p) => p !== first && providers.isAvailable(p.name));
      if (others.length === 0 || abort.signal.aborted) throw err;
      await attempt(
        rnd.weighted(others, (p) => p.weight),
        script,
        stream,
      );
    }
  };

  return {
    url: mock.url,
    run() {
      if (abort.signal.aborted) return;
      if (inFlight >= maxInFlight) {
        skippedRuns++;
        return;
      }
      inFlight++;
      runOnce().then(
        () => {
          inFlight--;
          runs++;
        },
        () => {
          // Every request and tool execution of it is already counted by the adapter.
          inFlight--;
          runs++;
          failedRuns++;
        },
      );
    },
    get runs() {
      return runs;
    },
    get failedRuns() {
      return failedRuns;
    },
    get skippedRuns() {
      return skippedRuns;
    },
    get inFlight() {
      return inFlight;
    },
    async stop() {
      abort.abort();
      await mock.close();
    },
  };
}
