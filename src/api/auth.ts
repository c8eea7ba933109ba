/**
 * Optional bearer-token protection of the API and the scrape path.
 *
 * The presented token and the expected one are both hashed (SHA-256) and the digests compared with
 * `crypto.timingSafeEqual`: equal-length buffers whatever was sent, so the comparison takes the same time
 * whether the first byte or the last one differs, and the token's length does not leak either.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const TOKEN_ENV = 'VICTOR_PERF_TOKEN';

export class TokenError extends Error {
  override name = 'TokenError';
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A checker bound to one expected token: the expected digest is computed once, at construction. */
export function tokenMatcher(expected: string): (presented: string) => boolean {
  if (typeof expected !== 'string' || expected === '' || /\s/.test(expected)) {
    throw new TokenError('the API token must be a non-empty string without whitespace');
  }
  const want = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), want);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * The token to protect the server with: the first line of `tokenFile` when given, else `$VICTOR_PERF_TOKEN`,
 * else undefined (no protection). An empty file is an error: it would silently turn protection off.
 */
export function resolveToken(
  options: { tokenFile?: string; env?: NodeJS.ProcessEnv } = {},
): string | undefined {
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.tokenFile, 'utf8');
    } catch (err) {
      throw new TokenError(`cannot read token file ${options.tokenFile}: ${(err as Error).message}`);
    }
    const token = text.split(/\r?\n/, 1)[0]!.trim();
    if (token === '') throw new TokenError(`token file ${options.tokenFile} is empty`);
    return token;
  }
  const fromEnv = (options.env ?? process.env)[TOKEN_ENV]?.trim();
  return fromEnv ? fromEnv : undefined;
}
