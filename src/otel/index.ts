/**
 * `victor-perf/otel`: the collector's series as an OpenTelemetry `MetricProducer`, for the readers of
 * `@opentelemetry/sdk-metrics` 2.x (an optional peer dependency; only its types are used).
 */
export { VictorPerfMetricProducer, createMetricProducer } from './producer.ts';
export type { OtelProducerOptions } from './producer.ts';
