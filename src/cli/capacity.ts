/**
 * `victor-perf capacity --processes N [--tools T] [--providers P] [--models M] [--scrape-interval S]`: series
 * per process from the catalog and the series caps, total series and samples per second, for N processes
 * scraped one by one and for N processes aggregated behind one target.
 */
import { parseArgs } from 'node:util';
import { capacity, cardinality, type Capacity } from '../cluster/capacity.ts';
import { CATALOG_ENTRIES } from '../metrics/catalog.ts';
import { clusterRecordingDefinitions } from '../monitoring/cluster-rules.ts';
import { DEFAULT_MONITORING_CONFIG } from '../monitoring/config.ts';
import { series } from '../monitoring/promql.ts';
import { selectedMetrics, type Expr } from '../query/expr.ts';
import { UsageError } from './args.ts';
import type { CliIO } from './serve.ts';

export const CAPACITY_HELP = `Usage: victor-perf capacity --processes <n> [options]

Prints the series victor-perf exposes per process (from the metric catalog and the series caps), the total
series and the samples per second Prometheus ingests at the scrape interval: for N processes scraped one by
one, and for N processes aggregated by victor-perf/cluster behind one target. Steady state: error counters
that appear only once something fails are not counted.

Options:
  --processes <n>         Processes (required); with --markdown, a list such as 1,4,16,64
  --tools <n>             Distinct tool names (default 10)
  --providers <n>         Distinct LLM providers (default 3)
  --models <n>            Models per provider (default 1)
  --scrape-interval <s>   Seconds between scrapes (default 15)
  --max-series <n>        Label sets per metric before the overflow series (default 1000)
  --json                  The whole result, per metric included, as JSON
  --markdown              A Markdown table, one row per process count (the README's table)
  -h, --help              Show this help
`;

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n > 0))
    throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function formatCapacity(c: Capacity): string[] {
  const o = c.options;
  const targets = `${o.processes} target${o.processes === 1 ? '' : 's'}`;
  const rows: [string, string][] = [
    ['series per process', String(c.perProcess)],
    [
      `scraped one by one (${targets})`,
      `${c.separate.series} series, ${fmt(c.separate.samplesPerSecond)} samples/s`,
    ],
    [
      'aggregated by victor-perf/cluster (1 target)',
      `${c.aggregated.series} series, ${fmt(c.aggregated.samplesPerSecond)} samples/s`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return [
    `${o.processes} process${o.processes === 1 ? '' : 'es'}, ${o.tools} tools, ${o.providers} providers, ` +
      `${o.models} model${o.models === 1 ? '' : 's'} per provider, scraped every ${fmt(o.scrapeIntervalSeconds)} s`,
    ...rows.map(([k, v]) => `${(k + ':').padEnd(width)}${v}`),
  ];
}

/**
 * Series the per-cluster recording rules keep for each cluster (what remote_write sends with
 * `series: aggregated`, and what a global view reads): for each rule, the values of the labels it keeps.
 */
export function perClusterSeries(c: Capacity): { record: string; series: number }[] {
  const config = DEFAULT_MONITORING_CONFIG;
  const rows: { record: string; series: number }[] = [];
  for (const d of clusterRecordingDefinitions(config)) {
    let q: Expr = d.query;
    const quantile = q.kind === 'quantile'; // histogram_quantile takes `le` away
    while (q.kind === 'quantile') q = q.expr;
    const keep = q.kind === 'aggregate' ? (q.grouping?.labels ?? []) : [];
    const read = selectedMetrics(d.query)[0] ?? '';
    const spec = CATALOG_ENTRIES.find((s) =>
      [series(config, s).metric, `${series(config, s).metric}_bucket`].includes(read),
    );
    let n = 1;
    for (const label of keep) {
      if (label === 'cluster' || (quantile && label === 'le')) continue;
      if (label === 'le') n *= (spec?.buckets?.length ?? 0) + 1;
      else if (spec) n *= cardinality(spec, label, c.options);
    }
    rows.push({ record: d.record, series: n });
  }
  return rows;
}

/** The README's table: one row per result, columns padded as prettier pads them. */
export function formatCapacityTable(results: readonly Capacity[]): string[] {
  const header = [
    'processes',
    'series per process',
    'scraped one by one: series',
    'samples/s',
    'aggregated, one target: series',
    'samples/s',
  ];
  const rows = results.map((c) => [
    String(c.options.processes),
    String(c.perProcess),
    String(c.separate.series),
    c.separate.samplesPerSecond.toFixed(1),
    String(c.aggregated.series),
    c.aggregated.samplesPerSecond.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function capacityCommand(argv: readonly string[], io: CliIO): number {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        processes: { type: 'string' },
        tools: { type: 'string' },
        providers: { type: 'string' },
        models: { type: 'string' },
        'scrape-interval': { type: 'string' },
        'max-series': { type: 'string' },
        json: { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  if (values.help) return (io.out(CAPACITY_HELP.trimEnd()), 0);
  if (values.processes === undefined) throw new UsageError('missing --processes N');
  const list = values.processes.split(',');
  if (list.length > 1 && !values.markdown) {
    throw new UsageError(`--processes takes one number (a list needs --markdown), got ${values.processes}`);
  }
  const results: Capacity[] = [];
  for (const n of list) {
    try {
      results.push(
        capacity({
          processes: count('processes', n)!,
          tools: count('tools', values.tools),
          providers: count('providers', values.providers),
          models: count('models', values.models),
          scrapeIntervalSeconds: count('scrape-interval', values['scrape-interval']),
          maxSeries: count('max-series', values['max-series']),
        }),
      );
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
  }
  if (values.markdown) {
    for (const line of formatCapacityTable(results)) io.out(line);
    return 0;
  }
  const result = results[0]!;
  const perCluster = perClusterSeries(result).reduce((a, r) => a + r.series, 0);
  const rate = perCluster / result.options.scrapeIntervalSeconds;
  if (values.json)
    io.out(
      JSON.stringify({ ...result, perCluster: { series: perCluster, samplesPerSecond: rate } }, null, 2),
    );
  else {
    for (const line of formatCapacity(result)) io.out(line);
    io.out(
      `per cluster, recorded for a global view (remote_write of the cluster:* series): ${perCluster} series, ` +
        `${fmt(rate)} samples/s`,
    );
  }
  return 0;
}
