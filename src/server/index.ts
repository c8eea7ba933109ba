/**
 * `victor-perf/server`: the standalone server (REST API, Prometheus text, OpenAPI, dashboard) with graceful
 * shutdown, its token handling, the demo workload it can run, and the local monitoring stack (Prometheus and
 * Alertmanager around demos).
 */
export {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  ExposureError,
  createServer,
  exposureWarning,
  isLoopback,
} from './server.ts';
export { TOKEN_ENV, TokenError, bearerToken, resolveToken, tokenMatcher } from '../api/auth.ts';
export { startWorkload } from '../demo/workload.ts';
export { SCENARIOS, SCENARIO_DESCRIPTIONS, isScenario } from '../demo/scenarios.ts';
export { startStack } from '../stack/stack.ts';
export { StackError } from '../stack/proc.ts';
export { formatAlert, parseWebhook, startAlertsLog } from '../stack/alerts-log.ts';

export type { PerformanceServer, ServerOptions } from './server.ts';
export type { Workload, WorkloadOptions } from '../demo/workload.ts';
export type { ScenarioName, WorkloadProfile } from '../demo/scenarios.ts';
export type { DemoSpec, Stack, StackOptions } from '../stack/stack.ts';
export type { AlertsLog, ReceivedAlert } from '../stack/alerts-log.ts';
