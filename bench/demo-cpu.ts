/**
 * CPU cost of the demo workload: the AI SDK agent (default) next to the simulated one, each run in this
 * process for a warm-up and then a measured window, with `process.cpuUsage()` (user + system) over wall time.
 *
 *   npm run bench:demo [-- --seconds 30 --warmup 15]
 */
import { parseArgs } from 'node:util';
import { PerformanceMetricsCollector } from '../src/collector/collector.ts';
import { startWorkload, type LlmWorkload } from '../src/demo/workload.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, warmup: { type: 'string', default: '15' } },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

async function measure(llm: LlmWorkload): Promise<{ cpu: number; requests: number; tools: number }> {
  const collector = new PerformanceMetricsCollector();
  const workload = startWorkload({ collector, seed: 42, llm });
  await workload.started;
  if (workload.llm !== llm) throw new Error(`asked for ${llm}, running ${workload.llm}`);
  await sleep(warmup);
  const before = collector.getAllMetrics();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const after = collector.getAllMetrics();
  await workload.stop();
  return {
    cpu: (cpu.user + cpu.system) / 1000 / wallMs,
    requests: (after.provider_pool!.requests.total - before.provider_pool!.requests.total) / seconds,
    tools: (after.tool_execution!.executions.total - before.tool_execution!.executions.total) / seconds,
  };
}

console.log(`demo workload CPU over ${seconds} s after ${warmup} s of warm-up (share of one core)`);
for (const llm of ['agent', 'simulated'] as const) {
  const r = await measure(llm);
  console.log(
    `${llm.padEnd(9)}  cpu ${(r.cpu * 100).toFixed(1).padStart(5)} %   ` +
      `${r.requests.toFixed(1)} model requests/s   ${r.tools.toFixed(1)} tool executions/s`,
  );
}
