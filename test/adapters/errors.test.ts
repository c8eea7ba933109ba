import Anthropic from '@anthropic-ai/sdk';
import { APICallError } from '@ai-sdk/provider';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { RetryError } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { classifyAnthropicError } from '../../src/adapters/anthropic/index.ts';
import { classifyOpenAIError } from '../../src/adapters/openai/index.ts';
import { PROVIDER_ERROR_TYPES } from '../../src/metrics/catalog.ts';
import { classifyProviderError, safeClassify } from '../../src/sources/provider-errors.ts';

const headers = new Headers();

function aiCallError(statusCode: number | undefined, cause?: unknown): APICallError {
  return new APICallError({
    message: 'call failed',
    url: 'http://127.0.0.1/v1/chat/completions',
    requestBodyValues: {},
    statusCode,
    cause,
  });
}

describe('provider error classes', () => {
  it('is the closed, documented set', () => {
    expect(PROVIDER_ERROR_TYPES).toEqual([
      'timeout',
      'rate_limit',
      'overloaded',
      'auth',
      'bad_request',
      'network',
      'aborted',
      'other',
    ]);
  });

  it('classifies the openai SDK errors', () => {
    const cases: Array<[unknown, string]> = [
      [new OpenAI.APIConnectionTimeoutError(), 'timeout'],
      [new OpenAI.APIConnectionError({ message: 'Connection error.' }), 'network'],
      [new OpenAI.APIUserAbortError(), 'aborted'],
      [OpenAI.APIError.generate(429, { message: 'slow down' }, undefined, headers), 'rate_limit'],
      [OpenAI.APIError.generate(503, { message: 'busy' }, undefined, headers), 'overloaded'],
      [OpenAI.APIError.generate(401, { message: 'key' }, undefined, headers), 'auth'],
      [OpenAI.APIError.generate(403, { message: 'no' }, undefined, headers), 'auth'],
      [
        OpenAI.APIError.generate(400, { message: 'context_length_exceeded' }, undefined, headers),
        'bad_request',
      ],
      [OpenAI.APIError.generate(413, { message: 'too large' }, undefined, headers), 'bad_request'],
      [OpenAI.APIError.generate(422, { message: 'bad' }, undefined, headers), 'bad_request'],
      [OpenAI.APIError.generate(500, { message: 'oops' }, undefined, headers), 'other'],
    ];
    for (const [err, type] of cases) {
      expect(classifyProviderError(err), String(err)).toBe(type);
      expect(classifyOpenAIError(err), String(err)).toBe(type);
    }
  });

  it('classifies the Anthropic SDK errors, including an overload reported mid-stream', () => {
    const cases: Array<[unknown, string]> = [
      [new Anthropic.APIConnectionTimeoutError(), 'timeout'],
      [new Anthropic.APIConnectionError({ message: 'Connection error.' }), 'network'],
      [new Anthropic.APIUserAbortError(), 'aborted'],
      [
        Anthropic.APIError.generate(
          429,
          { type: 'error', error: { type: 'rate_limit_error' } },
          undefined,
          headers,
        ),
        'rate_limit',
      ],
      [
        Anthropic.APIError.generate(
          529,
          { type: 'error', error: { type: 'overloaded_error' } },
          undefined,
          headers,
        ),
        'overloaded',
      ],
      [
        Anthropic.APIError.generate(
          401,
          { type: 'error', error: { type: 'authentication_error' } },
          undefined,
          headers,
        ),
        'auth',
      ],
      [
        Anthropic.APIError.generate(
          400,
          { type: 'error', error: { type: 'invalid_request_error' } },
          undefined,
          headers,
        ),
        'bad_request',
      ],
      // An `error` event in an SSE stream: no HTTP status, the type is in the body.
      [
        new Anthropic.APIError(
          undefined,
          { type: 'error', error: { type: 'overloaded_error' } },
          'Overloaded',
          undefined,
        ),
        'overloaded',
      ],
    ];
    for (const [err, type] of cases) {
      expect(classifyProviderError(err), String(err)).toBe(type);
      expect(classifyAnthropicError(err), String(err)).toBe(type);
    }
  });

  it('unwraps AI SDK retry errors to their last cause and reads causes of status-less errors', () => {
    const after429s = new RetryError({
      message: 'Failed after 3 attempts',
      reason: 'maxRetriesExceeded',
      errors: [aiCallError(500), aiCallError(429), aiCallError(429)],
    });
    expect(classifyProviderError(after429s)).toBe('rate_limit');
    const fetchFailed = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    });
    expect(classifyProviderError(aiCallError(undefined, fetchFailed))).toBe('network');
    expect(classifyProviderError(aiCallError(529))).toBe('overloaded');
    expect(classifyProviderError(new DOMException('The operation timed out.', 'TimeoutError'))).toBe(
      'timeout',
    );
    expect(classifyProviderError(new DOMException('This operation was aborted', 'AbortError'))).toBe(
      'aborted',
    );
    expect(classifyProviderError(new AggregateError([new Error('x'), aiCallError(401)]))).toBe('auth');
    expect(
      classifyProviderError(
        Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET' } }),
      ),
    ).toBe('network');
  });

  it('classifies MCP protocol errors', () => {
    expect(classifyProviderError(new McpError(ErrorCode.RequestTimeout, 'timed out'))).toBe('timeout');
    expect(classifyProviderError(new McpError(ErrorCode.ConnectionClosed, 'closed'))).toBe('network');
    expect(classifyProviderError(new McpError(ErrorCode.InvalidParams, 'bad'))).toBe('bad_request');
    expect(classifyProviderError(new McpError(ErrorCode.InternalError, 'boom'))).toBe('other');
  });

  it('never throws, and falls back to other for anything unknown or hostile', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('no reading');
        },
        has() {
          throw new Error('no reading');
        },
      },
    );
    expect(classifyProviderError(hostile)).toBe('other');
    const loop: { cause?: unknown } = {};
    loop.cause = loop;
    expect(classifyProviderError(loop)).toBe('other');
    for (const v of [null, undefined, 'a string', 42, new Error('boom')])
      expect(classifyProviderError(v)).toBe('other');
    expect(safeClassify(() => 'nonsense' as never, new Error())).toBe('other');
    expect(
      safeClassify(() => {
        throw new Error('classifier bug');
      }, new Error()),
    ).toBe('other');
  });
});
