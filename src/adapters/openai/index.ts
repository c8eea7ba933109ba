/**
 * `victor-perf/openai`: measure calls made with the `openai` SDK (an optional peer dependency of this entry
 * point only).
 *
 * ```ts
 * const stream = await pool.stream('openai', () => client.chat.completions.create({ ..., stream: true,
 *   stream_options: { include_usage: true } }), openaiReader);
 * for await (const chunk of stream) { ... }   // the SDK's own Stream, chunks unchanged
 * const completion = await pool.call('openai', () => client.chat.completions.create({ ... }), openaiReader);
 * ```
 * Chat Completions and Responses (objects and stream events) are both read. The SDK retries on its own
 * (`maxRetries`, default 2): a call is one request to the pool whatever it retried inside, classified by its
 * final error.
 */
import OpenAI from 'openai';
import { classifySdkError, type ProviderErrorType } from '../../sources/provider-errors.ts';
import type { TokenUsage } from '../../sources/provider-usage.ts';
import type { StreamOptions } from '../../sources/providers.ts';

/** Classifies an error of the `openai` SDK by its class, then by status and cause. */
export function classifyOpenAIError(err: unknown): ProviderErrorType {
  return classifySdkError(err, {
    abort: OpenAI.APIUserAbortError,
    timeout: OpenAI.APIConnectionTimeoutError,
    connection: OpenAI.APIConnectionError,
  });
}

interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}
interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}
type Readable = {
  usage?: (ChatUsage & ResponsesUsage) | null;
  model?: string;
  response?: { usage?: ResponsesUsage | null; model?: string };
};

/** Token usage of a chat completion, a chunk, a Responses object or a `response.completed` event. */
export function openaiUsage(value: unknown): TokenUsage | undefined {
  const v = value as Readable | null | undefined;
  const u = v?.usage ?? v?.response?.usage;
  if (u === null || u === undefined || typeof u !== 'object') return undefined;
  if ('prompt_tokens' in u || 'completion_tokens' in u) {
    const c = u as ChatUsage;
    return {
      input: c.prompt_tokens,
      output: c.completion_tokens,
      cachedInput: c.prompt_tokens_details?.cached_tokens,
      reasoning: c.completion_tokens_details?.reasoning_tokens,
    };
  }
  const r = u as ResponsesUsage;
  return {
    input: r.input_tokens,
    output: r.output_tokens,
    cachedInput: r.input_tokens_details?.cached_tokens,
    reasoning: r.output_tokens_details?.reasoning_tokens,
  };
}

function openaiModel(value: unknown): string | undefined {
  const v = value as Readable | null | undefined;
  return v?.model ?? v?.response?.model;
}

/** Reader and classifier for `pool.call` and `pool.stream` with the `openai` SDK. */
export const openaiReader: StreamOptions = {
  usage: openaiUsage,
  modelOf: openaiModel,
  classify: classifyOpenAIError,
};
