// CommonJS: require() of the ESM package (Node >= 20.19 loads ESM through require).
const { PerformanceMetricsCollector, ToolExecutionMonitor } = require('victor-perf');

const tools = new ToolExecutionMonitor();
tools.record('search', 12, true);
const text = new PerformanceMetricsCollector().registerToolExecution(tools).exportPrometheus();
console.log(
  JSON.stringify({ calls: /victor_tool_executions_total\{tool="search",status="success"\} 1/.test(text) }),
);
