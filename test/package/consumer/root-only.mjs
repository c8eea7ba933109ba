// Imports the root entry with root-hooks.mjs in place: it fails if the root pulls in what it must not.
import { register } from 'node:module';

register('./root-hooks.mjs', import.meta.url);
const { getPerformanceCollector } = await import('victor-perf');
console.log(JSON.stringify({ metrics: typeof getPerformanceCollector().exportPrometheus() }));
