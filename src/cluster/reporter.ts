/**
 * A process's side: it answers the primary's collection requests from its own components, and (by default)
 * shows the cluster's aggregate on its own reads: `refresh()` asks the primary for it, and every read after
 * that returns the aggregate the primary last sent. Before the first aggregate arrives, reads show the
 * process's own values.
 */
import type { PerformanceMetricsCollector, Slot } from '../collector/collector.ts';
import { EMPTY_SLOT, Installer, collectReport, type AggregateView } from './install.ts';
import type { FamilyState } from './state.ts';
import type { Channel, SlotState, SlotStates } from './transport.ts';

interface Aggregate {
  slots: SlotStates;
  collector: readonly FamilyState[];
  custom?: readonly FamilyState[] | undefined;
}

export interface ReporterOptions {
  /** Reads of this process return the cluster's aggregate (default true). */
  serveAggregate?: boolean;
  /** How long `refresh()` waits for the primary's aggregate (default 5000 ms). */
  timeoutMs?: number;
}

export class ClusterReporter implements AggregateView {
  private readonly installer: Installer | undefined;
  private readonly off: () => void;
  private readonly timeoutMs: number;
  private aggregate: Aggregate | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (aggregate: Aggregate | undefined) => void>();
  private closed = false;

  constructor(
    private readonly collector: PerformanceMetricsCollector,
    private readonly channel: Channel,
    options: ReporterOptions = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!(timeoutMs > 0 && timeoutMs < Infinity))
      throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.off = channel.onMessage((m) => {
      if (m.kind === 'collect') {
        // Never throws: each component is isolated inside collectReport.
        channel.send({ victorPerf: 1, kind: 'report', id: m.id, report: collectReport(this.collector) });
      } else if (m.kind === 'aggregated') {
        this.waiting.get(m.id)?.({ slots: m.slots, collector: m.collector, custom: m.custom });
      }
    });
    if (options.serveAggregate ?? true) {
      this.installer = new Installer(collector, this);
      this.installer.sync();
    }
  }

  /**
   * Fetches the cluster's aggregate from the primary, so that the next read shows it. Resolves to false when
   * the primary did not answer in time (reads then show the last aggregate received).
   */
  refresh(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const id = this.nextId++;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      timer.unref?.();
      const finish = (aggregate: typeof this.aggregate): void => {
        clearTimeout(timer);
        this.waiting.delete(id);
        if (aggregate) {
          this.aggregate = aggregate;
          this.installer?.sync();
        }
        resolve(aggregate !== undefined);
      };
      this.waiting.set(id, finish);
      try {
        this.channel.send({ victorPerf: 1, kind: 'aggregate', id });
      } catch {
        finish(undefined);
      }
    });
  }

  slotsInUse(): ReadonlySet<Slot> {
    return new Set(Object.keys(this.aggregate?.slots ?? {}) as Slot[]);
  }

  merge(slot: Slot, own: SlotState | undefined): SlotState {
    return this.aggregate?.slots[slot] ?? own ?? { value: EMPTY_SLOT[slot](), families: [] };
  }

  ownSeries(own: readonly FamilyState[]): readonly FamilyState[] {
    return this.aggregate?.collector ?? own;
  }

  customSeries(own: readonly FamilyState[]): readonly FamilyState[] {
    return this.aggregate?.custom ?? own;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.off();
    for (const finish of this.waiting.values()) finish(undefined);
    this.installer?.restore();
  }
}
