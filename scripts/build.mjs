// Builds dist/ from src/: JavaScript, declarations and source maps (tsc with tsconfig.build.json), then the
// dashboard's static files, which the compiled code reads from next to itself (dist/web/public).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}dist`, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The page's type declarations (page.d.ts) are for the type check only.
cpSync(`${root}src/web/public`, `${root}dist/web/public`, {
  recursive: true,
  filter: (file) => !file.endsWith('.d.ts'),
});
