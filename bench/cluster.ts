/**
 * `npm run bench:cluster`: the cost of one aggregated scrape of the primary for 1, 4 and 16 real `cluster`
 * workers, victor-perf's `aggregateCluster` (collect from every worker over IPC, merge, render) next to
 * prom-client's `AggregatorRegistry.clusterMetrics()` in the same run, over the same data in every worker:
 * 20 tools (executions counter and duration histogram) and 4 providers (requests counter and latency
 * histogram), plus victor-perf's system gauges. Wall time depends on how the OS schedules the workers; the
 * second table adds up the CPU time every process (primary and workers) spent per scrape, which a busy machine
 * disturbs less.
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import client from 'prom-client';
import { PerformanceMetricsCollector } from '../src/collector/collector.ts';
import { aggregateCluster, reportToPrimary } from '../src/cluster/index.ts';
import { EXECUTION_BUCKETS_MS, PROVIDER_BUCKETS_MS } from '../src/metrics/catalog.ts';
import { ProviderPoolMonitor } from '../src/sources/providers.ts';
import { SystemMonitor } from '../src/sources/system.ts';
import { ToolExecutionMonitor } from '../src/sources/tools.ts';
import { benchAsync, lognormal, mulberry32, printTable, type Row } from './harness.ts';

const TOOLS = Array.from({ length: 20 }, (_, i) => `tool_${i}`);
const PROVIDERS = ['openai', 'anthropic', 'local', 'azure'];
const RECORDS = 5000;
const WORKER_COUNTS = [1, 4, 16];

function worker(): void {
  const rand = mulberry32(Number(process.env.BENCH_SEED));
  const tools = new ToolExecutionMonitor();
  const providers = new ProviderPoolMonitor();
  const collector = new PerformanceMetricsCollector()
    .registerToolExecution(tools)
    .registerProviderPool(providers)
    .registerSystem(new SystemMonitor({ eventLoop: false }));
  reportToPrimary(collector, { serveAggregate: false });

  // The same families in prom-client's global registry; constructing an AggregatorRegistry in the worker is
  // what makes it answer the primary.
  new client.AggregatorRegistry();
  const executions = new client.Counter({
    name: 'victor_tool_executions_total',
    help: 'h',
    labelNames: ['tool', 'status'],
  });
  const duration = new client.Histogram({
    name: 'victor_tool_execution_duration_ms',
    help: 'h',
    labelNames: ['tool'],
    buckets: EXECUTION_BUCKETS_MS,
  });
  const requests = new client.Counter({
    name: 'victor_provider_requests_total',
    help: 'h',
    labelNames: ['provider'],
  });
  const latency = new client.Histogram({
    name: 'victor_provider_latency_ms',
    help: 'h',
    labelNames: ['provider'],
    buckets: PROVIDER_BUCKETS_MS,
  });
  for (let i = 0; i < RECORDS; i++) {
    const tool = TOOLS[Math.floor(rand() * TOOLS.length)]!;
    const ms = lognormal(rand, 3, 1);
    const ok = rand() > 0.05;
    tools.record(tool, ms, ok);
    executions.inc({ tool, status: ok ? 'success' : 'failure' });
    duration.observe({ tool }, ms);
    const provider = PROVIDERS[i % PROVIDERS.length]!;
    const pms = lognormal(rand, 6, 0.7);
    providers.record(provider, pms, 'success');
    requests.inc({ provider });
    latency.observe({ provider }, pms);
  }
  // The bench's own question: this process's CPU time so far.
  process.on('message', (m: { benchCpu?: number }) => {
    if (m.benchCpu !== undefined) process.send!({ benchCpuOf: m.benchCpu, usage: process.cpuUsage() });
  });
  process.send!({ benchReady: true });
}

let cpuAsks = 0;
/** CPU time (user + system, microseconds) of the primary and every worker so far. */
async function cpuNow(workers: readonly ClusterWorker[]): Promise<number> {
  const id = ++cpuAsks;
  const replies = workers.map(
    (w) =>
      new Promise<number>((resolve) => {
        const on = (m: { benchCpuOf?: number; usage?: NodeJS.CpuUsage }): void => {
          if (m.benchCpuOf !== id) return;
          w.off('message', on);
          resolve(m.usage!.user + m.usage!.system);
        };
        w.on('message', on);
        w.send({ benchCpu: id });
      }),
  );
  const own = process.cpuUsage();
  return own.user + own.system + (await Promise.all(replies)).reduce((a, b) => a + b, 0);
}

/** CPU time of all processes per call of each case: interleaved rounds of `perRound` calls, median round. */
async function cpuPerCall(
  workers: readonly ClusterWorker[],
  cases: Record<string, () => Promise<unknown>>,
  rounds = 5,
  perRound = 20,
): Promise<Map<string, number>> {
  const samples = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(cases)) {
      const before = await cpuNow(workers);
      for (let i = 0; i < perRound; i++) await fn();
      // The measurement's own round trip is in both cases alike.
      samples.get(name)!.push((await cpuNow(workers)) - before);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return new Map([...samples].map(([k, xs]) => [k, median(xs) / perRound / 1000]));
}

async function primary(): Promise<void> {
  const registry = new client.AggregatorRegistry();
  const rows: Row[] = [];
  const cpuRows: string[] = [];
  for (const n of WORKER_COUNTS) {
    const collector = new PerformanceMetricsCollector();
    const aggregate = aggregateCluster(collector, { timeoutMs: 10_000 });
    const workers = Array.from({ length: n }, (_, i) => cluster.fork({ BENCH_SEED: String(i + 1) }));
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) =>
            w.on('message', (m: { benchReady?: boolean }) => m.benchReady && resolve()),
          ),
      ),
    );
    let ours = '';
    let theirs = '';
    // Warm both paths up (JIT, IPC buffers) past the harness's own few warm-up calls.
    for (let i = 0; i < 30; i++) {
      await aggregate.refresh();
      collector.exportPrometheus();
      await registry.clusterMetrics();
    }
    const cases = {
      'victor-perf aggregateCluster': async () => {
        await aggregate.refresh();
        ours = collector.exportPrometheus();
      },
      'prom-client AggregatorRegistry': async () => {
        theirs = await registry.clusterMetrics();
      },
    };
    const group = `one aggregated scrape, ${n} worker${n === 1 ? '' : 's'}`;
    rows.push(...(await benchAsync(group, cases, { minMs: 1500, rounds: 5 })));
    const cpu = [...(await cpuPerCall(workers, cases))];
    const base = cpu[0]![1];
    cpuRows.push(`\n${group}: CPU of all processes`);
    for (const [name, ms] of cpu) {
      const ratio = ms === base ? 'baseline' : `${(ms / base).toFixed(2)}x ours`;
      cpuRows.push(`  ${name.padEnd(34)} ${`${ms.toFixed(2)} ms`.padStart(12)}/op   ${ratio}`);
    }
    console.log(
      `${n} workers: exposition ${ours.length} bytes (victor-perf), ${theirs.length} bytes (prom-client)`,
    );
    aggregate.close();
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.kill();
          }),
      ),
    );
  }
  printTable(rows);
  console.log(cpuRows.join('\n'));
}

if (cluster.isWorker) worker();
else await primary();
