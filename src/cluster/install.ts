/**
 * How an aggregate reaches every read path without the serving layers knowing: each slot of the collector
 * gets a stand-in source whose `collect()` runs the process's own component (kept as `local`) and returns the
 * merged value, and whose `metrics()` are the merged families. Scrapes, summaries, category endpoints and the
 * dashboard's history all read through it. `restore()` puts the components back.
 */
import {
  SLOTS,
  type PerformanceMetricsCollector,
  type Slot,
  type SourceSlots,
} from '../collector/collector.ts';
import {
  emptyBootstrap,
  emptyCache,
  emptyProviderPool,
  emptySelection,
  emptySystem,
  emptyToolExecution,
  unknownPercentiles,
} from '../collector/empty.ts';
import type { Source, SourceError } from '../collector/types.ts';
import type { AnyMetric } from '../metrics/primitives.ts';
import { buildMetric, serializeMetrics, type FamilyState } from './state.ts';
import type { ProcessReport, SlotState, SlotStates } from './transport.ts';

/** What a slot yields when no process has anything in it. */
export const EMPTY_SLOT: { readonly [S in Slot]: () => SourceSlots[S] } = {
  cache: () => ({ cache: emptyCache(), selection: emptySelection() }),
  tool_selection: () => ({ latency_ms: unknownPercentiles() }),
  bootstrap: emptyBootstrap,
  provider_pool: emptyProviderPool,
  tool_execution: emptyToolExecution,
  system: emptySystem,
};

/** Who decides what a slot shows: the primary's merge, or a process showing the primary's last aggregate. */
export interface AggregateView {
  /** Slots some process has a component in (a stand-in is installed for each). */
  slotsInUse(): ReadonlySet<Slot>;
  /** The slot's value and families, given this process's own collection of it (undefined: no component). */
  merge(slot: Slot, own: SlotState | undefined): SlotState;
  /** The collector's own series to show, given this process's own. */
  ownSeries(own: readonly FamilyState[]): readonly FamilyState[];
  /** The custom metrics to show, given this process's own. */
  customSeries(own: readonly FamilyState[]): readonly FamilyState[];
}

export class MergedSource<S extends Slot> implements Source<SourceSlots[S]> {
  readonly sourceName: string;
  private current: AnyMetric[] = [];

  constructor(
    readonly slot: S,
    readonly local: Source<SourceSlots[S]> | undefined,
    readonly view: AggregateView,
  ) {
    this.sourceName = local?.sourceName || slot;
  }

  collect(): SourceSlots[S] {
    // The process's own component: a throw propagates, so the collector reports and counts it as before.
    const own = this.local ? ownState(this.local) : undefined;
    const merged = this.view.merge(this.slot, own);
    this.current = merged.families.map(buildMetric);
    return merged.value as SourceSlots[S];
  }

  metrics(): readonly AnyMetric[] {
    return this.current;
  }
}

function ownState(source: Source<unknown>): SlotState {
  const value = source.collect();
  return { value, families: serializeMetrics(source.metrics()) };
}

/** The process's own components, behind any stand-in. */
export function localSources(collector: PerformanceMetricsCollector): Map<Slot, Source<unknown>> {
  const out = new Map<Slot, Source<unknown>>();
  for (const slot of SLOTS) {
    const s = collector.registered(slot);
    const local = s instanceof MergedSource ? (s.local as Source<unknown> | undefined) : s;
    if (local) out.set(slot, local);
  }
  return out;
}

const errorMessage = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : `threw ${String(err)}`;

/**
 * The collector's own series as this process counts them, series overflow included: overflow is counted
 * over the process's own components, since the stand-ins hold merged, already bounded series.
 */
export function ownFamilies(collector: PerformanceMetricsCollector): FamilyState[] {
  const lists: (() => readonly AnyMetric[])[] = [() => collector.custom.metrics()];
  for (const source of localSources(collector).values()) lists.push(() => source.metrics());
  const metrics: AnyMetric[] = [];
  for (const list of lists) {
    try {
      metrics.push(...list());
    } catch {
      // Counted when the exposition is rendered; here it only leaves these metrics out of the overflow count.
    }
  }
  return serializeMetrics(collector.ownMetrics(metrics));
}

/** One collection of the process's own components, each isolated: a failure drops only its slot. */
export function collectReport(collector: PerformanceMetricsCollector): ProcessReport {
  const slots: SlotStates = {};
  const errors: SourceError[] = [];
  for (const [slot, source] of localSources(collector)) {
    try {
      slots[slot] = ownState(source);
    } catch (err) {
      errors.push({ source: source.sourceName || slot, message: errorMessage(err) });
    }
  }
  let custom: FamilyState[] | undefined;
  try {
    custom = serializeMetrics(collector.custom.collected());
  } catch (err) {
    // The primary keeps this process's last reported custom metrics.
    errors.push({ source: 'custom', message: errorMessage(err) });
  }
  const withCustom = custom ? { custom } : {};
  try {
    return { pid: process.pid, slots, collector: ownFamilies(collector), ...withCustom, errors };
  } catch (err) {
    // The primary keeps this process's last reported own series.
    errors.push({ source: 'collector', message: errorMessage(err) });
    return { pid: process.pid, slots, ...withCustom, errors };
  }
}

/** Puts a stand-in in every slot in use, and takes them out again. */
export class Installer {
  constructor(
    private readonly collector: PerformanceMetricsCollector,
    private readonly view: AggregateView,
  ) {}

  /** Idempotent: a component registered since the last call is wrapped in its turn. */
  sync(): void {
    this.collector.showOwnSeries(() => this.view.ownSeries(ownFamilies(this.collector)).map(buildMetric));
    this.collector.custom.showMerged((own) => this.view.customSeries(serializeMetrics(own)).map(buildMetric));
    const inUse = this.view.slotsInUse();
    for (const slot of SLOTS) {
      const current = this.collector.registered(slot);
      if (current instanceof MergedSource && current.view === this.view) continue;
      if (current === undefined && !inUse.has(slot)) continue;
      const standIn = new MergedSource(slot, current as Source<SourceSlots[Slot]> | undefined, this.view);
      this.collector.register(slot, standIn as unknown as Source<never>);
    }
  }

  restore(): void {
    this.collector.showOwnSeries(undefined);
    this.collector.custom.showMerged(undefined);
    for (const slot of SLOTS) {
      const current = this.collector.registered(slot);
      if (!(current instanceof MergedSource) || current.view !== this.view) continue;
      if (current.local) this.collector.register(slot, current.local as Source<never>);
      else this.collector.unregister(slot);
    }
  }
}
