/**
 * The generated dashboard against a real Prometheus (/usr/bin/prometheus, 1 s scrapes and rule evaluations)
 * scraping two `victor-perf demo` processes as two instances of one job: every panel query has data with its
 * variables set to "All", aggregate queries return one series per panel line (not one per instance), the
 * instance filter narrows, and the health-score recording rule agrees with the demos' own health scores.
 * Both naming modes: seed units, then base units (demos started with `--units base`, rules and panels over
 * the base-unit names), one stack after the other.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMonitoringConfig } from '../../src/monitoring/config.ts';
import { interpolateQuery } from '../../src/monitoring/dashboard.ts';
import { healthScoreName } from '../../src/monitoring/promql.ts';
import { startStack, type Stack } from '../../src/stack/stack.ts';
import {
  dataQueries,
  finiteValues,
  getJson,
  promQuery,
  queriesWithoutData,
  sleep,
  waitFor,
  type Sample,
} from './helpers.ts';

describe.each(['seed', 'base'] as const)(
  'dashboard queries against a real Prometheus scraping two demos (%s units)',
  (units) => {
    const config = resolveMonitoringConfig({ units });
    const ALL = { rateInterval: '1m', range: '5m' } as const;
    let stack: Stack | undefined;

    const query = (expr: string, time?: number): Promise<Sample[]> =>
      promQuery(stack!.prometheusUrl, expr, time);

    beforeAll(async () => {
      stack = await startStack({
        demos: [
          { scenario: 'normal', seed: 11 },
          { scenario: 'normal', seed: 23 },
        ],
        monitoring: config,
        scrapeInterval: '1s',
        evaluationInterval: '1s',
      });
      // The first scrape comes ~5 s after start; rates need two samples, quantiles a few observations.
      let seen = '';
      await waitFor(
        async () => {
          const up = await query('count(up{job="victor-perf"} == 1)');
          const rates = await query('sum(rate(victor_tool_executions_total{job="victor-perf"}[1m])) > 0');
          const samples = await query('min(count_over_time(victor_system_uptime_seconds[1m])) >= 5');
          const score = await query(healthScoreName(config));
          seen = `up=${JSON.stringify(up)} rates=${rates.length} samples=${samples.length} score=${score.length}`;
          return up[0]?.value[1] === '2' && rates.length > 0 && samples.length > 0 && score.length > 0;
        },
        120_000,
        () => `Prometheus does not scrape both demos with rates yet: ${seen}`,
      );
    }, 180_000);

    afterAll(async () => {
      await stack?.stop();
    }, 60_000);

    it("the demos expose the mode's names; in base units promtool check metrics finds nothing", async () => {
      const abbreviated = await query('count({__name__=~"victor_.*(_ms|_mb|_ms_total|_cpu_percent)"})');
      const seconds = await query('count({__name__="victor_tool_execution_duration_seconds_bucket"})');
      if (units === 'seed') {
        expect(abbreviated).toHaveLength(1);
        expect(seconds).toEqual([]);
        return;
      }
      expect(abbreviated).toEqual([]);
      expect(seconds).toHaveLength(1);
      const text = await (await fetch(`http://${stack!.targets[0]}/metrics`)).text();
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    });

    it('every panel query has data with its variables set to "All"', async () => {
      // "Firing Alerts" (over ALERTS) is empty while nothing fires: alerts.live.test.ts checks it with alerts firing.
      const queries = dataQueries(config).map((q) => ({
        name: q.name,
        expr: interpolateQuery(q.query.expr, ALL),
      }));
      expect(queries.length).toBeGreaterThan(15);
      const empty = await queriesWithoutData(stack!.prometheusUrl, queries, 90_000);
      expect(empty, `panel queries without data:\n${empty.join('\n')}`).toEqual([]);
    }, 240_000);

    it('aggregate queries return one series per panel line; only per-instance panels carry instance', async () => {
      const problems: string[] = [];
      for (const { name, query: q } of dataQueries(config)) {
        const result = await query(interpolateQuery(q.expr, ALL));
        const labels = [...q.legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
        const perInstance = labels.includes('instance');
        const lines = result.map((s) => labels.map((l) => s.metric[l] ?? '').join('/'));
        if (new Set(lines).size !== lines.length) {
          problems.push(
            `${name}: ${result.length} series for ${new Set(lines).size} lines (legend ${q.legend})`,
          );
        }
        for (const s of result) {
          if (perInstance !== 'instance' in s.metric) {
            problems.push(
              `${name}: series ${JSON.stringify(s.metric)} ${perInstance ? 'lacks' : 'carries'} instance`,
            );
          }
          // Only the legend's labels (and nothing of the target's identity) survive the aggregation.
          const extra = Object.keys(s.metric).filter((k) => !labels.includes(k));
          if (extra.length > 0)
            problems.push(`${name}: extra labels ${extra.join(', ')} in ${JSON.stringify(s.metric)}`);
        }
        if (labels.length === 0 && result.length > 1)
          problems.push(`${name}: ${result.length} series for one line`);
      }
      expect(problems, problems.join('\n')).toEqual([]);

      const memory = dataQueries(config).find((q) => q.panel.title === 'Memory Usage')!;
      expect(memory.query.legend).toContain('{{instance}}');
      const perInstance = await query(interpolateQuery(memory.query.expr, ALL));
      expect(perInstance.map((s) => s.metric.instance).sort()).toEqual([...stack!.targets].sort());
    }, 120_000);

    it('the instance filter narrows the queries to one demo', async () => {
      const [first, second] = stack!.targets;
      expect(second).toBeDefined();
      const one = { ...ALL, values: { instance: first! } };
      const memory = dataQueries(config).find((q) => q.panel.title === 'Memory Usage')!.query.expr;
      const filtered = await query(interpolateQuery(memory, one));
      expect(filtered.map((s) => s.metric.instance)).toEqual([first]);
      expect(await query(interpolateQuery(memory, ALL))).toHaveLength(2);

      // The same evaluation time for both, so that the sums cover the same window.
      const topTools = dataQueries(config).find((q) => q.panel.title === 'Top Tools by Execution')!.query
        .expr;
      const time = Date.now() / 1000 - 2;
      const sum = (r: Sample[]): number => finiteValues(r).reduce((a, b) => a + b, 0);
      const all = sum(await query(interpolateQuery(topTools, ALL), time));
      const narrowed = sum(await query(interpolateQuery(topTools, one), time));
      expect(narrowed).toBeGreaterThan(0);
      expect(narrowed).toBeLessThan(all);
    }, 120_000);

    it('the health-score recording rule agrees with the demos own health_score', async () => {
      // Three readings 2 s apart; each reads the rule's value and both demos' summaries at the same moment.
      for (let i = 0; i < 3; i++) {
        if (i > 0) await sleep(2000);
        const [series, ...summaries] = await Promise.all([
          query(healthScoreName(config)),
          ...stack!.targets.map((t) =>
            getJson<{ health_score: number | null }>(`http://${t}/api/performance/summary`),
          ),
        ]);
        const own = summaries.map((s) => s.health_score);
        const mean = own.reduce<number>((a, b) => a + (b ?? NaN), 0) / own.length;
        const seen = `recorded ${JSON.stringify(series)}, demos ${JSON.stringify(own)} (mean ${mean})`;
        // One series for the job: the score aggregates the two instances.
        expect(series, seen).toHaveLength(1);
        const value = Number(series[0]!.value[1]);
        expect(value, seen).toBeGreaterThanOrEqual(0);
        expect(value, seen).toBeLessThanOrEqual(100);
        expect(Math.abs(value - mean), seen).toBeLessThanOrEqual(5);
      }
    }, 60_000);
  },
);
