// Bundled with esbuild into one file (victor-perf inlined, Fastify left external): the server finds the
// dashboard's files and the version from inside the bundle.
import { PerformanceMetricsCollector, ToolExecutionMonitor, VERSION } from 'victor-perf';
import { createServer } from 'victor-perf/server';

const tools = new ToolExecutionMonitor();
tools.record('bundle', 3, true);
const collector = new PerformanceMetricsCollector().registerToolExecution(tools);
const server = createServer({ collector, port: 0 });
const url = await server.start();
try {
  const page = await fetch(url + '/');
  const html = await page.text();
  const openapi = await (await fetch(url + '/api/performance/openapi.json')).json();
  const metrics = await (await fetch(url + '/metrics')).text();
  console.log(
    JSON.stringify({
      version: VERSION,
      page: page.status,
      uplot: /uplot-[\d.]+\/uPlot\.iife\.min\.js/.test(html),
      openapiVersion: openapi.info.version,
      bundleTool: metrics.includes('tool="bundle"'),
    }),
  );
} finally {
  await server.close();
}
