/**
 * The demo's default workload: the AI SDK agent against the loopback mock model server, measured through the
 * adapter only (what the monitors hold equals what the model server did and the tools ran); the one-line
 * fallback to the simulated workload where the SDK packages are absent; `victor-perf demo` serving the
 * agent's providers, models, tokens, time to first chunk and tools on /metrics and the JSON API.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDemoArgs, UsageError } from '../../src/cli/args.ts';
import { PerformanceMetricsCollector } from '../../src/collector/collector.ts';
import type { PerformanceSnapshot } from '../../src/collector/types.ts';
import { NO_SDK_NOTICE, startAgent, type Agent } from '../../src/demo/agent.ts';
import type { Plan } from '../../src/demo/mock-llm.ts';
import { createRandom } from '../../src/demo/random.ts';
import { NORMAL } from '../../src/demo/scenarios.ts';
import { DEMO_PROVIDERS, DEMO_TOOLS } from '../../src/demo/simulated.ts';
import { startWorkload, type Workload } from '../../src/demo/workload.ts';
import { CATALOG, metricName } from '../../src/metrics/catalog.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { spawnDemo } from './helpers.ts';

const agents: Agent[] = [];
const workloads: Workload[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all([...agents.splice(0), ...workloads.splice(0)].map((a) => a.stop()));
});

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
  seen: () => string = () => '',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} ${seen()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const noSdk = () => Promise.reject(new Error("Cannot find package 'ai'"));

describe('the demo agent', () => {
  it('records exactly what the model server answered and the tools ran, through the AI SDK adapter', async () => {
    const providers = new ProviderPoolMonitor({ failureThreshold: 3, cooldownMs: 5000 });
    const tools = new ToolExecutionMonitor();
    const plans: Array<{ provider: string; stream: boolean; plan: Plan }> = [];
    const executed = new Map<string, number>();
    const agent = (await startAgent({
      providers,
      tools,
      profile: () => NORMAL,
      rnd: createRandom(5),
      execute: async (t) => {
        executed.set(t.name, (executed.get(t.name) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
        return { ok: true };
      },
      onPlan: (request, plan) => plans.push({ provider: request.provider!, stream: request.stream, plan }),
    }))!;
    agents.push(agent);
    expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const RUNS = 12;
    for (let i = 0; i < RUNS; i++) agent.run();
    await waitFor('12 finished runs', () => (agent.runs === RUNS ? true : undefined));
    expect(agent.inFlight).toBe(0);

    // One model request per step: tool-call steps and the answer; every one reached the model server once.
    const s = providers.collect();
    const answered = plans.filter((p) => p.plan.status === undefined && !p.plan.drop);
    expect(s.requests).toEqual({
      total: plans.length,
      successful: answered.length,
      failed: plans.length - answered.length,
    });
    expect(plans.length).toBeGreaterThanOrEqual(2 * RUNS);
    const byModel: Record<string, number> = {};
    for (const p of plans) {
      const model = DEMO_PROVIDERS.find((d) => d.name === p.provider)!.model;
      byModel[model] = (byModel[model] ?? 0) + 1;
    }
    expect(s.requests_by_model).toEqual(byModel);
    expect(s.tokens.input).toBe(answered.reduce((n, p) => n + p.plan.usage!.input, 0));
    expect(s.tokens.output).toBe(answered.reduce((n, p) => n + p.plan.usage!.output, 0));
    expect(s.tokens.cached_input).toBe(answered.reduce((n, p) => n + p.plan.usage!.cachedInput, 0));
    // Time to first chunk: one per streamed answer, never earlier than the server's delay.
    const streamed = answered.filter((p) => p.stream);
    let firstChunks = 0;
    for (const { name } of DEMO_PROVIDERS) {
      const mine = streamed.filter((p) => p.provider === name);
      const h = providers.usage.firstChunk.labels({ provider: name });
      expect(h.count, name).toBe(mine.length);
      if (mine.length > 0) {
        const earliest = Math.min(...mine.map((p) => p.plan.firstChunkDelayMs!));
        expect(h.min, name).toBeGreaterThanOrEqual(earliest - 1);
      }
      firstChunks += h.count;
    }
    expect(firstChunks).toBeGreaterThan(0);
    // Every tool call the model made ran once, measured under its name.
    expect(executed.size).toBeGreaterThan(1);
    for (const [name, n] of executed) expect(tools.toolStats(name)?.total_calls, name).toBe(n);
  });

  it('says so in one line and starts nothing when the SDK packages are absent', async () => {
    const lines: string[] = [];
    const agent = await startAgent({
      providers: new ProviderPoolMonitor(),
      tools: new ToolExecutionMonitor(),
      profile: () => NORMAL,
      rnd: createRandom(1),
      execute: async () => ({}),
      log: (l) => lines.push(l),
      importSdk: noSdk,
    });
    expect(agent).toBeUndefined();
    expect(lines).toEqual([NO_SDK_NOTICE]);
    expect(NO_SDK_NOTICE).not.toContain('\n');
  });

  it('the workload falls back to the simulated providers and tools without the SDK packages', async () => {
    const collector = new PerformanceMetricsCollector();
    const lines: string[] = [];
    const workload = startWorkload({
      collector,
      seed: 3,
      speed: 4,
      importSdk: noSdk,
      log: (l) => lines.push(l),
    });
    workloads.push(workload);
    expect(await workload.llmReady).toBe('simulated');
    expect(workload.agent).toBeUndefined();
    await waitFor('simulated provider requests', () =>
      (collector.getProviderPoolMetrics()?.requests.total ?? 0) > 5 ? true : undefined,
    );
    expect(lines).toEqual([NO_SDK_NOTICE]);
  });

  it('is the default of demo; --simulated runs the hand calls; --agent is still accepted', () => {
    expect(parseDemoArgs([])).toMatchObject({ llm: 'agent' });
    expect(parseDemoArgs(['--agent'])).toMatchObject({ llm: 'agent' });
    expect(parseDemoArgs(['--simulated'])).toMatchObject({ llm: 'simulated' });
    expect(() => parseDemoArgs(['--agent', '--simulated'])).toThrow(UsageError);
  });

  it('victor-perf demo serves the agent: providers, models, tokens, time to first chunk and tools', async () => {
    const { child, stdout, stderr, exited } = spawnDemo(['--port', '0', '--seed', '9']);
    children.push(child);
    const base = await waitFor('the banner', () =>
      stdout().includes('Press Ctrl+C to stop.')
        ? /listening on (http:\/\/\S+)/.exec(stdout())?.[1]
        : undefined,
    );
    expect(stdout()).toMatch(
      /AI SDK agent workload against the mock model server at http:\/\/127\.0\.0\.1:\d+/,
    );
    const providers = DEMO_PROVIDERS.map((p) => p.name);
    let seen = '';
    const summary = await waitFor(
      'every provider, token type, first chunk and six tools in the summary',
      async () => {
        const s = (await (await fetch(`${base}/api/performance/summary`)).json()) as PerformanceSnapshot;
        const p = s.provider_pool!;
        seen = JSON.stringify({
          requests: p.requests_by_model,
          tools: Object.keys(s.tool_execution!.tool_metrics),
        });
        const models = Object.keys(p.requests_by_model).sort();
        return models.length === 3 &&
          p.tokens.input > 0 &&
          p.tokens.output > 0 &&
          p.tokens.cached_input > 0 &&
          (p.time_to_first_chunk_ms.p95 ?? 0) > 0 &&
          Object.keys(s.tool_execution!.tool_metrics).length >= 6
          ? s
          : undefined;
      },
      90_000,
      () => seen,
    );
    expect(Object.keys(summary.provider_pool!.provider_health).sort()).toEqual([...providers].sort());
    expect(Object.keys(summary.provider_pool!.requests_by_model).sort()).toEqual(
      DEMO_PROVIDERS.map((p) => p.model).sort(),
    );
    for (const name of Object.keys(summary.tool_execution!.tool_metrics)) {
      expect(DEMO_TOOLS.map((t) => t.name)).toContain(name);
    }
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const p of DEMO_PROVIDERS) {
      const model = `provider="${p.name}",model="${p.model}"`;
      expect(text).toMatch(new RegExp(`${metricName(CATALOG.providerModelRequests)}\\{${model}\\} [1-9]`));
      expect(text).toMatch(
        new RegExp(`${metricName(CATALOG.providerTokens)}\\{${model},type="input"\\} [1-9]`),
      );
    }
    expect(text).toMatch(
      new RegExp(`${metricName(CATALOG.toolExecutions)}\\{tool="\\w+",status="success"\\} [1-9]`),
    );
    child.kill('SIGTERM');
    expect(await exited, stderr()).toBe(0);
    expect(stderr()).not.toContain('not installed');
  }, 120_000);
});
