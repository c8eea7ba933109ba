/**
 * The `victor-perf` command. `run(argv)` returns the exit code: 0 done, 1 failed, 2 usage error (one line on
 * stderr). The file runs itself when it is the entry point: `tsx src/cli/main.ts demo`,
 * `node --import tsx src/cli/main.ts demo`, or `bin/victor-perf.js`, which imports it.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  isCommand,
  MAIN_HELP,
  DEMO_HELP,
  SERVE_HELP,
  parseDemoArgs,
  parseServeArgs,
  UsageError,
} from './args.ts';
import { demoCommand, serveCommand, untilProcessSignal, type CliIO } from './serve.ts';
import { alertsLogCommand, stackCommand } from './stack.ts';
import { alertsCommand } from './alerts.ts';
import { capacityCommand } from './capacity.ts';

export type { CliIO } from './serve.ts';

export const processIO: CliIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  untilSignal: untilProcessSignal,
};

/** The generator lives with the monitoring code; loaded only when asked for. */
async function generate(argv: string[], io: CliIO): Promise<number> {
  let mod: typeof import('../monitoring/cli.ts');
  try {
    mod = await import('../monitoring/cli.ts');
  } catch (err) {
    io.err(`victor-perf generate: the generator could not be loaded (${(err as Error).message})`);
    return 1;
  }
  return mod.main(argv);
}

export async function run(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      (command === undefined ? io.err : io.out)(MAIN_HELP.trimEnd());
      return command === undefined ? 2 : 0;
    }
    if (!isCommand(command)) {
      throw new UsageError(
        command.startsWith('-') ? `unknown option ${command}` : `unknown command ${JSON.stringify(command)}`,
      );
    }
    switch (command) {
      case 'demo': {
        const args = parseDemoArgs(rest, io.env);
        if (args === 'help') return (io.out(DEMO_HELP.trimEnd()), 0);
        return await demoCommand(args, io);
      }
      case 'serve': {
        const args = parseServeArgs(rest, io.env);
        if (args === 'help') return (io.out(SERVE_HELP.trimEnd()), 0);
        return await serveCommand(args, io);
      }
      case 'generate':
        return await generate(rest, io);
      case 'stack':
        return await stackCommand(rest, io);
      case 'alerts-log':
        return await alertsLogCommand(rest, io);
      case 'alerts':
        return await alertsCommand(rest, io);
      case 'capacity':
        return capacityCommand(rest, io);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      const where = command && isCommand(command) ? ` ${command}` : '';
      io.err(`victor-perf${where}: ${err.message} (see victor-perf${where} --help)`);
      return 2;
    }
    throw err;
  }
}

/** True when this module is what node was asked to run (directly, or through the package's bin script). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  const self = fileURLToPath(import.meta.url);
  const bin = fileURLToPath(new URL('../../bin/victor-perf.js', import.meta.url));
  const entry = real(script);
  return entry === real(self) || entry === real(bin);
}

if (isEntry()) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `victor-perf: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
