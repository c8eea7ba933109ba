/**
 * A webhook receiver for Alertmanager: records every notification it is sent, so that alerts can be seen
 * locally without Slack or PagerDuty. `POST /` (or any path) takes Alertmanager's webhook payload (version 4);
 * `GET /alerts` lists what was received, newest last; `GET /healthz` answers ok.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ReceivedAlert {
  receivedAt: string;
  /** The Alertmanager receiver that sent it (its name in the routing tree). */
  receiver: string;
  status: 'firing' | 'resolved';
  alertname: string;
  severity: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

interface WebhookPayload {
  receiver?: unknown;
  alerts?: Array<{
    status?: unknown;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    startsAt?: string;
    endsAt?: string;
  }>;
}

export interface AlertsLog {
  readonly url: string;
  readonly received: ReceivedAlert[];
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const MAX_KEPT = 10_000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`body over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function parseWebhook(body: string, now = new Date()): ReceivedAlert[] {
  const payload = JSON.parse(body) as WebhookPayload;
  if (!payload || !Array.isArray(payload.alerts)) {
    throw new Error('not an Alertmanager webhook payload: no "alerts" array');
  }
  return payload.alerts.map((a) => ({
    receivedAt: now.toISOString(),
    receiver: typeof payload.receiver === 'string' ? payload.receiver : '',
    status: a.status === 'resolved' ? 'resolved' : 'firing',
    alertname: a.labels?.alertname ?? '',
    severity: a.labels?.severity,
    labels: a.labels ?? {},
    annotations: a.annotations ?? {},
    startsAt: a.startsAt ?? '',
    endsAt: a.endsAt ?? '',
  }));
}

export function formatAlert(a: ReceivedAlert): string {
  const summary = a.annotations.summary ? ` - ${a.annotations.summary}` : '';
  return `${a.receivedAt} ${a.status.toUpperCase().padEnd(8)} ${a.alertname} [${a.severity ?? 'none'}] via ${a.receiver}${summary}`;
}

export async function startAlertsLog(
  options: { host?: string; port?: number; onAlert?: (a: ReceivedAlert) => void } = {},
): Promise<AlertsLog> {
  const received: ReceivedAlert[] = [];
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/healthz') return send(200, { status: 'ok' });
    if (req.method === 'GET' && req.url?.startsWith('/alerts')) return send(200, { alerts: received });
    if (req.method !== 'POST')
      return send(405, { error: 'Method Not Allowed', message: 'POST a webhook payload' });
    readBody(req)
      .then((body) => {
        const alerts = parseWebhook(body);
        for (const a of alerts) {
          received.push(a);
          if (received.length > MAX_KEPT) received.shift();
          options.onAlert?.(a);
        }
        send(200, { received: alerts.length });
      })
      .catch((err: unknown) => send(400, { error: 'Bad Request', message: (err as Error).message }));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${host}:${port}/`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
