/**
 * Command-line parsing with node:util parseArgs (strict), and the help texts. Every mistake becomes a
 * UsageError whose message fits on one line; main turns it into exit code 2.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SCENARIO_DESCRIPTIONS, SCENARIOS, isScenario, type ScenarioName } from '../demo/scenarios.ts';
import { UNITS_MODES, type Units } from '../metrics/catalog.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const COMMANDS = ['demo', 'serve', 'generate', 'stack', 'alerts-log', 'alerts', 'capacity'] as const;
export type Command = (typeof COMMANDS)[number];

export const MAIN_HELP = `victor-perf: performance monitoring for AI agent runtimes

Usage: victor-perf <command> [options]

Commands:
  demo       Serve the API, Prometheus metrics and dashboard with a demo agent workload
  serve      Serve the API, Prometheus metrics and dashboard for this process (no simulated workload)
  generate   Generate alert rules, recording rules, the Grafana dashboard and manifests
  stack      Run a local Prometheus and Alertmanager against victor-perf servers (or a demo)
  alerts-log Receive Alertmanager notifications and print them
  alerts     Evaluate the alert rules offline on a promtool test file (alerts eval)
  capacity   Series and samples per second for N processes, from the metric catalog

Run 'victor-perf <command> --help' for the options of a command.
`;

const SERVER_OPTIONS_HELP = `  --host <address>         Address to bind (default $VICTOR_PERF_HOST if set, else 127.0.0.1). Anything
                           but loopback needs a token (in a container: VICTOR_PERF_HOST=0.0.0.0 and a
                           token) or --allow-unauthenticated
  --port <n>               Port (default 8000; 0 picks a free one)
  --token-file <path>      Require 'Authorization: Bearer <token>' on the API, /metrics and the dashboard,
                           token read from this file (default: $VICTOR_PERF_TOKEN if set; else no token)
  --allow-unauthenticated  Listen on a non-loopback address without a token (something else protects it)
  --allowed-hosts <names>  Comma-separated host names accepted besides loopback ones on a loopback bind
                           (the name a reverse proxy forwards; .example.com takes its subdomains; * any)
  --shutdown-timeout <s>   On SIGTERM/SIGINT, how long requests in flight may take to finish (default 10)
  --prometheus-url <url>   The dashboard reads from this Prometheus instead of in-process history
  --alert-webhook <url>    Send the in-process alerts to this Alertmanager-compatible webhook (repeatable)
  --history-max-series <n> Series the dashboard's in-process history keeps at most (default 1024); past it,
                           new series are not stored and the page says how many
  --units <seed|base>      Metric names: seed (default) keeps the description's (_ms, _mb, CPU percent); base
                           uses seconds and bytes (pair with the rules of 'generate --units base'); without
                           it, the --config file's units
  --config <file>          Monitoring config (YAML or JSON, as for generate): thresholds of the in-process
                           alerts, the health score's weights and rate window (health_score), units
  -h, --help               Show this help`;

export const DEMO_HELP = `Usage: victor-perf demo [options]

Starts the server with a demo agent and prints the URLs. Ctrl+C (SIGINT) or SIGTERM stops it. The agent is
an AI SDK agent loop (generateText and streamText with tools, several steps) against a mock model server on
loopback playing three providers, measured through victor-perf/ai-sdk; its tool selection cache, selector,
bootstrap and lazy loads are simulated. Without the ai and @ai-sdk/openai-compatible packages (development
dependencies, not the library's), it says so in one line and runs the simulated workload.

Options:
${SERVER_OPTIONS_HELP}
  --scenario <name>        Workload scenario (default normal):
${SCENARIOS.map((s) => `                             ${s.padEnd(18)} ${SCENARIO_DESCRIPTIONS[s]}`).join('\n')}
  --seed <n>               Random seed (default 42): the same seed replays the same workload
  --memory-cap-mb <n>      memory-pressure: resident memory to grow to, in MiB (default 1229)
  --scenario-duration <s>  End the scenario after this many seconds and go back to normal (default: never),
                           so that the alerts it fired can be seen to resolve
  --simulated              Drive providers and tools by hand calls instead of the AI SDK agent
  --agent                  The AI SDK agent (the default; kept for older command lines)
`;

export const SERVE_HELP = `Usage: victor-perf serve [options]

Starts the server for this process with nothing simulated: system metrics are live, the other categories
stay empty. To serve your own components, embed the server in your app (see examples/serve-own-components.ts).

Options:
${SERVER_OPTIONS_HELP}
`;

export interface ServerArgs {
  host: string;
  port: number;
  tokenFile: string | undefined;
  prometheusUrl: string | undefined;
  allowUnauthenticated: boolean;
  /** undefined: the default for the bind address. */
  allowedHosts: string[] | 'any' | undefined;
  shutdownTimeoutMs: number;
  /** Local mode: Alertmanager-compatible webhooks the in-process alerts are sent to. */
  alertWebhooks: string[];
  /**
   * Naming mode of the exposition (and of the dashboard's and local alerts' queries); undefined without
   * `--units`: the config's `units` with `--config`, else seed.
   */
  units: Units | undefined;
  /** Series cap of the dashboard's in-process history (undefined: its default). */
  historyMaxSeries: number | undefined;
  /** Monitoring config file (default: the built-in config). */
  configFile: string | undefined;
}

export interface DemoArgs extends ServerArgs {
  scenario: ScenarioName;
  seed: number;
  memoryCapMb: number | undefined;
  scenarioSeconds: number | undefined;
  /** `agent`: the AI SDK agent against the loopback mock model server; `simulated`: hand calls. */
  llm: 'agent' | 'simulated';
}

const serverOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  'token-file': { type: 'string' },
  'prometheus-url': { type: 'string' },
  'alert-webhook': { type: 'string', multiple: true },
  'allow-unauthenticated': { type: 'boolean' },
  'allowed-hosts': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  units: { type: 'string' },
  'history-max-series': { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const demoOptions = {
  ...serverOptions,
  scenario: { type: 'string' },
  seed: { type: 'string' },
  'memory-cap-mb': { type: 'string' },
  'scenario-duration': { type: 'string' },
  agent: { type: 'boolean' },
  simulated: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

type Parsed<O extends ParseArgsConfig['options']> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>
>;

/** parseArgs's messages run over several sentences; keep the first, on one line. */
export function parse<O extends ParseArgsConfig['options']>(argv: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    const e = err as { code?: string; message: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (unknown) throw new UsageError(`unknown option ${unknown[1]}`);
    const positional = /Unexpected argument '([^']+)'/.exec(e.message);
    if (positional) throw new UsageError(`unexpected argument ${positional[1]}`);
    throw new UsageError(
      e.message
        .replace(/\s+/g, ' ')
        .split(/\. (?=[A-Z])/)[0]!
        .replace(/\.$/, ''),
    );
  }
}

export function integer(flag: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

type ServerValues = {
  [K in keyof typeof serverOptions]?: K extends 'help' | 'allow-unauthenticated'
    ? boolean
    : K extends 'alert-webhook'
      ? string[]
      : string;
};

function allowedHosts(value: string | undefined): string[] | 'any' | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.includes('*')) return 'any';
  if (names.length === 0 || names.some((n) => !/^\.?[A-Za-z0-9.:_[\]-]+$/.test(n))) {
    throw new UsageError(`--allowed-hosts must be comma-separated host names, got ${JSON.stringify(value)}`);
  }
  return names;
}

/** Lets a container image or pod spec bind beyond loopback without changing the command line. */
export const HOST_ENV = 'VICTOR_PERF_HOST';

function serverArgs(v: ServerValues, env: NodeJS.ProcessEnv): ServerArgs {
  const host = v.host ?? (env[HOST_ENV]?.trim() || '127.0.0.1');
  if (host.trim() === '') throw new UsageError('--host must not be empty');
  let prometheusUrl: string | undefined;
  if (v['prometheus-url'] !== undefined) {
    let url: URL;
    try {
      url = new URL(v['prometheus-url']);
    } catch {
      throw new UsageError(`--prometheus-url is not a URL: ${JSON.stringify(v['prometheus-url'])}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--prometheus-url must be http or https, got ${url.protocol}`);
    }
    prometheusUrl = v['prometheus-url'];
  }
  const alertWebhooks = v['alert-webhook'] ?? [];
  for (const hook of alertWebhooks) {
    if (!/^https?:\/\/[^/]/.test(hook) || !URL.canParse(hook)) {
      throw new UsageError(`--alert-webhook must be an http(s) URL, got ${JSON.stringify(hook)}`);
    }
  }
  if (alertWebhooks.length > 0 && prometheusUrl) {
    throw new UsageError(
      '--alert-webhook sends the in-process alerts: with --prometheus-url, Alertmanager does',
    );
  }
  const units = v.units;
  if (units !== undefined && !(UNITS_MODES as readonly string[]).includes(units)) {
    throw new UsageError(`--units must be seed or base, got ${JSON.stringify(units)}`);
  }
  if (v.config !== undefined && v.config.trim() === '') throw new UsageError('--config must name a file');
  return {
    alertWebhooks,
    units: units as Units | undefined,
    historyMaxSeries:
      v['history-max-series'] === undefined
        ? undefined
        : integer('history-max-series', v['history-max-series'], 1, 1_000_000),
    configFile: v.config,
    host,
    port: v.port === undefined ? 8000 : integer('port', v.port, 0, 65535),
    tokenFile: v['token-file'],
    prometheusUrl,
    allowUnauthenticated: v['allow-unauthenticated'] === true,
    allowedHosts: allowedHosts(v['allowed-hosts']),
    shutdownTimeoutMs:
      v['shutdown-timeout'] === undefined
        ? 10_000
        : integer('shutdown-timeout', v['shutdown-timeout'], 0, 3600) * 1000,
  };
}

/** Parsed `demo` arguments, or 'help'. */
export function parseDemoArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DemoArgs | 'help' {
  const { values } = parse(argv, demoOptions);
  if (values.help) return 'help';
  const scenario = values.scenario ?? 'normal';
  if (!isScenario(scenario)) {
    throw new UsageError(`unknown scenario ${JSON.stringify(scenario)}; scenarios: ${SCENARIOS.join(', ')}`);
  }
  const mb = values['memory-cap-mb'];
  if (values.agent && values.simulated) throw new UsageError('--agent and --simulated exclude each other');
  return {
    ...serverArgs(values, env),
    scenario,
    seed: values.seed === undefined ? 42 : integer('seed', values.seed, 0, 2 ** 32 - 1),
    memoryCapMb: mb === undefined ? undefined : integer('memory-cap-mb', mb, 64, 1024 * 1024),
    scenarioSeconds:
      values['scenario-duration'] === undefined
        ? undefined
        : integer('scenario-duration', values['scenario-duration'], 1, 7 * 24 * 3600),
    llm: values.simulated ? 'simulated' : 'agent',
  };
}

/** Parsed `serve` arguments, or 'help'. */
export function parseServeArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerArgs | 'help' {
  const { values } = parse(argv, serverOptions);
  return values.help ? 'help' : serverArgs(values, env);
}

export function isCommand(name: string): name is Command {
  return (COMMANDS as readonly string[]).includes(name);
}
