// A TypeScript consumer under strict settings (module nodenext, exactOptionalPropertyTypes, lib es2022):
// it compiles with zero errors against the published declarations, then runs.
import {
  PerformanceMetricsCollector,
  ProviderPoolMonitor,
  ToolExecutionMonitor,
  ToolSelectionCache,
  type PerformanceSnapshot,
} from 'victor-perf';
import { DEFAULT_MONITORING_CONFIG, buildDashboard } from 'victor-perf/monitoring';
import type { ServerOptions } from 'victor-perf/server';

const tools = new ToolExecutionMonitor({ maxSeries: 50 });
const providers = new ProviderPoolMonitor({ failureThreshold: 3, cooldownMs: 10_000 });
const cache = new ToolSelectionCache<string[]>({ size: 100 });
const collector = new PerformanceMetricsCollector()
  .registerToolExecution(tools)
  .registerProviderPool(providers)
  .registerToolSelectionCache(cache);

const answer: string = await providers.call('local', async () => 'hello');
const upper = tools.wrap('upper', (s: string): string => s.toUpperCase());
const shout = upper(answer);
const snapshot: PerformanceSnapshot = collector.getAllMetrics();
const options: ServerOptions = { collector, port: 0 };
const panels = buildDashboard(DEFAULT_MONITORING_CONFIG).panels.length;

console.log(
  JSON.stringify({
    answer: shout,
    tools: snapshot.tool_execution?.top_tools.map((t) => t.tool) ?? [],
    port: options.port,
    panels: panels > 0,
  }),
);
