// Plain node, ESM: every entry point loads, and the root measures and exports.
import { PerformanceMetricsCollector, ToolExecutionMonitor, VERSION } from 'victor-perf';
import * as fastify from 'victor-perf/fastify';
import * as monitoring from 'victor-perf/monitoring';
import * as otel from 'victor-perf/otel';
import * as server from 'victor-perf/server';
import * as aiSdk from 'victor-perf/ai-sdk';
import * as openai from 'victor-perf/openai';
import * as anthropic from 'victor-perf/anthropic';
import * as mcp from 'victor-perf/mcp';

const tools = new ToolExecutionMonitor();
const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
const read = tools.wrap('read_file', async (path) => `contents of ${path}`);
const result = await read('a.txt');
const text = collector.exportPrometheus();
console.log(
  JSON.stringify({
    version: VERSION,
    result,
    calls: /victor_tool_executions_total\{tool="read_file",status="success"\} 1/.test(text),
    entries: {
      fastify: typeof fastify.performanceRoutes,
      monitoring: typeof monitoring.buildDashboard,
      otel: typeof otel.createMetricProducer,
      server: typeof server.createServer,
      aiSdk: typeof aiSdk.performanceMiddleware,
      openai: typeof openai.classifyOpenAIError,
      anthropic: typeof anthropic.classifyAnthropicError,
      mcp: typeof mcp.instrumentMcpClient,
    },
  }),
);
