// The root entry bundled with esbuild into one ESM file with no help (no banner, nothing external).
import { PerformanceMetricsCollector, ToolExecutionMonitor, VERSION } from 'victor-perf';

const tools = new ToolExecutionMonitor();
tools.record('bundled', 3, true);
const text = new PerformanceMetricsCollector().registerToolExecution(tools).exportPrometheus();
console.log(JSON.stringify({ version: VERSION, bundled: text.includes('tool="bundled"') }));
