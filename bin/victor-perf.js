#!/usr/bin/env node
// The CLI, in this process: there is no child to forward signals to, SIGTERM and SIGINT reach the server.
// An installed package runs the compiled JavaScript in dist/. A clone, which has src/, runs the TypeScript
// sources through tsx (a dev dependency), so that what runs is always what is checked out.
import { existsSync } from 'node:fs';

// npm (npx, npm exec, npm run) starts a bin through `sh -c`, and passes a SIGTERM on to that shell only: the
// shell exits and we would keep serving, orphaned. So under npm, the parent going away stops us like SIGTERM.
if (process.env.npm_lifecycle_event !== undefined) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  watch.unref();
}

const source = new URL('../src/cli/main.ts', import.meta.url);
try {
  if (existsSync(source)) {
    const { register } = await import('tsx/esm/api');
    register();
    await import(source.href);
  } else {
    await import('../dist/cli/main.js');
  }
} catch (err) {
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && /'(fastify|tsx)'/.exec(err.message)?.[1];
  if (!missing) throw err;
  process.stderr.write(
    missing === 'tsx'
      ? 'victor-perf: running from a clone needs its dev dependencies: run `npm install`\n'
      : 'victor-perf: the server runs on Fastify, an optional peer dependency: run `npm install fastify`\n',
  );
  process.exitCode = 1;
}
