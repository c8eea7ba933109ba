/**
 * Helpers of the live tests: instant queries against a real Prometheus, JSON reads, and polling with a
 * deadline (a loaded 2-core CI machine is slow in ways fixed sleeps cannot predict).
 */
import { dashboardPanels, type PanelQuery, type PanelSpec } from '../../src/monitoring/dashboard-panels.ts';
import type { MonitoringConfig } from '../../src/monitoring/config.ts';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** GET a URL and parse its JSON body; throws with the status and body on a non-2xx answer. */
export async function getJson<T>(url: string, timeoutMs = 10_000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** An instant query (`/api/v1/query`); a query Prometheus rejects throws with its error message. */
export async function promQuery(prometheusUrl: string, query: string, time?: number): Promise<Sample[]> {
  const params = new URLSearchParams({ query });
  if (time !== undefined) params.set('time', String(time));
  const body = await getJson<{
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] | [number, string] };
  }>(`${prometheusUrl}/api/v1/query?${params}`);
  if (body.status !== 'success' || !body.data) throw new Error(`query ${query}: ${body.error ?? 'failed'}`);
  // A scalar result (e.g. `vector(0)` folded) comes as [time, value]: wrap it as one series without labels.
  if (body.data.resultType === 'scalar') return [{ metric: {}, value: body.data.result as [number, string] }];
  return body.data.result as Sample[];
}

/** Values of a result that are numbers (histogram_quantile's NaN, +Inf and -Inf are no data). */
export function finiteValues(result: readonly Sample[]): number[] {
  return result.map((s) => Number(s.value[1])).filter((v) => Number.isFinite(v));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined/false, then returns that;
 * after `timeoutMs`, throws with `describe()` (what was last seen). A probe that throws is retried (the last
 * error goes into the message).
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  describe: () => string,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: string;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      lastError = '';
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `not within ${timeoutMs} ms: ${describe()}${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

export interface NamedQuery {
  panel: PanelSpec;
  query: PanelQuery;
  /** "Panel title [refId]". */
  name: string;
}

/**
 * The dashboard's queries but the alerts panel's ("Firing Alerts", over ALERTS): that one is legitimately
 * empty while nothing fires, so the alert test checks it with alerts firing.
 */
export function dataQueries(config: MonitoringConfig): NamedQuery[] {
  return dashboardPanels(config)
    .filter((p) => p.row !== 'Alerts')
    .flatMap((panel) =>
      panel.queries.map((query) => ({ panel, query, name: `${panel.title} [${query.refId}]` })),
    );
}

export function firingAlertsQuery(config: MonitoringConfig): PanelQuery {
  const panel = dashboardPanels(config).find((p) => p.title === 'Firing Alerts');
  if (!panel) throw new Error('the dashboard has no "Firing Alerts" panel');
  return panel.queries[0]!;
}

/**
 * Runs every query until each has at least one finite value or the time is up; returns the queries still
 * without data then, with what they last returned, so that a failure names every empty panel at once.
 */
export async function queriesWithoutData(
  prometheusUrl: string,
  queries: ReadonlyArray<{ name: string; expr: string }>,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Map(queries.map((q) => [q.name, { expr: q.expr, last: 'not run' }]));
  for (;;) {
    for (const [name, q] of pending) {
      try {
        const result = await promQuery(prometheusUrl, q.expr);
        if (finiteValues(result).length > 0) pending.delete(name);
        else q.last = result.length === 0 ? 'empty result' : `no finite value in ${JSON.stringify(result)}`;
      } catch (err) {
        q.last = (err as Error).message;
      }
    }
    if (pending.size === 0 || Date.now() >= deadline) break;
    await sleep(1000);
  }
  return [...pending].map(([name, q]) => `${name}: ${q.last}\n    ${q.expr}`);
}
