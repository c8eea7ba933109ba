/**
 * `demo` and `serve`: start the server (and, for demo, the demo workload), print where it is, and run
 * until SIGINT or SIGTERM; then stop accepting, end the dashboard's live streams, let requests in flight
 * finish (up to --shutdown-timeout), stop the workload and return 0.
 */
import { PerformanceMetricsCollector } from '../collector/collector.ts';
import { resolveToken } from '../api/auth.ts';
import { ExposureError, createServer, type PerformanceServer } from '../server/server.ts';
import { startWorkload, type Workload } from '../demo/workload.ts';
import { SystemMonitor } from '../sources/system.ts';
import { MonitoringConfigError, loadMonitoringConfig, type MonitoringConfig } from '../monitoring/config.ts';
import { collectorHealthOptions } from '../monitoring/promql.ts';
import type { DemoArgs, ServerArgs } from './args.ts';

export interface CliIO {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves with the signal that asks the process to stop. */
  untilSignal(): Promise<string>;
}

/** Waits for the first SIGINT or SIGTERM; a second one while shutting down exits at once. */
export function untilProcessSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function banner(io: CliIO, url: string, title: string): void {
  io.out(`victor-perf listening on ${url}`);
  io.out(`  ${title}`);
  io.out(`  dashboard  ${url}/`);
  io.out(`  summary    ${url}/api/performance/summary`);
  io.out(`  metrics    ${url}/metrics`);
  io.out(`  openapi    ${url}/api/performance/openapi.json`);
  io.out('Press Ctrl+C to stop.');
}

/**
 * The collector, with the health score of the monitoring config (`--config`, else the built-in one): the same
 * weights and window as the recording rule generated from it. Undefined after printing why the file is bad.
 */
function configured(
  args: ServerArgs,
  io: CliIO,
): { collector: PerformanceMetricsCollector; monitoring?: MonitoringConfig } | undefined {
  if (args.configFile === undefined)
    return { collector: new PerformanceMetricsCollector({ units: args.units ?? 'seed' }) };
  let monitoring: MonitoringConfig;
  try {
    monitoring = loadMonitoringConfig(args.configFile);
  } catch (err) {
    if (!(err instanceof MonitoringConfigError)) throw err;
    io.err(`victor-perf: ${err.message}`);
    return undefined;
  }
  // One naming mode for the exposition and the queries read over it: --units wins over the config's.
  if (args.units !== undefined && args.units !== monitoring.units)
    monitoring = { ...monitoring, units: args.units };
  const collector = new PerformanceMetricsCollector({
    units: monitoring.units,
    prefix: monitoring.prefix,
    health: collectorHealthOptions(monitoring),
  });
  return { collector, monitoring };
}

interface Lifecycle {
  collector: PerformanceMetricsCollector;
  monitoring?: MonitoringConfig | undefined;
  ready?: () => boolean;
  /** The banner's description of the workload; awaited once the server listens. */
  title: string | Promise<string>;
  cleanup(): void;
}

async function runServer(args: ServerArgs, io: CliIO, life: Lifecycle): Promise<number> {
  let token: string | undefined;
  try {
    token = resolveToken({ tokenFile: args.tokenFile, env: io.env });
  } catch (err) {
    life.cleanup();
    io.err(`victor-perf: ${(err as Error).message}`);
    return 2;
  }
  const { host } = args;
  let server: PerformanceServer;
  try {
    server = createServer({
      collector: life.collector,
      host,
      port: args.port,
      token,
      allowUnauthenticated: args.allowUnauthenticated,
      allowedHosts: args.allowedHosts,
      shutdownTimeoutMs: args.shutdownTimeoutMs,
      prometheusUrl: args.prometheusUrl,
      alertWebhooks: args.alertWebhooks,
      ...(args.historyMaxSeries === undefined ? {} : { history: { maxSeries: args.historyMaxSeries } }),
      monitoring: life.monitoring,
      ready: life.ready,
      warn: io.err,
    });
  } catch (err) {
    life.cleanup();
    if (!(err instanceof ExposureError)) throw err;
    io.err(`victor-perf: ${err.message}`);
    return 2;
  }
  const stopping = io.untilSignal();
  let url: string;
  try {
    url = await server.start();
  } catch (err) {
    life.cleanup();
    await server.close().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the port is in use (try --port 0)' : e.message;
    io.err(`victor-perf: cannot listen on ${host}:${args.port}: ${why}`);
    return 1;
  }
  banner(io, url, await life.title);
  const signal = await stopping;
  io.out(`${signal}: shutting down (requests in flight get up to ${args.shutdownTimeoutMs / 1000} s)`);
  await server.close();
  life.cleanup();
  return 0;
}

export async function demoCommand(args: DemoArgs, io: CliIO): Promise<number> {
  const setup = configured(args, io);
  if (!setup) return 2;
  const { collector, monitoring } = setup;
  const workload: Workload = startWorkload({
    collector,
    scenario: args.scenario,
    seed: args.seed,
    memoryCapBytes: args.memoryCapMb === undefined ? undefined : args.memoryCapMb * 1024 * 1024,
    ...(args.scenarioSeconds === undefined ? {} : { scenarioSeconds: args.scenarioSeconds }),
    llm: args.llm,
    log: (line) => io.err(line),
  });
  // The banner says which workload runs: the SDKs are looked for in the third bootstrap phase, while the
  // server already listens (not ready until start-up is done).
  const title = workload.llmReady.then((llm) => {
    const what =
      llm === 'agent'
        ? `AI SDK agent workload against the mock model server at ${workload.agent!.url}`
        : 'simulated agent workload';
    return `${what}: scenario ${workload.scenario}, seed ${args.seed}`;
  });
  return runServer(args, io, {
    collector,
    monitoring,
    ready: () => workload.ready,
    title,
    cleanup: () => void workload.stop().catch(() => {}),
  });
}

export async function serveCommand(args: ServerArgs, io: CliIO): Promise<number> {
  const setup = configured(args, io);
  if (!setup) return 2;
  const { collector, monitoring } = setup;
  const system = new SystemMonitor();
  collector.registerSystem(system);
  return runServer(args, io, {
    collector,
    monitoring,
    title: 'this process: system metrics (register components through the library to see more)',
    cleanup: () => system.close(),
  });
}
