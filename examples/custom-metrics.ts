/**
 * Custom metrics: the README's "Custom metrics" section, verbatim (test/package/readme.test.ts runs it).
 *   npx tsx examples/custom-metrics.ts
 */
import { PerformanceMetricsCollector } from 'victor-perf';

const collector = new PerformanceMetricsCollector();
const plans = collector.counter({
  name: 'agent_plans_total',
  help: 'Plans made, by kind.',
  labels: ['kind'],
});
const queue = collector.gauge({ name: 'agent_queue_depth', help: 'Tasks waiting for a worker.' });
const planTime = collector.histogram({
  name: 'agent_plan_duration_ms',
  help: 'Time to make a plan.',
  unit: 'milliseconds',
  buckets: [10, 100, 1000],
  maxSeries: 100, // label sets kept apart before new ones fold into the overflow series
});

plans.labels({ kind: 'search' }).inc(); // resolve the child once and keep it on hot paths
queue.set(3);
planTime.observe(42);

console.log(collector.exportPrometheus()); // victor_agent_plans_total{kind="search"} 1, ...
console.log(collector.getAllMetrics().custom.agent_plans_total); // { type: 'counter', unit: 'count', ... }
