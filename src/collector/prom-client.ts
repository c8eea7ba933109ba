/**
 * Serving victor-perf next to prom-client from one `/metrics`: our exposition and the text of one or more
 * prom-client registries, in one body. prom-client is not imported: anything with `metrics()` (a Registry,
 * the default `register`) will do.
 *
 * A metric name that both sides expose would make the scrape invalid, so it is an error naming each clash.
 * Where prom-client's `collectDefaultMetrics` already describes the process, `omitProcessMetrics` leaves out
 * our series that say the same thing under other names (PROM_CLIENT_EQUIVALENTS lists them).
 */
import { MetricError } from '../metrics/names.ts';
import { parseExposition } from '../metrics/parse.ts';
import type { PerformanceMetricsCollector } from './collector.ts';

/** A prom-client registry as far as merging goes (`Registry`, or prom-client's default `register`). */
export interface PromClientRegistryLike {
  metrics(): Promise<string> | string;
  readonly contentType?: string;
}

/**
 * Our process-level series (unprefixed) and the `collectDefaultMetrics` series that carry the same reading.
 * The process's threads, CPU count, available memory and event-loop utilization have no counterpart there
 * and are always kept.
 */
export const PROM_CLIENT_EQUIVALENTS: Readonly<Record<string, string>> = Object.freeze({
  system_memory_bytes: 'process_resident_memory_bytes',
  system_memory_mb: 'process_resident_memory_bytes',
  system_cpu_seconds_total: 'process_cpu_seconds_total',
  system_cpu_percent: 'process_cpu_seconds_total (as a rate)',
  system_start_time_seconds: 'process_start_time_seconds',
  system_uptime_seconds: 'process_start_time_seconds (time() minus it)',
  system_heap_used_bytes: 'nodejs_heap_size_used_bytes',
  system_heap_total_bytes: 'nodejs_heap_size_total_bytes',
  system_event_loop_delay_p99_ms: 'nodejs_eventloop_lag_p99_seconds',
});

export interface CombinedMetricsOptions {
  /** Leave out our series that `collectDefaultMetrics` already provides (see PROM_CLIENT_EQUIVALENTS). */
  omitProcessMetrics?: boolean;
}

const OPENMETRICS = /application\/openmetrics-text/;

/**
 * One exposition body: the collector's series, then each registry's. Throws a MetricError naming every
 * metric exposed twice. Serve it with `PROMETHEUS_CONTENT_TYPE`.
 */
export async function combinedMetrics(
  collector: PerformanceMetricsCollector,
  registries: PromClientRegistryLike | readonly PromClientRegistryLike[],
  options: CombinedMetricsOptions = {},
): Promise<string> {
  const list = Array.isArray(registries) ? registries : [registries as PromClientRegistryLike];
  for (const r of list) {
    if (!r || typeof r.metrics !== 'function') {
      throw new TypeError(`combinedMetrics: a registry needs a metrics() method, got ${String(r)}`);
    }
    if (r.contentType && OPENMETRICS.test(r.contentType)) {
      throw new TypeError(
        'combinedMetrics: the registry renders OpenMetrics; use a Prometheus text registry (prom-client default)',
      );
    }
  }
  let ours = collector.exportPrometheus();
  if (options.omitProcessMetrics) {
    ours = withoutFamilies(
      ours,
      new Set(Object.keys(PROM_CLIENT_EQUIVALENTS).map((n) => collector.prefix + n)),
    );
  }
  const theirs = await Promise.all(list.map(async (r) => String(await r.metrics())));
  const owner = new Map<string, string>();
  const clashes: string[] = [];
  const claim = (text: string, who: string): void => {
    for (const f of parseExposition(text)) {
      const first = owner.get(f.name);
      if (first !== undefined) clashes.push(`${f.name} (${first} and ${who})`);
      else owner.set(f.name, who);
    }
  };
  claim(ours, 'victor-perf');
  theirs.forEach((t, i) =>
    claim(t, list.length === 1 ? 'the prom-client registry' : `prom-client registry ${i + 1}`),
  );
  if (clashes.length > 0) {
    throw new MetricError(
      `metric names exposed twice in one scrape: ${clashes.join(', ')}; ` +
        'rename one side (a collector prefix, or the prom-client metric)' +
        (clashes.some((c) => c.includes('process_') || c.includes('nodejs_'))
          ? ', or pass omitProcessMetrics'
          : ''),
    );
  }
  return [ours, ...theirs].map((t) => (t === '' || t.endsWith('\n') ? t : t + '\n')).join('');
}

/** The exposition without the named families (their HELP, TYPE and sample lines). */
function withoutFamilies(text: string, names: ReadonlySet<string>): string {
  let skipping = false;
  let out = '';
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const header = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    if (header) skipping = names.has(header[1]!);
    else if (!line.startsWith('#')) {
      const name = /^[^{\s]+/.exec(line)![0];
      if (names.has(name)) skipping = true;
    }
    if (!skipping) out += line + '\n';
  }
  return out;
}
