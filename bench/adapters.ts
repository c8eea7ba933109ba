/**
 * `npm run bench:adapters`: what instrumenting an SDK call costs, next to the bare call, in one run.
 *
 * 1. In process, SDK-shaped calls that do nothing (a resolved completion, a 6-chunk async stream, an AI SDK
 *    `doGenerate`): the difference is the adapter's own cost per call, with no network noise over it.
 * 2. The real SDKs against the loopback mock LLM server of the adapter tests: the bare SDK call and the
 *    instrumented one interleaved, round after round; the ratio shows the overhead next to a real call.
 */
import OpenAI from 'openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, wrapLanguageModel } from 'ai';
import { openaiReader } from '../src/adapters/openai/index.ts';
import { performanceMiddleware } from '../src/adapters/ai-sdk/index.ts';
import { ProviderPoolMonitor } from '../src/sources/providers.ts';
import { startMockLlm } from '../src/demo/mock-llm.ts';
import { benchAsync, printTable, type Row } from './harness.ts';

const pool = new ProviderPoolMonitor();
const rows: Row[] = [];
let sink = 0;

// --- 1. in process ---
const completion = {
  model: 'gpt-mock',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }],
  usage: { prompt_tokens: 11, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 3 } },
};
const create = (): Promise<typeof completion> => Promise.resolve(completion);
const chunks = Array.from({ length: 6 }, (_, i) => ({
  model: 'gpt-mock',
  i,
  usage: i === 5 ? completion.usage : null,
}));
const makeStream = () => ({
  async *[Symbol.asyncIterator]() {
    yield* chunks;
  },
});
const middleware = performanceMiddleware({ pool, provider: 'fake' });
const wrapGenerate = middleware.wrapGenerate!;
const generated = {
  content: [],
  finishReason: 'stop',
  usage: { inputTokens: { total: 11 }, outputTokens: { total: 7 } },
};
const doGenerate = () => Promise.resolve(generated) as never;
const fakeModel = { provider: 'fake.chat', modelId: 'fake-model' } as never;

rows.push(
  ...(await benchAsync('in process: completion call (no I/O)', {
    'pool.call + openaiReader': async () => {
      sink += (await pool.call('openai', create, openaiReader)).choices.length;
    },
    'bare call': async () => {
      sink += (await create()).choices.length;
    },
  })),
  ...(await benchAsync('in process: 6-chunk stream (no I/O)', {
    'pool.stream + openaiReader': async () => {
      for await (const c of await pool.stream('openai', makeStream, openaiReader)) sink += c.i;
    },
    'bare stream': async () => {
      for await (const c of makeStream()) sink += c.i;
    },
  })),
  ...(await benchAsync('in process: AI SDK doGenerate (no I/O)', {
    performanceMiddleware: async () => {
      await wrapGenerate({ doGenerate, doStream: doGenerate, params: {} as never, model: fakeModel });
      sink++;
    },
    'bare doGenerate': async () => {
      await doGenerate();
      sink++;
    },
  })),
);

// --- 2. the real SDKs against the loopback mock ---
const mock = await startMockLlm();
const client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'bench', maxRetries: 0 });
const ask = { model: 'gpt-mock', messages: [{ role: 'user' as const, content: 'hi' }] };
const base = createOpenAICompatible({ name: 'mock', baseURL: `${mock.url}/v1`, apiKey: 'bench' })('gpt-mock');
const wrapped = wrapLanguageModel({ model: base, middleware: performanceMiddleware({ pool }) });
const loopback = { minMs: 3000, rounds: 9 };
rows.push(
  ...(await benchAsync(
    'openai SDK over loopback: chat completion',
    {
      'pool.call + openaiReader': async () => {
        sink += (await pool.call('openai', () => client.chat.completions.create(ask), openaiReader)).choices
          .length;
      },
      'bare SDK call': async () => {
        sink += (await client.chat.completions.create(ask)).choices.length;
      },
    },
    loopback,
  )),
  ...(await benchAsync(
    'openai SDK over loopback: streamed completion (7 events)',
    {
      'pool.stream + openaiReader': async () => {
        const s = await pool.stream(
          'openai',
          () => client.chat.completions.create({ ...ask, stream: true }),
          openaiReader,
        );
        for await (const c of s) sink += c.choices.length;
      },
      'bare SDK stream': async () => {
        for await (const c of await client.chat.completions.create({ ...ask, stream: true }))
          sink += c.choices.length;
      },
    },
    loopback,
  )),
  ...(await benchAsync(
    'AI SDK over loopback: generateText',
    {
      performanceMiddleware: async () => {
        sink += (await generateText({ model: wrapped, prompt: 'hi' })).text.length;
      },
      'bare model': async () => {
        sink += (await generateText({ model: base, prompt: 'hi' })).text.length;
      },
    },
    loopback,
  )),
);
await mock.close();

printTable(rows);
console.log('\nOverhead per instrumented call (instrumented minus bare, median rounds):');
for (let i = 0; i < rows.length; i += 2) {
  const [ours, bare] = [rows[i]!, rows[i + 1]!];
  const us = (ours.nsPerOp - bare.nsPerOp) / 1000;
  console.log(
    `  ${ours.group.padEnd(58)} ${us.toFixed(2).padStart(7)} µs  (${((us * 1000 * 100) / bare.nsPerOp).toFixed(2)} % of the bare call)`,
  );
}
if (sink === -1) console.log(sink);
