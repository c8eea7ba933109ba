/**
 * Raw HTTP for tests: the request target goes on the wire exactly as written (fetch would normalise it),
 * so encoded, dotted and absolute-form targets reach the server as an attacker would send them.
 */
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function raw(
  url: string,
  target: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path: target,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${options.method ?? 'GET'} ${target}`)));
    req.on('error', reject);
    req.end();
  });
}

/** Asserts the one error shape: `{error, message}` (and `source` on a 503), nothing else. */
export function errorShape(res: RawResponse): { error: string; message: string } {
  const body = JSON.parse(res.body) as Record<string, unknown>;
  const keys = Object.keys(body).sort();
  if (!(keys.join() === 'error,message' || keys.join() === 'error,message,source')) {
    throw new Error(`not the error shape: ${res.body}`);
  }
  if (typeof body.error !== 'string' || typeof body.message !== 'string') throw new Error(res.body);
  return body as { error: string; message: string };
}
