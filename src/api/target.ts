/**
 * The request target, normalised once. Routing and the token guard both use the path returned here, so no
 * spelling of a path can reach a route without passing the check that route needs: percent-encoding is
 * decoded exactly once (`%2564` stays `%64`, which matches nothing), `//` and `/./` collapse, `/../` cannot
 * climb above the root, and an absolute-form target (`GET http://x/path`) is reduced to its path, its
 * authority taking the place of the Host header as HTTP requires.
 */

export interface Target {
  /** Decoded, normalised, always starting with `/`; a trailing slash is kept. */
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** The authority of an absolute-form target, which overrides the Host header. */
  authority?: string;
}

export class TargetError extends Error {
  override name = 'TargetError';
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^#]*)/i;

/** Splits and normalises a request target; throws TargetError for one that cannot be a path. */
export function parseTarget(raw: string): Target {
  let rest = raw;
  let authority: string | undefined;
  const absolute = ABSOLUTE_FORM.exec(raw);
  if (absolute) {
    authority = absolute[1]!;
    rest = absolute[2] || '/';
  }
  if (!rest.startsWith('/')) throw new TargetError('the request target must be a path starting with /');
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new TargetError('the path has malformed percent-encoding');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) throw new TargetError('the path contains control characters');
  return { path: normalizePath(decoded), query, ...(authority === undefined ? {} : { authority }) };
}

/** `/a//b/./c/../d/` -> `/a/b/d/`. */
export function normalizePath(decoded: string): string {
  const segments: string[] = [];
  const parts = decoded.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') segments.pop();
    else segments.push(part);
  }
  const last = parts[parts.length - 1];
  const trailing = segments.length > 0 && (last === '' || last === '.' || last === '..');
  return '/' + segments.join('/') + (trailing ? '/' : '');
}

/** A base path as given by a user: `''` or `/x/y` (no trailing slash), validated. */
export function normalizeBasePath(basePath: string | undefined): string {
  if (basePath === undefined || basePath === '' || basePath === '/') return '';
  if (typeof basePath !== 'string' || !basePath.startsWith('/')) {
    throw new TypeError(`basePath must start with /, got ${JSON.stringify(basePath)}`);
  }
  const normal = normalizePath(basePath).replace(/\/$/, '');
  if (normal !== basePath.replace(/\/$/, '') || /[?#%]/.test(basePath)) {
    throw new TypeError(`basePath must be a plain path like /perf, got ${JSON.stringify(basePath)}`);
  }
  return normal;
}
