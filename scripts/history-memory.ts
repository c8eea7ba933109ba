/**
 * Measures the built-in dashboard's history memory for the demo's series over 24 h at the default resolution.
 *
 *   npx tsx scripts/history-memory.ts [--resolution-ms 5000] [--retention-h 24]
 *
 * Runs the demo workload until every series it produces exists (providers, all its tools, namespaces),
 * then fills a history with a full retention of samples on a synthetic clock (each sample is a real
 * collection; no waiting), and prints the typed-array bytes and the heap growth.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseArgs } from 'node:util';
import { PerformanceMetricsCollector } from '../src/collector/collector.ts';
import { DEMO_TOOLS } from '../src/demo/simulated.ts';
import { startWorkload } from '../src/demo/workload.ts';
import { DEFAULT_RESOLUTION_MS, DEFAULT_RETENTION_MS, MetricHistory } from '../src/web/history.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const { values } = parseArgs({
  options: { 'resolution-ms': { type: 'string' }, 'retention-h': { type: 'string' } },
});
const resolutionMs = Number(values['resolution-ms'] ?? DEFAULT_RESOLUTION_MS);
const retentionMs = values['retention-h'] ? Number(values['retention-h']) * 3_600_000 : DEFAULT_RETENTION_MS;

// The workload's timers are unref'd; this one keeps the process alive while it warms up.
const keepAlive = setInterval(() => {}, 1000);
const collector = new PerformanceMetricsCollector();
const workload = startWorkload({ collector, seed: 42 });
await workload.started;
// Until every tool of the demo has run (rare ones take a few seconds), so every series exists.
const deadline = Date.now() + 60_000;
do await new Promise((r) => setTimeout(r, 500));
while (
  Object.keys(collector.getToolExecutionMetrics()?.tool_metrics ?? {}).length < DEMO_TOOLS.length &&
  Date.now() < deadline
);
workload.stop();
clearInterval(keepAlive);

const heap = (): number => {
  gc();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
};
const before = heap();
let t = Date.now();
const history = new MetricHistory(collector, { resolutionMs, retentionMs, now: () => t });
const started = performance.now();
for (let i = 0; i < history.capacity; i++) {
  history.sample(t);
  t += resolutionMs;
}
const elapsed = performance.now() - started;
const after = heap();

const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(2)} MiB`;
const series = history.seriesIds().length;
console.log(
  `resolution ${resolutionMs} ms, retention ${retentionMs / 3_600_000} h: ${history.capacity} samples`,
);
console.log(
  `series: ${series} (demo: 3 namespaces, ${Object.keys(collector.getAllMetrics().provider_pool?.provider_health ?? {}).length} providers, ${Object.keys(collector.getAllMetrics().tool_execution?.tool_metrics ?? {}).length} tools)`,
);
console.log(
  `typed arrays (history.memoryBytes()): ${history.memoryBytes()} bytes = ${mib(history.memoryBytes())}`,
);
console.log(`  = (${series} series + timestamps) x ${history.capacity} slots x 8 bytes`);
console.log(`heap + array buffers growth after GC: ${mib(after - before)}`);
console.log(
  `filling took ${(elapsed / 1000).toFixed(1)} s (${((elapsed * 1000) / history.capacity).toFixed(0)} µs per sample)`,
);
