/**
 * One /metrics for prom-client and victor-perf: the README's "Alongside prom-client" section, verbatim
 * (test/package/readme.test.ts runs it).   PORT=9464 npx tsx examples/prom-client.ts
 */
import http from 'node:http';
import client from 'prom-client';
import { PROMETHEUS_CONTENT_TYPE, combinedMetrics, getPerformanceCollector } from 'victor-perf';

client.collectDefaultMetrics(); // process_*, nodejs_*: our own process series step aside below
const collector = getPerformanceCollector();

export const server = http.createServer(async (req, res) => {
  if (req.url !== '/metrics') return void res.writeHead(404).end();
  try {
    const body = await combinedMetrics(collector, client.register, { omitProcessMetrics: true });
    res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(body);
  } catch (err) {
    res.writeHead(500).end(String(err)); // e.g. a metric name both sides expose
  }
});
server.listen(Number(process.env.PORT ?? 9464), '127.0.0.1');
