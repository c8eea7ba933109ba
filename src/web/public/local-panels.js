// Local mode: how each panel (by id) is drawn from the history's series and the latest snapshot.
// The meaning of each panel follows its PromQL in the Grafana dashboard.

import { alertsTable } from './alerts.js';
import { PHASES } from './format.js';

/**
 * @typedef {import('./local.js').LocalSource} LocalSource
 * @typedef {import('./page.d.ts').Frame} Frame
 * @typedef {import('./page.d.ts').RenderContext} RenderContext
 * @typedef {import('./page.d.ts').SeriesFrame} SeriesFrame
 * @typedef {import('./page.d.ts').Value} Value
 */

/** @param {string} s */
const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
/** @param {string} p */
const phaseLabel = (p) => cap(p.replace(/_/g, ' '));

/**
 * A series frame from series ids, labelled by a label (or fixed labels).
 * @param {LocalSource} src
 * @param {RenderContext} ctx
 * @param {Array<[string, Value[]]>} list
 * @returns {SeriesFrame}
 */
function seriesFrame(src, ctx, list) {
  return { t: ctx.t, range: ctx.range, series: list.map(([label, values]) => ({ label, values })) };
}

/**
 * @param {LocalSource} src
 * @param {string} name
 * @param {string} label
 * @param {string} value
 * @param {string[]} exclude
 * @returns {Array<[string, Value[]]>}
 */
function byLabel(src, name, label, value, exclude = []) {
  return src
    .matching(name, label, value)
    .filter((m) => !exclude.includes(m.labels[label] ?? ''))
    .map((m) => [m.labels[label] ?? '', m.values]);
}

/**
 * Trailing-window ratio of two cumulative counters (like rate(a[5m]) / rate(b[5m])).
 * @param {Value[]} num
 * @param {Value[]} den
 * @param {number[]} tMs
 * @param {number} windowMs
 */
function windowRatio(num, den, tMs, windowMs) {
  /** @type {Value[]} */
  const out = [];
  let j = 0;
  for (let i = 0; i < tMs.length; i++) {
    while ((tMs[j] ?? Infinity) < (tMs[i] ?? 0) - windowMs) j++;
    const [ni, nj, di, dj] = [num[i], num[j], den[i], den[j]];
    const dn = ni != null && nj != null ? ni - nj : null;
    const dd = di != null && dj != null ? di - dj : null;
    out.push(dn !== null && dd !== null && dd > 0 ? dn / dd : null);
  }
  return out;
}

/** @type {(arrays: Value[][], n: number) => Value[]} */
const sumArrays = (arrays, n) =>
  Array.from({ length: n }, (_, i) => {
    /** @type {Value} */
    let s = null;
    for (const a of arrays) {
      const v = a[i];
      if (v !== null && v !== undefined) s = (s ?? 0) + v;
    }
    return s;
  });

/** @type {Record<string, (src: LocalSource, ctx: RenderContext) => Frame>} */
export const LOCAL_PANELS = {
  // The server evaluates the alert rules in-process; the page lists what it reports.
  'firing-alerts': (src) => alertsTable(src.alerts),
  'health-score': (src) => ({
    items: [{ value: src.last('health_score') }],
    spark: src.values('health_score'),
  }),
  'tool-selection-latency-p95': (src, ctx) =>
    seriesFrame(src, ctx, [['P95', src.values('selection_latency_ms{quantile=p95}')]]),
  'cache-hit-rate': (src, ctx) => ({
    items: [{ label: '', value: src.last(`cache_hit_rate{namespace=${ctx.f.namespace || 'overall'}}`) }],
  }),
  'memory-usage': (src, ctx) => seriesFrame(src, ctx, [['resident', src.values('system_memory_bytes')]]),
  'system-uptime': (src) => ({ items: [{ value: src.last('system_uptime_seconds') }] }),

  'cache-entries-by-namespace': (src, ctx) =>
    seriesFrame(src, ctx, byLabel(src, 'cache_entries', 'namespace', ctx.f.namespace, ['total'])),
  'cache-hit-miss-ratio': (src, ctx) => {
    /** @param {string} op */
    const inc = (op) =>
      src.increase(
        sumArrays(
          src.matching(`cache_${op}_per_s`, 'namespace', ctx.f.namespace).map((m) => m.values),
          ctx.t.length,
        ),
      );
    return {
      items: [
        { label: 'hits', value: inc('hits') },
        { label: 'misses', value: inc('misses') },
      ],
    };
  },
  'cache-evictions': (src, ctx) =>
    seriesFrame(src, ctx, byLabel(src, 'cache_evictions_per_s', 'namespace', ctx.f.namespace)),
  'cache-utilization': (src, ctx) => ({
    items: src
      .matching('cache_utilization', 'namespace', ctx.f.namespace)
      .filter((m) => m.labels.namespace !== 'overall')
      .map((m) => ({ label: m.labels.namespace, value: src.last(m.id) })),
  }),

  'selection-latency-p50-p95-p99': (src, ctx) =>
    seriesFrame(
      src,
      ctx,
      ['p50', 'p95', 'p99'].map((q) => [q.toUpperCase(), src.values(`selection_latency_ms{quantile=${q}}`)]),
    ),
  'selection-hit-rate-by-type': (src, ctx) => ({
    items: src.matching('selection_hits_per_s', 'namespace', ctx.f.namespace).map((m) => {
      const hits = src.increase(m.values);
      const misses = src.increase(src.values(`selection_misses_per_s{namespace=${m.labels.namespace}}`)) ?? 0;
      return {
        label: m.labels.namespace,
        value: hits !== null && hits + misses > 0 ? hits / (hits + misses) : null,
      };
    }),
  }),
  'selection-misses-rate': (src, ctx) =>
    seriesFrame(src, ctx, byLabel(src, 'selection_misses_per_s', 'namespace', ctx.f.namespace)),

  'provider-health': (src, ctx) => {
    const health = src.latest?.provider_pool?.provider_health ?? {};
    const rows = Object.keys(health)
      .filter((p) => !ctx.f.provider || p === ctx.f.provider)
      .sort()
      .map((p) => {
        const h = health[p] ?? 0;
        const status =
          h >= 1
            ? { text: 'Healthy', color: 'green' }
            : h <= 0
              ? { text: 'Unhealthy', color: 'red' }
              : { text: 'Degraded', color: 'yellow' };
        return {
          provider: p,
          status,
          p95: src.last(`provider_latency_p95_ms{provider=${p}}`),
          rps: src.last(`provider_requests_per_s{provider=${p}}`),
        };
      });
    return {
      columns: [
        { key: 'provider', title: 'Provider' },
        { key: 'status', title: 'Health' },
        { key: 'p95', title: 'P95', unit: 'ms' },
        { key: 'rps', title: 'Requests', unit: 'ops' },
      ],
      rows,
    };
  },
  'provider-latency-p95-by-provider': (src, ctx) =>
    seriesFrame(src, ctx, byLabel(src, 'provider_latency_p95_ms', 'provider', ctx.f.provider)),
  'active-providers': (src, ctx) => {
    const health = src.latest?.provider_pool?.provider_health ?? {};
    const names = Object.keys(health).filter((p) => !ctx.f.provider || p === ctx.f.provider);
    const active = names.filter((p) => (health[p] ?? 0) > 0).length;
    return {
      items: [{ value: src.latest?.provider_pool ? active : null, sub: `of ${names.length} configured` }],
      spark: ctx.f.provider ? undefined : src.values('providers_active'),
    };
  },

  'tokens-per-second-by-provider-and-model': (src, ctx) =>
    seriesFrame(
      src,
      ctx,
      src
        .matching('provider_tokens_per_s', 'provider', ctx.f.provider)
        .map((m) => [`${m.labels.provider} ${m.labels.model}`, m.values]),
    ),
  'time-to-first-chunk-p95-by-provider': (src, ctx) =>
    seriesFrame(src, ctx, byLabel(src, 'provider_first_chunk_p95_ms', 'provider', ctx.f.provider)),
  'rate-limited-requests': (src, ctx) =>
    seriesFrame(
      src,
      ctx,
      src.matching('provider_requests_per_s', 'provider', ctx.f.provider).map((m) => {
        const limited = src.values(`provider_rate_limited_per_s{provider=${m.labels.provider}}`);
        // No rate-limit series yet means none so far: 0 where there were requests, as the PromQL would
        // give once the counter exists.
        return [
          m.labels.provider ?? '',
          m.values.map((r, i) => (r === null || r <= 0 ? null : (limited[i] ?? 0) / r)),
        ];
      }),
    ),

  'execution-duration-p95-p99': (src, ctx) =>
    seriesFrame(
      src,
      ctx,
      ['p95', 'p99'].map((q) => [
        q.toUpperCase(),
        ctx.f.tool
          ? src.values(`tool_duration_${q}_ms{tool=${ctx.f.tool}}`)
          : src.values(`execution_duration_ms{quantile=${q}}`),
      ]),
    ),
  'execution-errors': (src, ctx) => {
    if (!ctx.f.tool) return seriesFrame(src, ctx, [['error rate', src.values('tool_error_rate')]]);
    const fail = src.values(`tool_executions_total{tool=${ctx.f.tool},status=failure}`);
    const ok = src.values(`tool_executions_total{tool=${ctx.f.tool},status=success}`);
    const total = sumArrays([fail, ok], ctx.t.length);
    const failures = fail.length
      ? fail.map((v, i) => v ?? (total[i] === null ? null : 0))
      : total.map((v) => (v === null ? null : 0));
    return seriesFrame(src, ctx, [['error rate', windowRatio(failures, total, ctx.tMs, 300_000)]]);
  },
  'top-tools-by-execution': (src, ctx) => {
    const tools = new Map();
    for (const m of src.matching('tool_executions_total', 'tool', ctx.f.tool)) {
      const e = tools.get(m.labels.tool) ?? { tool: m.labels.tool, executions: 0, failed: 0 };
      const d = src.delta(m.values) ?? 0;
      e.executions += d;
      if (m.labels.status === 'failure') e.failed += d;
      tools.set(m.labels.tool, e);
    }
    const rows = [...tools.values()]
      .filter((r) => r.executions > 0)
      .sort((a, b) => b.executions - a.executions)
      .slice(0, 10)
      .map((r) => ({
        ...r,
        errors: r.failed / r.executions,
        p95: src.last(`tool_duration_p95_ms{tool=${r.tool}}`),
      }));
    return {
      columns: [
        { key: 'tool', title: 'Tool' },
        { key: 'executions', title: 'Executions', unit: 'short' },
        { key: 'errors', title: 'Errors', unit: 'percentunit' },
        { key: 'p95', title: 'P95', unit: 'ms' },
      ],
      rows,
      empty: 'No executions in this range',
    };
  },

  'startup-time': (src) => ({ items: [{ value: src.latest?.bootstrap?.startup_time.ms ?? null }] }),
  'bootstrap-phases': (src) => {
    /** @type {Record<string, number | null | undefined>} */
    const phases = src.latest?.bootstrap?.phases ?? {};
    const names = [...PHASES, ...Object.keys(phases).filter((p) => !PHASES.includes(p.replace(/_ms$/, '')))];
    return {
      items: names
        .map((p) => p.replace(/_ms$/, ''))
        .map((p) => ({ label: phaseLabel(p), value: phases[`${p}_ms`] ?? null }))
        .filter((i) => i.value !== null),
    };
  },
  'lazy-loads': (src) => {
    const lazy = src.latest?.bootstrap?.lazy_loading;
    return {
      items: [
        {
          value: lazy ? lazy.load_count : null,
          sub: lazy?.avg_time_ms != null ? `avg ${lazy.avg_time_ms.toFixed(1)} ms each` : undefined,
        },
      ],
    };
  },
  'first-access-overhead': (src) => ({
    items: [{ value: src.latest?.bootstrap?.lazy_loading.first_access_overhead_ms ?? null }],
  }),
};
