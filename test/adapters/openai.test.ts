import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiReader } from '../../src/adapters/openai/index.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { render } from '../sources/helpers.ts';
import { DEFAULT_USAGE, startMockLlm, type MockLlm } from '../../src/demo/mock-llm.ts';

let mock: MockLlm;
let pool: ProviderPoolMonitor;
let client: OpenAI;

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.served.length = 0;
  mock.setDefault({});
  pool = new ProviderPoolMonitor({ clock: new ManualClock(), failureThreshold: 100 });
  client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'test', maxRetries: 0 });
});

const ask = { model: 'gpt-mock', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('victor-perf/openai', () => {
  it('measures a stream in place: same object, same chunks, time to first chunk, duration and usage', async () => {
    mock.queue({ firstChunkDelayMs: 80, chunkDelayMs: 20 });
    const t0 = performance.now();
    const stream = await pool.stream(
      'openai',
      () => client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } }),
      openaiReader,
    );
    // The SDK's own Stream object, with its controller and helpers.
    expect(stream.constructor.name).toBe('Stream');
    expect(stream.controller).toBeInstanceOf(AbortController);
    const chunks: unknown[] = [];
    let firstSeen = 0;
    for await (const chunk of stream) {
      if (chunks.length === 0) firstSeen = performance.now() - t0;
      chunks.push(chunk);
    }
    const wall = performance.now() - t0;

    // The caller got exactly the chunks the server sent.
    const sent = mock.served[0]!.bytes.split('\n\n').filter((e) => e.startsWith('data: {'));
    expect(chunks).toEqual(sent.map((e) => JSON.parse(e.slice('data: '.length)) as unknown));

    const ttfc = pool.usage.firstChunk.labels({ provider: 'openai' });
    expect(ttfc.count).toBe(1);
    expect(ttfc.min).toBeGreaterThanOrEqual(80 - 1);
    expect(ttfc.min).toBeLessThanOrEqual(firstSeen);
    const latency = pool.latency.labels({ provider: 'openai' });
    // 6 events: the first after 80 ms, five more 20 ms apart.
    expect(latency.min).toBeGreaterThanOrEqual(80 + 5 * 20 - 1);
    expect(latency.min).toBeLessThanOrEqual(wall);

    const s = pool.collect();
    expect(s.requests).toEqual({ total: 1, successful: 1, failed: 0 });
    expect(s.tokens).toEqual({
      input: DEFAULT_USAGE.input,
      output: DEFAULT_USAGE.output,
      cached_input: DEFAULT_USAGE.cachedInput,
      reasoning: DEFAULT_USAGE.reasoning,
    });
    expect(s.requests_by_model).toEqual({ 'gpt-mock': 1 });
    const text = render(pool);
    expect(text).toContain(
      'victor_provider_tokens_total{provider="openai",model="gpt-mock",type="input"} 11\n',
    );
    expect(text).toContain(
      'victor_provider_tokens_total{provider="openai",model="gpt-mock",type="reasoning"} 2\n',
    );
    expect(text).toContain('victor_provider_model_requests_total{provider="openai",model="gpt-mock"} 1\n');
  });

  it('hands a byte stream over byte for byte', async () => {
    mock.queue({ chunkDelayMs: 5 });
    const body = await pool.stream('raw', async () => {
      const res = await fetch(`${mock.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ ...ask, stream: true }),
      });
      return res.body!;
    });
    const parts: Uint8Array[] = [];
    for await (const part of body as unknown as AsyncIterable<Uint8Array>) parts.push(part);
    expect(Buffer.concat(parts).toString()).toBe(mock.served[0]!.bytes);
    expect(pool.collect().requests.successful).toBe(1);
    expect(pool.usage.firstChunk.labels({ provider: 'raw' }).count).toBe(1);
  });

  it('reads usage and model from a plain completion', async () => {
    for (let i = 0; i < 3; i++)
      await pool.call('openai', () => client.chat.completions.create(ask), openaiReader);
    const s = pool.collect();
    expect(s.requests.total).toBe(3);
    expect(s.tokens.input).toBe(3 * DEFAULT_USAGE.input);
    expect(s.tokens.output).toBe(3 * DEFAULT_USAGE.output);
    expect(s.requests_by_model).toEqual({ 'gpt-mock': 3 });
    expect(mock.served).toHaveLength(3);
  });

  it('classifies 429, 529, 503, 401, 400, a timeout and a dropped stream', async () => {
    const statuses = [429, 529, 503, 401, 400];
    for (const status of statuses) {
      mock.queue({ status });
      await expect(
        pool.call('openai', () => client.chat.completions.create(ask), openaiReader),
      ).rejects.toBeInstanceOf(OpenAI.APIError);
    }
    mock.queue({ headerDelayMs: 400 });
    const quick = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 50 });
    await expect(
      pool.call('openai', () => quick.chat.completions.create(ask), openaiReader),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);

    mock.queue({ dropAfterChunks: 2, chunkDelayMs: 10 });
    const stream = await pool.stream(
      'openai',
      () => client.chat.completions.create({ ...ask, stream: true }),
      openaiReader,
    );
    let received = 0;
    await expect(
      (async () => {
        for await (const _ of stream) received++;
      })(),
    ).rejects.toThrow();
    expect(received).toBe(2);
    expect(mock.served.at(-1)!.dropped).toBe(true);

    const s = pool.collect();
    expect(s.requests).toEqual({ total: 7, successful: 0, failed: 7 });
    const text = render(pool);
    for (const [type, n] of [
      ['rate_limit', 1],
      ['overloaded', 2],
      ['auth', 1],
      ['bad_request', 1],
      ['timeout', 1],
      ['network', 1],
      ['other', 0],
    ] as const) {
      expect(text).toContain(`victor_provider_errors_total{provider="openai",type="${type}"} ${n}\n`);
    }
    expect(s.errors.timeout_rate).toBe(1 / 7);
    expect(s.errors.rate_limit_rate).toBe(1 / 7);
    // The dropped stream had its first chunk: time to first chunk is known for it.
    expect(pool.usage.firstChunk.labels({ provider: 'openai' }).count).toBe(1);
  });

  it('counts one request for a call the SDK retried, classified by its last error', async () => {
    const retrying = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'test', maxRetries: 2 });
    mock.queue({ status: 429 }, { status: 429 }, { status: 429 });
    await expect(
      pool.call('openai', () => retrying.chat.completions.create(ask), openaiReader),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    expect(mock.served).toHaveLength(3);
    expect(pool.collect().requests).toEqual({ total: 1, successful: 0, failed: 1 });
    expect(pool.collect().errors.rate_limit_rate).toBe(1);
  }, 20_000);
});
