/**
 * The one guard in front of every route, whoever serves it (createServer, the Fastify plugin, the node and
 * fetch handlers):
 *
 * - Host check. A server bound to loopback answers only requests addressed to a loopback name, so a web page
 *   that rebinds its own DNS name to 127.0.0.1 cannot read it (421 otherwise). Reverse proxies add their
 *   names through `allowedHosts`.
 * - Token. API and scrape paths want `Authorization: Bearer <token>`. The dashboard also accepts a cookie,
 *   because a browser's EventSource cannot send headers; the cookie holds an HMAC of the token, never the
 *   token, so other services on the same host that receive it learn nothing reusable against the API.
 * - Security headers on every answer: a CSP without inline script, no framing, no sniffing, no referrer.
 *
 * Access is decided per route (the route that matched, on the normalised path), never by URL prefix.
 */
import { createHmac } from 'node:crypto';
import { bearerToken, tokenMatcher } from './auth.ts';
import { errorReply, type Reply } from './reply.ts';

/** `open`: anyone; `api`: bearer token; `dashboard`: bearer or cookie; `page`: as dashboard, plus `?token=`. */
export type Access = 'open' | 'api' | 'dashboard' | 'page';

export const SESSION_COOKIE = 'victor_perf_session';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** 127.0.0.0/8, ::1, localhost (with or without brackets or a trailing dot). */
export function isLoopback(host: string): boolean {
  const h = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === '::ffff:127.0.0.1'
  );
}

/** The host name of a Host header or authority (`[::1]:80` -> `::1`, `Example.COM.:80` -> `example.com`). */
export function hostName(authority: string): string {
  const at = authority.lastIndexOf('@');
  const a = at < 0 ? authority : authority.slice(at + 1);
  const name = a.startsWith('[')
    ? a.slice(1, a.indexOf(']') < 0 ? undefined : a.indexOf(']'))
    : a.split(':')[0]!;
  return name.toLowerCase().replace(/\.$/, '');
}

export interface GuardOptions {
  token?: string | undefined;
  /**
   * Host names accepted besides loopback ones (`.example.com` accepts its subdomains too), or `'any'` to
   * skip the check.
   */
  allowedHosts?: readonly string[] | 'any' | undefined;
  /** Where the dashboard lives: the cookie's Path and the target of the login redirect. */
  dashboardPath: string;
}

export interface GuardRequest {
  header(name: string): string | undefined;
  query: URLSearchParams;
  /** The authority of an absolute-form target, which replaces the Host header. */
  authority?: string | undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class Guard {
  readonly protected: boolean;
  readonly #matches: ((presented: string) => boolean) | undefined;
  readonly #session: string | undefined;
  readonly #sessionMatches: ((presented: string) => boolean) | undefined;
  readonly #hosts: { exact: Set<string>; suffixes: string[] } | 'any';
  readonly #dashboardPath: string;

  constructor(options: GuardOptions) {
    const { token, allowedHosts = 'any' } = options;
    this.protected = token !== undefined;
    if (token !== undefined) {
      this.#matches = tokenMatcher(token);
      this.#session = createHmac('sha256', token).update('victor-perf dashboard session').digest('base64url');
      this.#sessionMatches = tokenMatcher(this.#session);
    }
    if (allowedHosts === 'any') this.#hosts = 'any';
    else {
      if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== 'string' || h === '')) {
        throw new TypeError(
          `allowedHosts must be 'any' or a list of host names, got ${JSON.stringify(allowedHosts)}`,
        );
      }
      const names = allowedHosts.map((h) => h.toLowerCase().replace(/\.$/, ''));
      this.#hosts = {
        exact: new Set(names.filter((h) => !h.startsWith('.'))),
        suffixes: names.filter((h) => h.startsWith('.')),
      };
    }
    this.#dashboardPath = options.dashboardPath;
  }

  /** 421 when the request is addressed to a host this server does not answer for; null when it may pass. */
  checkHost(req: GuardRequest): Reply | null {
    if (this.#hosts === 'any') return null;
    const authority = req.authority ?? req.header('host');
    // HTTP/1.0 without Host: not something a browser sends, so not a rebinding vector.
    if (authority === undefined || authority === '') return null;
    const name = hostName(authority);
    if (
      isLoopback(name) ||
      this.#hosts.exact.has(name) ||
      this.#hosts.suffixes.some((s) => name.endsWith(s))
    ) {
      return null;
    }
    return errorReply(
      421,
      `this server does not answer for host ${JSON.stringify(name)}; add it to allowedHosts ` +
        `(--allowed-hosts) when serving behind a proxy`,
    );
  }

  /** The answer for a request lacking access (401, or the login redirect), or null when it may pass. */
  checkAccess(access: Access, req: GuardRequest, locked?: () => Reply): Reply | null {
    if (access === 'open' || !this.protected) return null;
    const bearer = bearerToken(req.header('authorization'));
    if (access === 'api') {
      if (bearer !== undefined && this.#matches!(bearer)) return null;
      return errorReply(
        401,
        bearer === undefined
          ? 'this endpoint needs an Authorization: Bearer <token> header'
          : 'the bearer token is not valid',
        {
          headers: {
            'www-authenticate':
              bearer === undefined
                ? 'Bearer realm="victor-perf"'
                : 'Bearer realm="victor-perf", error="invalid_token"',
          },
        },
      );
    }
    const login = access === 'page' ? req.query.get('token') : null;
    if (login !== null) {
      if (this.#matches!(login)) {
        return {
          status: 303,
          headers: {
            location: this.#dashboardPath,
            'set-cookie': `${SESSION_COOKIE}=${this.#session}; Path=${this.#dashboardPath}; HttpOnly; SameSite=Strict`,
            'cache-control': 'no-store',
          },
        };
      }
    } else {
      if (bearer !== undefined && this.#matches!(bearer)) return null;
      const cookie = cookieValue(req.header('cookie'), SESSION_COOKIE);
      if (cookie !== undefined && this.#sessionMatches!(cookie)) return null;
    }
    const challenge = { 'www-authenticate': 'Bearer realm="victor-perf"' };
    // Browsers get a page explaining how to log in; scripts get the JSON error like everywhere else.
    if (access === 'page' && locked && /\btext\/html\b/.test(req.header('accept') ?? '')) {
      const page = locked();
      return { ...page, status: 401, headers: { ...page.headers, ...challenge } };
    }
    return errorReply(401, `the dashboard needs its token: open ${this.#dashboardPath}?token=<token>`, {
      headers: challenge,
    });
  }
}
