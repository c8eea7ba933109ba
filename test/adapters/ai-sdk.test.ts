import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { RetryError, generateText, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instrumentTools, performanceMiddleware } from '../../src/adapters/ai-sdk/index.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { classifyProviderError } from '../../src/sources/provider-errors.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { render } from '../sources/helpers.ts';
import { DEFAULT_USAGE, startMockLlm, type MockLlm } from '../../src/demo/mock-llm.ts';

let mock: MockLlm;
let pool: ProviderPoolMonitor;
let toolMonitor: ToolExecutionMonitor;

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.served.length = 0;
  mock.setDefault({});
  pool = new ProviderPoolMonitor({ clock: new ManualClock(), failureThreshold: 100 });
  toolMonitor = new ToolExecutionMonitor({ clock: new ManualClock() });
});

function baseModel() {
  return createOpenAICompatible({
    name: 'mock',
    baseURL: `${mock.url}/v1`,
    apiKey: 'test',
    includeUsage: true,
  })('mock-model');
}
function model() {
  return wrapLanguageModel({ model: baseModel(), middleware: performanceMiddleware({ pool }) });
}

const weather = tool({
  description: 'Weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ city, celsius: 21 }),
});

describe('victor-perf/ai-sdk', () => {
  it('counts every step of a generateText agent loop, its tokens and its tools', async () => {
    mock.queue({ toolCall: { name: 'weather', args: { city: 'Oslo' } } }, { pieces: ['Sunny'] });
    const result = await generateText({
      model: model(),
      prompt: 'Weather in Oslo?',
      tools: instrumentTools({ weather }, toolMonitor),
      stopWhen: stepCountIs(3),
    });
    expect(result.text).toBe('Sunny');
    expect(mock.served).toHaveLength(2);
    const s = pool.collect();
    expect(s.requests).toEqual({ total: 2, successful: 2, failed: 0 });
    expect(s.tokens).toEqual({
      input: 2 * DEFAULT_USAGE.input,
      output: 2 * DEFAULT_USAGE.output,
      cached_input: 2 * DEFAULT_USAGE.cachedInput,
      reasoning: 2 * DEFAULT_USAGE.reasoning,
    });
    expect(s.requests_by_model).toEqual({ 'mock-model': 2 });
    expect(s.provider_health).toEqual({ mock: 1 });
    expect(toolMonitor.toolStats('weather')).toMatchObject({ total_calls: 1, failed_calls: 0 });
  });

  it('measures streamText to its last chunk, with time to first chunk, and passes every part through', async () => {
    const plan = { firstChunkDelayMs: 80, chunkDelayMs: 20, pieces: ['a', 'b', 'c', 'd'] };
    // The same stream without the middleware, for comparison part by part.
    mock.queue(plan);
    const bare = streamText({ model: baseModel(), prompt: 'hi' });
    const bareParts: unknown[] = [];
    for await (const part of bare.fullStream) bareParts.push(part);

    mock.queue(plan);
    const t0 = performance.now();
    const result = streamText({ model: model(), prompt: 'hi' });
    const parts: unknown[] = [];
    let firstText = 0;
    for await (const part of result.fullStream) {
      if (firstText === 0 && (part as { type: string }).type === 'text-delta')
        firstText = performance.now() - t0;
      parts.push(part);
    }
    const wall = performance.now() - t0;
    expect(await result.text).toBe('abcd');
    const strip = (ps: unknown[]) =>
      JSON.stringify(ps, (k, v: unknown) => (k === 'timestamp' || k === 'date' ? undefined : v));
    expect(strip(parts)).toBe(strip(bareParts));

    const ttfc = pool.usage.firstChunk.labels({ provider: 'mock' });
    expect(ttfc.count).toBe(1);
    expect(ttfc.min).toBeGreaterThanOrEqual(80 - 1);
    expect(ttfc.min).toBeLessThanOrEqual(firstText);
    // 4 pieces + finish + usage + [DONE]: the first after 80 ms, six more 20 ms apart.
    const latency = pool.latency.labels({ provider: 'mock' });
    expect(latency.min).toBeGreaterThanOrEqual(80 + 6 * 20 - 1);
    expect(latency.min).toBeLessThanOrEqual(wall);
    expect(pool.collect().tokens.output).toBe(DEFAULT_USAGE.output);
  });

  it('counts each retry of a rate-limited call, and the RetryError classifies as rate_limit', async () => {
    mock.queue({ status: 429 }, { status: 429 });
    const ok = await generateText({ model: model(), prompt: 'hi', maxRetries: 2 });
    expect(ok.text).toBe('Hello there');
    let s = pool.collect();
    expect(s.requests).toEqual({ total: 3, successful: 1, failed: 2 });
    expect(s.errors.rate_limit_rate).toBe(2 / 3);

    mock.queue({ status: 429 }, { status: 429 });
    const err = await generateText({ model: model(), prompt: 'hi', maxRetries: 1 }).catch((e: unknown) => e);
    expect(RetryError.isInstance(err)).toBe(true);
    expect(classifyProviderError(err)).toBe('rate_limit');
    s = pool.collect();
    expect(s.requests).toEqual({ total: 5, successful: 1, failed: 4 });
    expect(mock.served).toHaveLength(5);
  });

  it('classifies overload, auth, a timeout and a stream dropped mid-way', async () => {
    mock.queue({ status: 529 }, { status: 401 });
    await expect(generateText({ model: model(), prompt: 'hi', maxRetries: 0 })).rejects.toThrow();
    await expect(generateText({ model: model(), prompt: 'hi', maxRetries: 0 })).rejects.toThrow();

    mock.queue({ headerDelayMs: 500 });
    await expect(
      generateText({ model: model(), prompt: 'hi', maxRetries: 0, abortSignal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();

    mock.queue({ dropAfterChunks: 2, chunkDelayMs: 10 });
    const result = streamText({ model: model(), prompt: 'hi', maxRetries: 0 });
    let text = '';
    await expect(
      (async () => {
        for await (const part of result.fullStream) if (part.type === 'text-delta') text += part.text;
      })(),
    ).rejects.toThrow(/Failed to process successful response/);
    expect(text).toBe('Hello');
    expect(mock.served.at(-1)!.dropped).toBe(true);

    const out = render(pool);
    for (const [type, n] of [
      ['overloaded', 1],
      ['auth', 1],
      ['timeout', 1],
      ['network', 1],
      ['other', 0],
    ] as const) {
      expect(out).toContain(`victor_provider_errors_total{provider="mock",type="${type}"} ${n}\n`);
    }
    expect(pool.collect().requests).toEqual({ total: 4, successful: 0, failed: 4 });
  });

  it('records tool failures and rejects bad options at the call', async () => {
    const tools = instrumentTools(
      {
        broken: tool({
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }): Promise<string> => {
            throw new Error(`tool broke on ${city}`);
          },
        }),
        noExecute: tool({ inputSchema: z.object({ city: z.string() }) }),
      },
      toolMonitor,
    );
    await expect(tools.broken.execute!({ city: 'Oslo' }, { toolCallId: '1', messages: [] })).rejects.toThrow(
      'tool broke on Oslo',
    );
    expect(toolMonitor.toolStats('broken')).toMatchObject({ total_calls: 1, failed_calls: 1 });
    expect(tools.noExecute.execute).toBeUndefined();
    expect(() => performanceMiddleware({ pool: {} as ProviderPoolMonitor })).toThrow(/ProviderPoolMonitor/);
    expect(() => performanceMiddleware({ pool, provider: '' })).toThrow(/got ""/);
    expect(() => instrumentTools({}, null as unknown as ToolExecutionMonitor)).toThrow(
      /ToolExecutionMonitor/,
    );
  });
});
