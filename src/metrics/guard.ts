/**
 * Failures inside the monitor: caught where they happen, counted in `instrumentation_errors_total{component}`
 * and reported once per component through `process.emitWarning`, so the measured code and the process carry
 * on. The counter is process-wide (a failure belongs to the process, not to one collector); every collector
 * exports it.
 */
import { CATALOG } from './catalog.ts';
import { Counter } from './primitives.ts';

/** Components are named by the code (tool_execution, history, ...): a small, fixed set. */
export const instrumentationErrors = new Counter(CATALOG.instrumentationErrors, { maxSeries: 100 });

const warned = new Set<string>();

/** Counts a caught internal failure of `component`; warns the first time a component fails. Never throws. */
export function reportInternalError(component: string, err: unknown): void {
  try {
    instrumentationErrors.labels({ component }).inc();
    if (warned.has(component)) return;
    warned.add(component);
    const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    process.emitWarning(
      `victor-perf: ${component} failed inside the monitor; the measured code carries on and further failures are counted in instrumentation_errors_total (${detail})`,
      { type: 'VictorPerfWarning', code: 'VICTOR_PERF_INSTRUMENTATION_ERROR' },
    );
  } catch {
    // Reporting must not become the failure.
  }
}

/** Runs a recording step for the host's code path: a failure is reported, never thrown. */
export function guarded(component: string, step: () => void): void {
  try {
    step();
  } catch (err) {
    reportInternalError(component, err);
  }
}

/** Forgets which components were warned about (tests). */
export function resetInstrumentationWarnings(): void {
  warned.clear();
}
