/**
 * Token protection of the dashboard. A browser's EventSource cannot send an Authorization header, so the
 * dashboard also accepts the token from an HttpOnly, SameSite=Strict cookie, set by opening
 * `/?token=<token>` once (the page then redirects to `/`, dropping the token from the address bar).
 * Bearer headers work too, for scripts. Comparison goes through the API's constant-time matcher.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, tokenMatcher } from '../api/auth.ts';

export const TOKEN_COOKIE = 'victor_perf_token';

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const LOCKED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>victor-perf: token required</title>
<style>body{background:#111217;color:#ccccdc;font:16px system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0}
main{max-width:32rem;padding:2rem}code{background:#22252b;padding:.1rem .3rem;border-radius:3px}</style></head>
<body><main><h1>This dashboard needs its access token</h1>
<p>The server was started with a token. Open <code>/?token=&lt;your token&gt;</code> once; the browser keeps it in a
cookie for this site.</p></main></body></html>`;

/** An onRequest hook for the dashboard's routes. */
export function dashboardGuard(token: string) {
  const matches = tokenMatcher(token);
  return async function checkDashboardToken(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const path = req.url.split('?')[0];
    const query = req.query as Record<string, unknown> | undefined;
    if (path === '/' && typeof query?.token === 'string') {
      if (matches(query.token)) {
        await reply
          .code(303)
          .header(
            'set-cookie',
            `${TOKEN_COOKIE}=${encodeURIComponent(query.token)}; Path=/; HttpOnly; SameSite=Strict`,
          )
          .header('location', '/')
          .send();
        return;
      }
    } else {
      const presented = bearerToken(req.headers.authorization) ?? cookieToken(req.headers.cookie);
      if (presented !== undefined && matches(presented)) return;
    }
    reply.code(401).header('www-authenticate', 'Bearer realm="victor-perf"');
    if (path === '/') await reply.type('text/html; charset=utf-8').send(LOCKED_PAGE);
    else
      await reply.send({
        error: 'Unauthorized',
        message: 'the dashboard needs its token: open /?token=<token>',
      });
  };
}
