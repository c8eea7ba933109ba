/**
 * What importing the root entry costs, next to prom-client, in fresh processes (same run, same machine):
 * wall time of the import and the heap and RSS it adds. Runs the built package (dist/, `npm run build` first).
 *
 *   npm run bench:import [-- --runs 15]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(`${root}dist/index.js`)) throw new Error('dist/ is missing: run `npm run build` first');

// The child measures around one dynamic import; gc before each reading (node --expose-gc).
const probe = (specifier: string): string => `
  const { performance } = await import('node:perf_hooks');
  gc(); const h0 = process.memoryUsage().heapUsed, r0 = process.memoryUsage().rss, t0 = performance.now();
  await import(${JSON.stringify(specifier)});
  const ms = performance.now() - t0; gc();
  const m = process.memoryUsage();
  console.log(JSON.stringify({ ms, heap: m.heapUsed - h0, rss: m.rss - r0 }));`;

function measure(specifier: string): { ms: number; heap: number; rss: number } {
  const rows = Array.from({ length: runs }, () => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', probe(specifier)],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    return JSON.parse(out) as { ms: number; heap: number; rss: number };
  });
  const median = (k: 'ms' | 'heap' | 'rss'): number =>
    rows.map((r) => r[k]).sort((a, b) => a - b)[rows.length >> 1]!;
  return { ms: median('ms'), heap: median('heap'), rss: median('rss') };
}

const ours = measure(`${root}dist/index.js`);
const theirs = measure('prom-client');
const mb = (b: number): string => (b / 1048576).toFixed(2);
console.log(`import cost, median of ${runs} fresh processes`);
console.log(`                 time ms   heap MiB   rss MiB`);
for (const [name, r] of [
  ['victor-perf', ours],
  ['prom-client', theirs],
] as const) {
  console.log(
    `${name.padEnd(16)} ${r.ms.toFixed(1).padStart(7)}   ${mb(r.heap).padStart(8)}   ${mb(r.rss).padStart(7)}`,
  );
}
console.log(
  `ratio (ours / prom-client): time ${(ours.ms / theirs.ms).toFixed(2)}x, heap ${(ours.heap / theirs.heap).toFixed(2)}x`,
);
