/**
 * `npm run loadtest`: the standalone server under load on loopback, next to a bare Fastify route serving the
 * same body, in one run (ratios, not absolute numbers: the machine is shared and noisy). A demo workload
 * records into the collector the whole time, as an agent would.
 *
 *   npm run loadtest                         summary, /metrics and history vs the bare route (5 s each)
 *   npm run loadtest -- --duration 10        seconds per target
 *   npm run loadtest -- --soak               10 min: workload + a scrape every second + a dashboard stream,
 *   npm run loadtest -- --soak --duration 60    then the RSS and heap slope (a shorter run with --duration)
 *
 * Everything binds 127.0.0.1 on ephemeral ports and stops by itself.
 */
import http from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { PerformanceMetricsCollector } from '../src/collector/collector.ts';
import { startWorkload } from '../src/demo/workload.ts';
import { createServer } from '../src/server/server.ts';

const args = process.argv.slice(2);
const soak = args.includes('--soak');
const durationArg = args.indexOf('--duration');
const seconds = durationArg >= 0 ? Number(args[durationArg + 1]) : soak ? 600 : 5;
if (!(seconds > 0 && seconds <= 3600)) {
  console.error(`--duration must be a number of seconds from 1 to 3600, got ${args[durationArg + 1]}`);
  process.exit(2);
}
const CONNECTIONS = 20;

interface Result {
  name: string;
  rps: number;
  p99: number;
  errors: number;
}

async function load(name: string, url: string, duration: number): Promise<Result> {
  // The load comes from a worker thread, so it does not compete with the server for the event loop.
  const r = await autocannon({ url, connections: CONNECTIONS, duration, workers: 1 });
  return { name, rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

const collector = new PerformanceMetricsCollector();
const workload = startWorkload({ collector, seed: 7 });
const server = createServer({ collector, port: 0, history: { resolutionMs: 1000 } });
const base = await server.start();
// Let the workload fill every category and the history take a few samples.
await new Promise((r) => setTimeout(r, 3000));

const summaryBody = await get(`${base}/api/performance/summary`);
const bare = Fastify();
bare.get('/bare', (_req, reply) => {
  void reply.header('content-type', 'application/json; charset=utf-8').send(summaryBody);
});
const bareBase = await bare.listen({ host: '127.0.0.1', port: 0 });

try {
  if (!soak) {
    const results: Result[] = [];
    for (const [name, url] of [
      ['bare Fastify route (same body)', `${bareBase}/bare`],
      ['/api/performance/summary', `${base}/api/performance/summary`],
      ['/metrics', `${base}/metrics`],
      ['/dashboard/api/history', `${base}/dashboard/api/history?from=0`],
    ] as const) {
      await load(name, url, 1); // warm-up: JIT and connections, not measured
      results.push(await load(name, url, seconds));
    }
    const floor = results[0]!.rps;
    console.log(
      `\n${CONNECTIONS} connections, ${seconds} s per target, demo workload recording; summary body ${summaryBody.length} bytes\n`,
    );
    console.log(
      `${'target'.padEnd(34)}${'req/s'.padStart(10)}${'p99 ms'.padStart(9)}${'vs bare'.padStart(9)}`,
    );
    for (const r of results) {
      const ratio = (r.rps / floor).toFixed(2) + 'x';
      console.log(
        `${r.name.padEnd(34)}${r.rps.toFixed(0).padStart(10)}${r.p99.toFixed(1).padStart(9)}${ratio.padStart(9)}` +
          (r.errors > 0 ? `  (${r.errors} errors)` : ''),
      );
    }
    const summaryRatio = results[1]!.rps / floor;
    console.log(`\nsummary / bare route: ${summaryRatio.toFixed(2)}x (target >= 0.5x)`);
  } else {
    await runSoak();
  }
} finally {
  workload.stop();
  await bare.close();
  await server.close();
}

async function runSoak(): Promise<void> {
  const end = Date.now() + seconds * 1000;
  // A dashboard client: the live stream, read and dropped as a browser would.
  const stream = http.get(`${base}/dashboard/api/stream`, (res) => res.resume());
  stream.on('error', () => {});
  const samples: Array<{ t: number; rss: number; heap: number }> = [];
  // Heap read after a full GC, so the slope shows what is kept, not the garbage of the moment.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const take = (): void => {
    gc();
    const m = process.memoryUsage();
    samples.push({ t: (Date.now() - (end - seconds * 1000)) / 60_000, rss: m.rss, heap: m.heapUsed });
  };
  let scrapes = 0;
  let failures = 0;
  take();
  while (Date.now() < end) {
    const started = Date.now();
    try {
      await get(`${base}/metrics`);
      await get(`${base}/api/performance/summary`);
      scrapes++;
    } catch {
      failures++;
    }
    if (scrapes % 5 === 0) take();
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
  }
  take();
  stream.destroy();
  // Slope over the second half: the first minutes hold warm-up (JIT, history rings filling).
  const half = samples.slice(Math.floor(samples.length / 2));
  const slope = (key: 'rss' | 'heap'): number => {
    const n = half.length;
    const mt = half.reduce((a, s) => a + s.t, 0) / n;
    const mv = half.reduce((a, s) => a + s[key], 0) / n;
    let num = 0;
    let den = 0;
    for (const s of half) {
      num += (s.t - mt) * (s[key] - mv);
      den += (s.t - mt) ** 2;
    }
    return den === 0 ? 0 : num / den / (1024 * 1024);
  };
  const last = samples.at(-1)!;
  console.log(`\nsoak: ${seconds} s, workload + a scrape and a summary every second + a dashboard stream`);
  console.log(`scrapes ${scrapes}, failed ${failures}`);
  console.log(
    `RSS  ${(last.rss / 1048576).toFixed(1)} MiB, slope over the second half ${slope('rss').toFixed(2)} MiB/min`,
  );
  console.log(
    `heap ${(last.heap / 1048576).toFixed(1)} MiB, slope over the second half ${slope('heap').toFixed(2)} MiB/min`,
  );
}
