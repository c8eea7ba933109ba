/**
 * `victor-perf/ai-sdk`: measure AI SDK 6 models and tools (`ai` is an optional peer dependency of this entry
 * point only, used for types: nothing from it is loaded at run time).
 *
 * ```ts
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: performanceMiddleware({ pool }) });
 * const tools = instrumentTools({ search, fetchPage }, toolMonitor);
 * ```
 * Every `doGenerate` and `doStream` is one provider request: the AI SDK retries (`maxRetries`) by calling
 * them again, so each attempt is counted and classified, and a call that succeeded after two 429s shows three
 * requests and two rate-limit errors.
 */
import type { LanguageModelMiddleware, ToolSet } from 'ai';
import type { ProviderErrorType } from '../../sources/provider-errors.ts';
import type { ProviderRequest, TokenUsage } from '../../sources/provider-usage.ts';
import type { ProviderPoolMonitor } from '../../sources/providers.ts';
import type { ToolExecutionMonitor } from '../../sources/tools.ts';

export interface PerformanceMiddlewareOptions {
  /** The provider pool that records the requests. */
  pool: ProviderPoolMonitor;
  /**
   * Provider label. Defaults to the model's provider id up to its first dot (`openai.chat` -> `openai`).
   */
  provider?: string | undefined;
  /** Maps an error to its class; defaults to classifyProviderError. */
  classify?: ((err: unknown) => ProviderErrorType) | undefined;
}

type Middleware = LanguageModelMiddleware;
type GenerateResult = Awaited<
  ReturnType<Parameters<NonNullable<Middleware['wrapGenerate']>>[0]['doGenerate']>
>;
type StreamResult = Awaited<ReturnType<Parameters<NonNullable<Middleware['wrapStream']>>[0]['doStream']>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;
type Usage = GenerateResult['usage'];
type Model = Parameters<NonNullable<Middleware['wrapGenerate']>>[0]['model'];

/** Middleware for `wrapLanguageModel` that records every generate and stream call in the pool. */
export function performanceMiddleware(options: PerformanceMiddlewareOptions): LanguageModelMiddleware {
  const { pool, provider, classify } = options ?? ({} as PerformanceMiddlewareOptions);
  if (pool === null || typeof pool !== 'object' || typeof pool.start !== 'function') {
    throw new TypeError('performanceMiddleware: `pool` must be a ProviderPoolMonitor');
  }
  if (provider !== undefined && (typeof provider !== 'string' || provider === '')) {
    throw new TypeError(
      `performanceMiddleware: provider must be a non-empty string, got ${JSON.stringify(provider)}`,
    );
  }
  const begin = (model: Model): ProviderRequest | undefined => {
    try {
      return pool.start(provider ?? providerName(model), { model: model.modelId || undefined, classify });
    } catch {
      return undefined; // a model with an unusable provider id is still called, just not measured
    }
  };
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, model }) {
      const request = begin(model);
      let result: GenerateResult;
      try {
        result = await doGenerate();
      } catch (err) {
        request?.fail(err);
        throw err;
      }
      if (request !== undefined) {
        request.addUsage(tokenUsage(result.usage));
        request.succeed();
      }
      return result;
    },
    async wrapStream({ doStream, model }) {
      const request = begin(model);
      let result: StreamResult;
      try {
        result = await doStream();
      } catch (err) {
        request?.fail(err);
        throw err;
      }
      if (request === undefined) return result;
      return { ...result, stream: measured(result.stream, request) };
    },
  };
}

/**
 * Passes the parts through unchanged, in order, while marking the first part that comes from the provider
 * (`stream-start` is made locally before any byte arrives), reading usage from `finish` and ending the request
 * at the end: failed on a stream error or an `error` part, else a success (a consumer that cancels chose to).
 */
function measured(source: ReadableStream<StreamPart>, request: ProviderRequest): ReadableStream<StreamPart> {
  const reader = source.getReader();
  let errorPart: unknown;
  let failed = false;
  return new ReadableStream<StreamPart>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (err) {
        request.fail(err);
        controller.error(err);
        return;
      }
      if (next.done) {
        if (failed) request.fail(errorPart);
        else request.succeed();
        controller.close();
        return;
      }
      const part = next.value;
      if (part.type !== 'stream-start') request.chunk();
      if (part.type === 'finish') request.addUsage(tokenUsage(part.usage));
      else if (part.type === 'error' && !failed) {
        failed = true;
        errorPart = part.error;
      }
      controller.enqueue(part);
    },
    cancel(reason) {
      request.succeed();
      return reader.cancel(reason);
    },
  });
}

function providerName(model: Model): string {
  const id = model.provider;
  const dot = id.indexOf('.');
  return dot > 0 ? id.slice(0, dot) : id;
}

/** AI SDK 6 usage -> ours: totals for input and output, cache reads and reasoning as their parts. */
export function tokenUsage(usage: Usage | undefined): TokenUsage | undefined {
  if (usage === undefined || usage === null) return undefined;
  return {
    input: usage.inputTokens?.total,
    output: usage.outputTokens?.total,
    cachedInput: usage.inputTokens?.cacheRead,
    reasoning: usage.outputTokens?.reasoning,
  };
}

/**
 * Returns a copy of an AI SDK tool set whose `execute` functions are measured as tool executions under their
 * key in the set; a throw or rejection is a failure and reaches the AI SDK unchanged. Tools without `execute`
 * are copied as they are.
 */
export function instrumentTools<T extends ToolSet>(tools: T, monitor: ToolExecutionMonitor): T {
  if (monitor === null || typeof monitor !== 'object' || typeof monitor.wrap !== 'function') {
    throw new TypeError('instrumentTools: `monitor` must be a ToolExecutionMonitor');
  }
  const out: Record<string, unknown> = {};
  for (const [name, tool] of Object.entries(tools)) {
    const execute = (tool as { execute?: unknown }).execute;
    out[name] =
      typeof execute === 'function'
        ? { ...tool, execute: monitor.wrap(name, execute as (...args: unknown[]) => unknown) }
        : tool;
  }
  return out as T;
}
