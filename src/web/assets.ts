/**
 * The dashboard's static files, read once at start-up and served from memory: the page under ./public and
 * uPlot from node_modules (no CDN: the dashboard works offline).
 *
 * Our own files are served with an ETag and `no-cache` (the browser revalidates and gets a 304 while they are
 * unchanged; ES module imports cannot carry a cache-busting query). uPlot is served under a versioned path
 * and may be cached for a week. Everything is read once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  cacheControl: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export const ASSET_PREFIX = '/dashboard/assets/';

function asset(body: Buffer, file: string, cacheControl: string): Asset {
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
  return { body, type, etag, cacheControl };
}

/**
 * Where the page's files are, and a `require` that resolves uPlot from there. Next to this module in src/ and
 * dist/; when this module is bundled into someone's app, through the installed package (resolved from the
 * bundle, then from the working directory). Throws naming every place it looked.
 */
function locateAssets(): { publicDir: string; require: NodeJS.Require } {
  const here = fileURLToPath(new URL('./public/', import.meta.url));
  if (existsSync(join(here, 'index.html')))
    return { publicDir: here, require: createRequire(import.meta.url) };
  const tried = [here];
  for (const from of [import.meta.url, join(process.cwd(), 'package.json')]) {
    try {
      const manifest = createRequire(from).resolve('victor-perf/package.json');
      const dir = join(dirname(manifest), 'dist', 'web', 'public');
      if (existsSync(join(dir, 'index.html'))) return { publicDir: dir, require: createRequire(manifest) };
      tried.push(dir);
    } catch {
      tried.push(`victor-perf from ${from}`);
    }
  }
  throw new Error(`victor-perf: the dashboard's files were not found (looked in ${tried.join(', ')})`);
}

/** Every asset by URL path, plus the page itself. */
export function loadAssets(): Assets {
  return (loaded ??= readAssets());
}

interface Assets {
  page: Asset;
  files: Map<string, Asset>;
  uplotPath: string;
}
let loaded: Assets | undefined;

function readAssets(): Assets {
  const { publicDir, require } = locateAssets();
  const files = new Map<string, Asset>();
  for (const name of readdirSync(publicDir)) {
    if (name === 'index.html' || !TYPES[extname(name)]) continue;
    files.set(ASSET_PREFIX + name, asset(readFileSync(join(publicDir, name)), name, 'no-cache'));
  }
  const uplotJs = require.resolve('uplot/dist/uPlot.iife.min.js');
  const uplotDir = dirname(uplotJs);
  const version = (
    JSON.parse(readFileSync(join(uplotDir, '..', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const uplotPath = `${ASSET_PREFIX}vendor/uplot-${version}/`;
  const week = 'public, max-age=604800, immutable';
  files.set(uplotPath + 'uPlot.iife.min.js', asset(readFileSync(uplotJs), uplotJs, week));
  files.set(
    uplotPath + 'uPlot.min.css',
    asset(readFileSync(join(uplotDir, 'uPlot.min.css')), 'uPlot.min.css', week),
  );
  // The page refers to its files by relative URLs, so that it works under any base path.
  const html = readFileSync(join(publicDir, 'index.html'), 'utf8').replaceAll(
    '{{UPLOT}}',
    uplotPath.slice(1),
  );
  const page = asset(Buffer.from(html), 'index.html', 'no-cache');
  return { page, files, uplotPath };
}
