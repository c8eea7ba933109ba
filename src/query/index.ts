/** The query form: typed expressions, their PromQL text and their evaluation over in-process samples. */
export * from './expr.ts';
export { printMatchers, toPromQL } from './promql.ts';
export {
  DEFAULT_LOOKBACK_MS,
  bucketQuantile,
  evaluate,
  extrapolatedRate,
  parseDuration,
  signature,
} from './evaluate.ts';
export type { EvalOptions, Labels, Sample, SeriesStore, SeriesView } from './evaluate.ts';
export { MemoryStore, expandValues, parseSeriesSelector, storeFromInput } from './store.ts';
export type { InputSeries } from './store.ts';
export { AlertEvaluator, RESOLVED_RETENTION_MS } from './alerting.ts';
export type { AlertInstance, AlertRule, AlertState } from './alerting.ts';
export { goG, renderTemplate } from './template.ts';
