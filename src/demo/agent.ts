/**
 * The demo's real agent: an AI SDK agent loop (`generateText` and `streamText` with a tool, two steps each)
 * against a scripted OpenAI-compatible model server on loopback that the demo starts itself, measured only
 * through the `victor-perf/ai-sdk` adapter (`performanceMiddleware`, `instrumentTools`).
 *
 * The SDK packages (`ai`, `@ai-sdk/openai-compatible`, `zod`) are development dependencies, not the
 * library's: they are imported when the agent starts, and where they are absent the demo says so in one line
 * and keeps its simulated workload.
 */
import { instrumentTools, performanceMiddleware } from '../adapters/ai-sdk/index.ts';
import type { ProviderPoolMonitor } from '../sources/providers.ts';
import type { ToolExecutionMonitor } from '../sources/tools.ts';
import { startMockLlm, type MockLlm } from './mock-llm.ts';

type Sdk = [typeof import('ai'), typeof import('@ai-sdk/openai-compatible'), typeof import('zod')];

export interface AgentOptions {
  providers: ProviderPoolMonitor;
  tools: ToolExecutionMonitor;
  /** Pause between two agent runs in ms (default 1000). */
  intervalMs?: number;
  /** Where the one-line notice goes when the SDK packages are absent. */
  log?: (line: string) => void;
  /** Loads the SDK packages (tests replace it to play a consumer that has none). */
  importSdk?: () => Promise<Sdk>;
}

export interface Agent {
  /** The loopback model server's base URL. */
  readonly url: string;
  /** Agent runs finished so far (successful or not). */
  readonly runs: number;
  stop(): Promise<void>;
}

const importSdk = (): Promise<Sdk> =>
  Promise.all([import('ai'), import('@ai-sdk/openai-compatible'), import('zod')]);

/** Starts the agent loop, or resolves to undefined (after a one-line notice) when the SDKs are absent. */
export async function startAgent(options: AgentOptions): Promise<Agent | undefined> {
  const intervalMs = options.intervalMs ?? 1000;
  if (!(intervalMs >= 0 && intervalMs <= 60_000)) {
    throw new RangeError(`intervalMs must be 0..60000, got ${intervalMs}`);
  }
  const log = options.log ?? (() => {});
  let sdk: Sdk;
  try {
    sdk = await (options.importSdk ?? importSdk)();
  } catch {
    log(
      'agent: the AI SDK packages (ai, @ai-sdk/openai-compatible, zod) are not installed; running the simulated workload only',
    );
    return undefined;
  }
  const [
    { generateText, stepCountIs, streamText, tool, wrapLanguageModel },
    { createOpenAICompatible },
    { z },
  ] = sdk;
  const mock: MockLlm = await startMockLlm();
  const model = wrapLanguageModel({
    model: createOpenAICompatible({
      name: 'mock',
      baseURL: `${mock.url}/v1`,
      apiKey: 'demo',
      includeUsage: true,
    })('demo-model'),
    middleware: performanceMiddleware({ pool: options.providers }),
  });
  const tools = instrumentTools(
    {
      lookup_docs: tool({
        description: 'Look a topic up in the docs',
        inputSchema: z.object({ topic: z.string() }),
        execute: async ({ topic }) => {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
          return { topic, found: 3 };
        },
      }),
    },
    options.tools,
  );

  let runs = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const loop = (async () => {
    while (!stopped) {
      // Each run: the model asks for the tool, then answers with its result (two provider requests).
      mock.queue(
        { toolCall: { name: 'lookup_docs', args: { topic: 'metrics' } }, headerDelayMs: 20 },
        { pieces: ['Found ', 'three ', 'pages.'], firstChunkDelayMs: 40, chunkDelayMs: 10 },
      );
      try {
        const call = { model, prompt: 'Where are the metrics documented?', tools, stopWhen: stepCountIs(3) };
        if (runs % 2 === 0) {
          await generateText(call);
        } else {
          const result = streamText(call);
          // Drained to the end: the stream's duration and usage are known once it is consumed.
          for await (const _ of result.textStream);
        }
      } catch {
        // A failed run is already counted by the adapter; the demo goes on.
      }
      runs++;
      mock.served.length = 0;
      if (!stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, intervalMs);
        });
      }
    }
  })();

  return {
    url: mock.url,
    get runs() {
      return runs;
    },
    /** Lets the run in flight finish (its requests are short and local), then closes the model server. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
      await mock.close();
    },
  };
}
