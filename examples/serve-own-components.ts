/**
 * An app that measures its own components and serves them: the REST API, /metrics and the dashboard.
 *
 *   npx tsx examples/serve-own-components.ts            # http://127.0.0.1:8000
 *   PORT=0 npx tsx examples/serve-own-components.ts     # any free port
 *
 * The "agent" here is tiny but real: it selects tools for a query (cached), runs them (reading files of
 * this repository), and calls a provider (a local function standing in for an LLM client).
 */
import { readFile, stat } from 'node:fs/promises';
import {
  BootstrapMonitor,
  PerformanceMetricsCollector,
  ProviderPoolMonitor,
  SystemMonitor,
  ToolExecutionMonitor,
  ToolSelectionCache,
  ToolSelectionMonitor,
} from 'victor-perf';
import { createServer, resolveToken } from 'victor-perf/server';

const bootstrap = new BootstrapMonitor();
const collector = new PerformanceMetricsCollector();

// 1. Start-up, in phases. Each phase is timed; the cache settings come from VICTOR_CACHE_* or
//    config/settings.yaml.
const cache = await bootstrap.phase('container_bootstrap', () => ToolSelectionCache.fromEnvironment());
const tools = new ToolExecutionMonitor();
const providers = new ProviderPoolMonitor();
const system = new SystemMonitor();

const readFileTool = tools.wrap('read_file', (path: string) => readFile(path, 'utf8'));
const statTool = tools.wrap('stat', (path: string) => stat(path));
const countLines = tools.wrap('count_lines', (text: string) => text.split('\n').length);

// A stand-in for an LLM client: the pool monitor times it, classifies its errors, keeps its health.
const complete = providers.wrap('local-echo', async (prompt: string) => {
  await new Promise((r) => setTimeout(r, 5 + (prompt.length % 20)));
  return `echo: ${prompt}`;
});

const selector = new ToolSelectionMonitor(
  (query: string) => (query.includes('size') ? ['stat'] : ['read_file', 'count_lines']),
  { cache },
);

await bootstrap.phase('service_registration', () => {
  // 2. Register the components with the collector: one per slot.
  collector
    .registerToolSelectionCache(cache)
    .registerToolSelection(selector)
    .registerToolExecution(tools)
    .registerProviderPool(providers)
    .registerBootstrap(bootstrap)
    .registerSystem(system);
});
await bootstrap.phase('provider_initialization', () => complete('hello'));
bootstrap.complete();

// 3. Serve them. A token (VICTOR_PERF_TOKEN) protects the API and /metrics when set.
const server = createServer({
  collector,
  port: Number(process.env.PORT ?? 8000),
  token: resolveToken(),
});
const url = await server.start();
console.log(`serving ${url}  (summary: ${url}/api/performance/summary, metrics: ${url}/metrics)`);

// The app's own work, measured as it happens.
const files = ['package.json', 'README.md', 'tsconfig.json'];
let n = 0;
const work = setInterval(() => {
  const file = files[n++ % files.length]!;
  const query = n % 4 === 0 ? `size of ${file}` : `lines in ${file}`;
  void (async () => {
    const chosen = await selector.select(query);
    if (chosen.includes('stat')) await statTool(file);
    else countLines(await readFileTool(file));
    await complete(query);
  })().catch((err: unknown) => console.error(err));
}, 200);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    clearInterval(work);
    system.close();
    void server.close();
  });
}
