/**
 * `generate [--config file] [--out dir] [--check]` as a small entry point; the victor-perf CLI delegates to
 * `main`, and `npx tsx src/monitoring/cli.ts generate` works on its own.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { UNITS_MODES, type Units } from '../metrics/catalog.ts';
import { runGenerate } from './generate.ts';

const USAGE = `usage: victor-perf generate [--config file] [--out dir] [--units seed|base] [--check]

Without --out and --units, writes (or with --check, verifies) both sets: the description's names (seed units)
in deployment/kubernetes/monitoring and base units in deployment/base/kubernetes/monitoring. --units picks one
set (metric names in seconds and bytes for a collector created with units: 'base'); --out writes the config's.`;

/** Returns the exit code; messages go to stdout (success) or stderr (failure). */
export function main(argv: readonly string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        out: { type: 'string' },
        units: { type: 'string' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`victor-perf generate: ${(err as Error).message}; see --help\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // `victor-perf generate ...` passes the words after the command; `tsx src/monitoring/cli.ts generate ...` passes it too.
  const words = positionals[0] === 'generate' ? positionals.slice(1) : positionals;
  if (words.length !== 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const units = values.units;
  if (units !== undefined && !(UNITS_MODES as readonly string[]).includes(units)) {
    process.stderr.write(
      `victor-perf generate: --units must be seed or base, got ${JSON.stringify(units)}\n`,
    );
    return 2;
  }
  const result = runGenerate({
    config: values.config,
    out: values.out,
    check: values.check,
    ...(units !== undefined ? { units: units as Units } : {}),
  });
  for (const w of result.warnings ?? []) process.stderr.write(`${w}\n`);
  const stream = result.exitCode === 0 ? process.stdout : process.stderr;
  stream.write(result.messages.join('\n') + '\n');
  return result.exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
