/**
 * `victor-perf alerts eval --input FILE --at DURATION [--config FILE]`: our alert rules evaluated offline on a
 * promtool test file's input, printed as Prometheus' alerts API lists them.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './args.ts';
import type { CliIO } from './serve.ts';

export const ALERTS_HELP = `Usage: victor-perf alerts eval --input <file> --at <duration> [--config <file>]

Evaluates the alert rules (the same definitions as the generated rule file) on the first test of a
'promtool test rules' file: its input_series, sampled every 'interval', evaluated every
'evaluation_interval' (default 1m) from 0 to --at. Prints a JSON array of the active alerts (labels with
alertname, annotations, state pending or firing, activeAt, value), like Prometheus' /api/v1/alerts.

Options:
  --input <file>     promtool test file (YAML)
  --at <duration>    evaluation time, e.g. 10m
  --config <file>    monitoring config (YAML/JSON) the rules are generated from (default: built-in)
  -h, --help         Show this help
`;

export async function alertsCommand(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        input: { type: 'string' },
        at: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const { values, positionals } = parsed;
  if (values.help) return (io.out(ALERTS_HELP.trimEnd()), 0);
  if (positionals[0] !== 'eval' || positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'missing subcommand eval'
        : `unknown subcommand ${JSON.stringify(positionals.join(' '))}`,
    );
  }
  if (!values.input) throw new UsageError('missing --input FILE');
  if (!values.at) throw new UsageError('missing --at DURATION');
  const { loadMonitoringConfig, DEFAULT_MONITORING_CONFIG, MonitoringConfigError } =
    await import('../monitoring/config.ts');
  const { alertsEval, AlertsEvalError } = await import('../monitoring/alerts-eval.ts');
  try {
    const config = values.config ? loadMonitoringConfig(values.config) : DEFAULT_MONITORING_CONFIG;
    io.out(JSON.stringify(alertsEval(config, values.input, values.at), null, 2));
    return 0;
  } catch (err) {
    if (err instanceof AlertsEvalError || err instanceof MonitoringConfigError) {
      io.err(`victor-perf alerts eval: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
