/**
 * victor-perf's series through an OpenTelemetry exporter: the README's "Export through OpenTelemetry"
 * section, verbatim (test/package/readme.test.ts runs it).   npx tsx examples/opentelemetry.ts
 */
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { getPerformanceCollector } from 'victor-perf';
import { createMetricProducer } from 'victor-perf/otel';

export const reader = new PeriodicExportingMetricReader({
  exporter: new ConsoleMetricExporter(), // or OTLPMetricExporter from @opentelemetry/exporter-metrics-otlp-http
  exportIntervalMillis: 15_000,
  metricProducers: [createMetricProducer(getPerformanceCollector())],
});
export const meterProvider = new MeterProvider({ readers: [reader] });
