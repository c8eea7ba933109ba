/**
 * The demo's real agent: the AI SDK agent loop against the loopback mock model server, measured through the
 * adapter only; the one-line fallback where the SDK packages are absent; and `victor-perf demo --agent`.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDemoArgs } from '../../src/cli/args.ts';
import { startAgent, type Agent } from '../../src/demo/agent.ts';
import { DEFAULT_USAGE } from '../../src/demo/mock-llm.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { spawnDemo } from './helpers.ts';

const agents: Agent[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the demo agent', () => {
  it('runs generateText and streamText tool loops, every number through the AI SDK adapter', async () => {
    const providers = new ProviderPoolMonitor();
    const tools = new ToolExecutionMonitor();
    const agent = (await startAgent({ providers, tools, intervalMs: 0 }))!;
    agents.push(agent);
    expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await waitFor('two agent runs', () => (agent.runs >= 2 ? true : undefined));
    await agent.stop();
    const runs = agent.runs;
    const streamed = Math.floor(runs / 2); // runs alternate generateText, streamText

    // Two model requests a run: the tool call, then the answer.
    const s = providers.collect();
    expect(s.requests).toEqual({ total: 2 * runs, successful: 2 * runs, failed: 0 });
    expect(s.requests_by_model).toEqual({ 'demo-model': 2 * runs });
    expect(s.tokens.input).toBe(2 * runs * DEFAULT_USAGE.input);
    expect(s.tokens.output).toBe(2 * runs * DEFAULT_USAGE.output);
    // Both steps of a streamText run are streams; the answer's first chunk comes after 40 ms.
    const ttfc = providers.usage.firstChunk.labels({ provider: 'mock' });
    expect(ttfc.count).toBe(2 * streamed);
    expect(ttfc.max).toBeGreaterThanOrEqual(40 - 1);
    expect(tools.toolStats('lookup_docs')).toMatchObject({ total_calls: runs, failed_calls: 0 });
  });

  it('says so in one line and starts nothing when the SDK packages are absent', async () => {
    const lines: string[] = [];
    const agent = await startAgent({
      providers: new ProviderPoolMonitor(),
      tools: new ToolExecutionMonitor(),
      log: (l) => lines.push(l),
      importSdk: () => Promise.reject(new Error("Cannot find package 'ai'")),
    });
    expect(agent).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/AI SDK packages .* not installed; running the simulated workload only/);
  });

  it('is behind demo --agent', () => {
    expect(parseDemoArgs(['--agent'])).toMatchObject({ agent: true });
    expect(parseDemoArgs([])).toMatchObject({ agent: false });
  });

  it("victor-perf demo --agent serves the agent's model, tokens and tools on /metrics", async () => {
    const { child, stdout, stderr, exited } = spawnDemo(['--port', '0', '--agent']);
    children.push(child);
    const base = await waitFor('the banner', () =>
      stdout().includes('Press Ctrl+C to stop.')
        ? /listening on (http:\/\/\S+)/.exec(stdout())?.[1]
        : undefined,
    );
    expect(stdout()).toContain('AI SDK agent against the mock model server at http://127.0.0.1:');
    const text = await waitFor('the agent on /metrics', async () => {
      const body = await (await fetch(`${base}/metrics`)).text();
      return body.includes('victor_provider_time_to_first_chunk_ms_count{provider="mock"}') &&
        /victor_tool_executions_total\{tool="lookup_docs",status="success"\} [1-9]/.test(body)
        ? body
        : undefined;
    });
    expect(text).toMatch(/victor_provider_model_requests_total\{provider="mock",model="demo-model"\} [1-9]/);
    expect(text).toMatch(
      /victor_provider_tokens_total\{provider="mock",model="demo-model",type="input"\} [1-9]/,
    );
    child.kill('SIGTERM');
    expect(await exited, stderr()).toBe(0);
    expect(stderr()).not.toContain('not installed');
  }, 60_000);
});
