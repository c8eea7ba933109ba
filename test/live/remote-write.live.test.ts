/**
 * remote_write end to end with real Prometheus servers: Prometheus A scrapes a real victor-perf server (the
 * demo) on loopback, records the per-cluster series, and remote_writes them with the generated block (basic
 * auth, the password read from a file laid out as the mounted Secret gives it, per-cluster series only) to
 * Prometheus B, a receiver (`--web.enable-remote-write-receiver`). B cannot check credentials on the write
 * endpoint, so a small proxy in front of it does: it forwards only requests with the right Authorization
 * header. B then answers queries for the per-cluster series, labelled with A's cluster, and holds nothing else.
 */
import { createServer, request, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRecordingDefinitions } from '../../src/monitoring/cluster-rules.ts';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { renderStandalonePrometheusConfig } from '../../src/monitoring/prometheus.ts';
import { RULE_FILE_NAME, renderRuleFile } from '../../src/monitoring/rules.ts';
import { freePort, startProcess, waitReady, type ManagedProcess } from '../../src/stack/proc.ts';
import { finiteValues, promQuery, waitFor } from './helpers.ts';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/victor-perf.js');
const USER = 'victor-perf';

/** A loopback proxy to B's write endpoint that checks basic auth; counts what it accepted and refused. */
interface AuthProxy {
  url: string;
  password: string;
  accepted: number;
  refused: number;
  /** Requests accepted since the last password change. */
  acceptedSinceChange: number;
  server: Server;
}

async function startAuthProxy(target: string, password: string): Promise<AuthProxy> {
  const proxy: AuthProxy = {
    url: '',
    password,
    accepted: 0,
    refused: 0,
    acceptedSinceChange: 0,
    server: createServer((req, res) => {
      const expected = `Basic ${Buffer.from(`${USER}:${proxy.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        proxy.refused++;
        req.resume();
        res.writeHead(401).end('unauthorized\n');
        return;
      }
      proxy.accepted++;
      proxy.acceptedSinceChange++;
      const headers = { ...req.headers };
      delete headers.authorization;
      delete headers.host;
      const upstream = request(`${target}/api/v1/write`, { method: 'POST', headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (err) => res.writeHead(502).end(err.message));
      req.pipe(upstream);
    }),
  };
  await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', r));
  const addr = proxy.server.address();
  proxy.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return proxy;
}

const started: ManagedProcess[] = [];
let dir = '';
let proxy: AuthProxy | undefined;
let receiverUrl = '';
let passwordFile = '';
const config = resolveMonitoringConfig({
  remoteWrite: {
    enabled: true,
    url: 'http://127.0.0.1:1/api/v1/write', // replaced by the proxy's address below
    headers: { 'X-Scope-OrgID': 'agents' },
    auth: { type: 'basic', username: USER },
    // A short deadline so that samples leave within a second (the default batches for 5 s).
    queue: { batchSendDeadline: '1s' },
  },
});
const records = clusterRecordingDefinitions(config).map((d) => d.record);

async function start(name: string, command: string, args: string[], ready: string): Promise<void> {
  const proc = startProcess({ name, command, args });
  started.push(proc);
  await waitReady(proc, ready, 60_000);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'victor-perf-remote-write-'));

  const receiverPort = await freePort();
  receiverUrl = `http://127.0.0.1:${receiverPort}`;
  writeFileSync(join(dir, 'receiver.yml'), 'global: {}\n');
  await start(
    'receiver-prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'receiver.yml')}`,
      `--storage.tsdb.path=${join(dir, 'receiver-data')}`,
      `--web.listen-address=127.0.0.1:${receiverPort}`,
      '--web.enable-remote-write-receiver',
    ],
    `${receiverUrl}/-/ready`,
  );
  proxy = await startAuthProxy(receiverUrl, 'first-password');

  const demoPort = await freePort();
  await start(
    'demo',
    process.execPath,
    [CLI, 'demo', '--port', String(demoPort), '--host', '127.0.0.1', '--seed', '7'],
    `http://127.0.0.1:${demoPort}/readyz`,
  );

  // The Secret as a pod mounts it: a directory named after it, one file per key.
  const secretsDir = join(dir, 'secrets', config.remoteWrite.auth.secretName);
  mkdirSync(secretsDir, { recursive: true });
  passwordFile = join(secretsDir, config.remoteWrite.auth.passwordKey);
  writeFileSync(passwordFile, 'first-password');
  writeFileSync(join(dir, RULE_FILE_NAME), renderRuleFile(config));
  const sending = resolveMonitoringConfig({
    remoteWrite: { ...config.remoteWrite, url: `${proxy.url}/api/v1/write` },
  });
  writeFileSync(
    join(dir, 'prometheus.yml'),
    renderStandalonePrometheusConfig(sending, {
      targets: [`127.0.0.1:${demoPort}`],
      ruleFiles: [join(dir, RULE_FILE_NAME)],
      externalLabels: { cluster: 'edge-a' },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      remoteWriteSecretsDir: secretsDir,
    }),
  );
  const senderPort = await freePort();
  await start(
    'sender-prometheus',
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'sender-data')}`,
      `--web.listen-address=127.0.0.1:${senderPort}`,
    ],
    `http://127.0.0.1:${senderPort}/-/ready`,
  );
}, 120_000);

afterAll(async () => {
  for (const p of started.reverse()) await p.stop();
  await new Promise<void>((r) => (proxy ? proxy.server.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const output = (): string => started.map((p) => `[${p.name}]\n${p.output().slice(-1500)}`).join('\n');

describe('remote_write from a cluster Prometheus to a receiver', () => {
  it('the receiver answers for every per-cluster series, labelled with the sending cluster', async () => {
    let missing: string[] = records;
    await waitFor(
      async () => {
        const found = await promQuery(receiverUrl, 'count by (__name__, cluster) ({__name__=~".+"})');
        const have = new Set(
          found.filter((s) => s.metric.cluster === 'edge-a').map((s) => s.metric.__name__),
        );
        missing = records.filter((r) => !have.has(r));
        return missing.length === 0;
      },
      90_000,
      () =>
        `per-cluster series missing on the receiver: ${missing.join(', ')}; proxy accepted ${proxy?.accepted}, ` +
        `refused ${proxy?.refused}\n${output()}`,
    );
    const executions = records.find((r) => r.includes('tool_executions'))!;
    const rate = await waitFor(
      async () => {
        const v = finiteValues(await promQuery(receiverUrl, `sum(${executions}{cluster="edge-a"})`));
        return v.length > 0 && v[0]! > 0 ? v[0] : undefined;
      },
      30_000,
      () => `${executions} is not above 0 on the receiver`,
    );
    expect(rate).toBeGreaterThan(0);
    // Every write carried the password from the file. (The configured X-Scope-OrgID header is not checked
    // here: Debian's Prometheus build sends no remote_write headers at all, a known defect of that package;
    // the upstream image the manifests run does. remote-write.test.ts checks the header is configured.)
    expect(proxy!.accepted).toBeGreaterThan(0);
    expect(proxy!.refused).toBe(0);
    // The proxy does refuse a write without the password (the check above is not vacuous).
    const anonymous = await fetch(`${proxy!.url}/api/v1/write`, { method: 'POST', body: '' });
    expect(anonymous.status).toBe(401);
    expect(proxy!.refused).toBe(1);
  }, 150_000);

  it('sends only the per-cluster series (the write relabelling keeps nothing else)', async () => {
    const names = await promQuery(receiverUrl, 'count by (__name__) ({__name__=~".+"})');
    const sent = names.map((s) => s.metric.__name__!).sort();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((n) => !records.includes(n))).toEqual([]);
  }, 30_000);

  it('a rotated password file is used without a restart', async () => {
    // The proxy accepts only the new password from now on; Prometheus reads the file on every request.
    proxy!.password = 'second-password';
    proxy!.acceptedSinceChange = 0;
    writeFileSync(passwordFile, 'second-password');
    await waitFor(
      async () => proxy!.acceptedSinceChange > 0,
      60_000,
      () => `no write accepted with the rotated password (refused ${proxy!.refused})\n${output()}`,
    );
  }, 90_000);
});
