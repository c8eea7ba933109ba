/**
 * The health score (0..100) with the original's weights:
 *   40 % overall cache hit rate, 30 % tool success (1 - error rate), 10 % CPU headroom (1 - cpu/100),
 *   10 % memory headroom (1 - memory / 2 GiB), 10 % latency headroom (1 - min(1, selection P95 / 5000 ms)).
 *
 * An input that is not known yet (no lookups, no executions, no CPU reading) counts as no evidence of trouble:
 * its term takes its full weight. The recording rule `victor_performance_health_score` does the same with
 * `or vector(...)`, so the two agree, and the summary alerts do not fire on a process that has done nothing.
 */
import type { PerformanceSnapshot } from './types.ts';

export const HEALTH_WEIGHTS = { hitRate: 40, toolSuccess: 30, cpu: 10, memory: 10, latency: 10 } as const;
export const HEALTH_MEMORY_BUDGET_BYTES = 2 * 1024 ** 3;
export const HEALTH_LATENCY_BUDGET_MS = 5000;

export interface HealthInputs {
  hitRate: number | null;
  errorRate: number | null;
  cpuPercent: number | null;
  memoryBytes: number | null;
  selectionP95Ms: number | null;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

export function healthScore(i: HealthInputs): number {
  const w = HEALTH_WEIGHTS;
  const score =
    w.hitRate * (i.hitRate ?? 1) +
    w.toolSuccess * (1 - (i.errorRate ?? 0)) +
    w.cpu * clamp01(1 - (i.cpuPercent ?? 0) / 100) +
    w.memory * clamp01(1 - (i.memoryBytes ?? 0) / HEALTH_MEMORY_BUDGET_BYTES) +
    w.latency * (1 - Math.min(1, (i.selectionP95Ms ?? 0) / HEALTH_LATENCY_BUDGET_MS));
  return Math.round(score * 100) / 100;
}

export function healthInputs(
  s: Omit<PerformanceSnapshot, 'health_score' | 'errors' | 'custom'>,
): HealthInputs {
  return {
    hitRate: s.tool_selection?.hit_rates.overall ?? null,
    errorRate: s.tool_execution?.errors.error_rate ?? null,
    cpuPercent: s.system?.cpu.percent ?? null,
    memoryBytes: s.system ? s.system.memory.used_bytes : null,
    selectionP95Ms: s.tool_selection?.latency_ms.p95 ?? null,
  };
}
