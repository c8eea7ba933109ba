/**
 * README's "Instrument your agent" examples, run as written (one child process each, through tsx) against the
 * loopback mock LLM server: the SDKs find it through their base-URL environment variables.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_USAGE, startMockLlm, type MockLlm } from '../../src/demo/mock-llm.ts';

const root = resolve(import.meta.dirname, '../..');
// Inside the project (ignored by git), so that the snippets resolve the SDKs and `victor-perf` (tsconfig paths).
const dir = resolve(root, '.tmp/readme-agent-snippets');

function snippets(): Map<string, string> {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Instrument your agent');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const byEntry = new Map<string, string>();
  for (const code of blocks) {
    const entry = /from 'victor-perf\/([a-z-]+)'/.exec(code)?.[1];
    if (entry !== undefined) byEntry.set(entry, code);
  }
  return byEntry;
}

let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm();
  mkdirSync(dir, { recursive: true });
});
afterAll(() => mock.close());

async function run(name: string, code: string): Promise<string> {
  const file = resolve(dir, `${name}.mts`);
  writeFileSync(file, code);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    timeout: 60_000,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: resolve(root, 'tsconfig.json'),
      OPENAI_API_KEY: 'test',
      OPENAI_BASE_URL: `${mock.url}/v1`,
      ANTHROPIC_API_KEY: 'test',
      ANTHROPIC_BASE_URL: mock.url,
    },
  });
  return stdout;
}

describe('README: Instrument your agent', () => {
  const blocks = snippets();

  it('has one example per SDK', () => {
    expect([...blocks.keys()].sort()).toEqual(['ai-sdk', 'anthropic', 'mcp', 'openai']);
  });

  it('AI SDK: an agent loop with a tool, two requests and their tokens', async () => {
    mock.queue({ toolCall: { name: 'weather', args: { city: 'Oslo' } } }, { pieces: ['Sunny, 21 C'] });
    const out = await run('ai-sdk', blocks.get('ai-sdk')!);
    expect(out).toContain('Sunny, 21 C\n');
    expect(out).toContain('victor_provider_requests_total{provider="openai"} 2\n');
    expect(out).toContain(
      `victor_provider_tokens_total{provider="openai",model="gpt-4o-mini",type="input"} ${2 * DEFAULT_USAGE.input}\n`,
    );
    expect(out).toContain('victor_tool_executions_total{tool="weather",status="success"} 1\n');
  }, 90_000);

  it('OpenAI: a stream with its usage and time to first chunk', async () => {
    const out = await run('openai', blocks.get('openai')!);
    expect(out).toContain('Hello there\n');
    expect(out).toContain('victor_provider_requests_total{provider="openai"} 1\n');
    expect(out).toContain(
      `victor_provider_tokens_total{provider="openai",model="gpt-4o-mini",type="output"} ${DEFAULT_USAGE.output}\n`,
    );
    expect(out).toContain('victor_provider_time_to_first_chunk_ms_count{provider="openai"} 1\n');
  }, 90_000);

  it('Anthropic: a message with its usage', async () => {
    const out = await run('anthropic', blocks.get('anthropic')!);
    expect(out).toContain('victor_provider_requests_total{provider="anthropic"} 1\n');
    expect(out).toContain(
      `victor_provider_tokens_total{provider="anthropic",model="claude-sonnet-4-5",type="cached_input"} ${DEFAULT_USAGE.cachedInput}\n`,
    );
  }, 90_000);

  it('MCP: an isError result is a failed tool execution', async () => {
    const out = await run('mcp', blocks.get('mcp')!);
    expect(out).toContain('true\n');
    expect(out).toContain('victor_tool_executions_total{tool="read_file",status="failure"} 1\n');
    expect(out).toContain('victor_provider_requests_total{provider="mcp-files"} 1\n');
  }, 90_000);
});
