import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicReader } from '../../src/adapters/anthropic/index.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { render } from '../sources/helpers.ts';
import { DEFAULT_USAGE, startMockLlm, type MockLlm } from '../../src/demo/mock-llm.ts';

let mock: MockLlm;
let pool: ProviderPoolMonitor;
let client: Anthropic;

beforeAll(async () => {
  mock = await startMockLlm();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.served.length = 0;
  pool = new ProviderPoolMonitor({ clock: new ManualClock(), failureThreshold: 100 });
  client = new Anthropic({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
});

const ask = { model: 'claude-mock', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };

describe('victor-perf/anthropic', () => {
  it('measures a streamed message in place, with time to first chunk, duration and usage', async () => {
    mock.queue({ firstChunkDelayMs: 60, chunkDelayMs: 15 });
    const t0 = performance.now();
    const stream = await pool.stream(
      'anthropic',
      () => client.messages.create({ ...ask, stream: true }),
      anthropicReader,
    );
    expect(stream.controller).toBeInstanceOf(AbortController);
    const events: unknown[] = [];
    let firstSeen = 0;
    for await (const event of stream) {
      if (events.length === 0) firstSeen = performance.now() - t0;
      events.push(event);
    }
    const wall = performance.now() - t0;
    const sent = mock.served[0]!.bytes.split('\n\n').filter((e) => e !== '');
    expect(events).toEqual(sent.map((e) => JSON.parse(e.split('\ndata: ')[1]!) as unknown));

    const ttfc = pool.usage.firstChunk.labels({ provider: 'anthropic' });
    expect(ttfc.count).toBe(1);
    expect(ttfc.min).toBeGreaterThanOrEqual(60 - 1);
    expect(ttfc.min).toBeLessThanOrEqual(firstSeen);
    // message_start, block start, 3 deltas, block stop, message_delta, message_stop: 7 gaps of 15 ms.
    const latency = pool.latency.labels({ provider: 'anthropic' });
    expect(latency.min).toBeGreaterThanOrEqual(60 + 7 * 15 - 1);
    expect(latency.min).toBeLessThanOrEqual(wall);

    expect(pool.collect().tokens).toEqual({
      input: DEFAULT_USAGE.input,
      output: DEFAULT_USAGE.output,
      cached_input: DEFAULT_USAGE.cachedInput,
      reasoning: 0,
    });
    expect(pool.collect().requests_by_model).toEqual({ 'claude-mock': 1 });
  });

  it('reads usage from a plain message', async () => {
    await pool.call('anthropic', () => client.messages.create(ask), anthropicReader);
    await pool.call('anthropic', () => client.messages.create(ask), anthropicReader);
    const s = pool.collect();
    expect(s.requests).toEqual({ total: 2, successful: 2, failed: 0 });
    expect(s.tokens.input).toBe(2 * DEFAULT_USAGE.input);
    expect(s.tokens.cached_input).toBe(2 * DEFAULT_USAGE.cachedInput);
    expect(s.tokens.output).toBe(2 * DEFAULT_USAGE.output);
  });

  it('classifies 429, 529, 401, 400, a timeout and a dropped stream', async () => {
    for (const status of [429, 529, 401, 400]) {
      mock.queue({ status });
      await expect(
        pool.call('anthropic', () => client.messages.create(ask), anthropicReader),
      ).rejects.toBeInstanceOf(Anthropic.APIError);
    }
    mock.queue({ headerDelayMs: 400 });
    const quick = new Anthropic({ baseURL: mock.url, apiKey: 'test', maxRetries: 0, timeout: 50 });
    await expect(
      pool.call('anthropic', () => quick.messages.create(ask), anthropicReader),
    ).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    mock.queue({ dropAfterChunks: 3, chunkDelayMs: 10 });
    const stream = await pool.stream(
      'anthropic',
      () => client.messages.create({ ...ask, stream: true }),
      anthropicReader,
    );
    let received = 0;
    await expect(
      (async () => {
        for await (const _ of stream) received++;
      })(),
    ).rejects.toThrow();
    expect(received).toBe(3);

    const text = render(pool);
    for (const [type, n] of [
      ['rate_limit', 1],
      ['overloaded', 1],
      ['auth', 1],
      ['bad_request', 1],
      ['timeout', 1],
      ['network', 1],
      ['other', 0],
    ] as const) {
      expect(text).toContain(`victor_provider_errors_total{provider="anthropic",type="${type}"} ${n}\n`);
    }
    expect(pool.collect().requests).toEqual({ total: 6, successful: 0, failed: 6 });
  });

  it('retries inside the SDK count as one request, classified by the last error', async () => {
    const retrying = new Anthropic({ baseURL: mock.url, apiKey: 'test', maxRetries: 1 });
    mock.queue({ status: 529 }, { status: 529 });
    await expect(
      pool.call('anthropic', () => retrying.messages.create(ask), anthropicReader),
    ).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(mock.served).toHaveLength(2);
    expect(pool.collect().requests).toEqual({ total: 1, successful: 0, failed: 1 });
    expect(pool.collect().errors.overloaded_rate).toBe(1);
  });
});
