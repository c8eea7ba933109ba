/**
 * `victor-perf/anthropic`: measure calls made with `@anthropic-ai/sdk` (an optional peer dependency of this
 * entry point only).
 *
 * ```ts
 * const stream = await pool.stream('anthropic', () => client.messages.create({ ..., stream: true }),
 *   anthropicReader);
 * for await (const event of stream) { ... }   // the SDK's own Stream, events unchanged
 * const message = await pool.call('anthropic', () => client.messages.create({ ... }), anthropicReader);
 * ```
 * `client.messages.stream()` (the event-emitter helper) is consumed through its own callbacks, which this
 * does not see: use `create({ stream: true })` with `pool.stream`. The SDK retries on its own (`maxRetries`):
 * a call is one request to the pool, classified by its final error.
 */
import Anthropic from '@anthropic-ai/sdk';
import { classifySdkError, type ProviderErrorType } from '../../sources/provider-errors.ts';
import type { TokenUsage } from '../../sources/provider-usage.ts';
import type { StreamOptions } from '../../sources/providers.ts';

/** Classifies an error of `@anthropic-ai/sdk` by its class, then by status, error type and cause. */
export function classifyAnthropicError(err: unknown): ProviderErrorType {
  return classifySdkError(err, {
    abort: Anthropic.APIUserAbortError,
    timeout: Anthropic.APIConnectionTimeoutError,
    connection: Anthropic.APIConnectionError,
  });
}

interface Usage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}
type Readable = { type?: string; usage?: Usage; model?: string; message?: { usage?: Usage; model?: string } };

/**
 * Token usage of a message, a `message_start` or a `message_delta` event. Anthropic's `input_tokens` leaves
 * out cache reads and writes; ours is all input, so they are added back, and cache reads are `cachedInput`.
 */
export function anthropicUsage(value: unknown): TokenUsage | undefined {
  const v = value as Readable | null | undefined;
  const u = v?.message?.usage ?? v?.usage;
  if (u === null || u === undefined || typeof u !== 'object') return undefined;
  const out: TokenUsage = {};
  if (typeof u.input_tokens === 'number') {
    out.input = u.input_tokens + (u.cache_read_input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0);
  }
  if (typeof u.cache_read_input_tokens === 'number') out.cachedInput = u.cache_read_input_tokens;
  // message_start reports the output so far (often 1); message_delta the cumulative count, which wins.
  if (typeof u.output_tokens === 'number') out.output = u.output_tokens;
  return out;
}

function anthropicModel(value: unknown): string | undefined {
  const v = value as Readable | null | undefined;
  return v?.message?.model ?? v?.model;
}

/** Reader and classifier for `pool.call` and `pool.stream` with `@anthropic-ai/sdk`. */
export const anthropicReader: StreamOptions = {
  usage: anthropicUsage,
  modelOf: anthropicModel,
  classify: classifyAnthropicError,
};
