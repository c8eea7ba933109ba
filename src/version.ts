/**
 * The package version, as a constant so that it survives any layout (dist/, a consumer's bundle) without
 * reading package.json at run time. `npm version` rewrites it (scripts/sync-version.mjs); a test checks it.
 */
export const VERSION = '0.1.0';
