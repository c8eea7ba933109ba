/**
 * `generate [--config file] [--out dir] [--check]` as a small entry point; the victor-perf CLI delegates to
 * `main`, and `npx tsx src/monitoring/cli.ts generate` works on its own.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { runGenerate } from './generate.ts';

const USAGE = 'usage: victor-perf generate [--config file] [--out dir] [--check]';

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
  const result = runGenerate({ config: values.config, out: values.out, check: values.check });
  for (const w of result.warnings ?? []) process.stderr.write(`${w}\n`);
  const stream = result.exitCode === 0 ? process.stdout : process.stderr;
  stream.write(result.messages.join('\n') + '\n');
  return result.exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
