/**
 * The primary's side: it asks every process for a report when a read needs fresh values (`refresh()`),
 * keeps each process's last good report per slot, and merges them with its own components at read time.
 *
 * A process that does not answer within `timeoutMs` never blocks the read: its last known values are used,
 * it is marked stale (`cluster_process_stale{process}`) and the miss is counted
 * (`cluster_collect_timeouts_total{process}`). A process that exits keeps its counters and histograms in the
 * totals; its recent quantile sketches count until the recent window has passed over them.
 */
import type { PerformanceMetricsCollector, Slot } from '../collector/collector.ts';
import { CATALOG } from '../metrics/catalog.ts';
import { DEFAULT_WINDOW_MS } from '../metrics/sketch.ts';
import { EMPTY_SLOT, Installer, collectReport, type AggregateView } from './install.ts';
import { mergeFamilies, type Contribution } from './merge.ts';
import { mergeSlotValue, type SlotInput } from './snapshot.ts';
import type { FamilyState } from './state.ts';
import type { Channel, Message, ProcessReport, SlotState, SlotStates } from './transport.ts';

export interface AggregatorOptions {
  /** How long a refresh waits for each process before using its last known values (default 1000 ms). */
  timeoutMs?: number;
  /** The components' recent window (default 5 minutes): how long an exited process's quantiles count. */
  windowMs?: number;
  /** `process` label of the primary's own series (default `primary`). */
  name?: string;
}

/** What the primary knows of one process. */
export interface ProcessInfo {
  readonly process: string;
  readonly pid: number | null;
  readonly alive: boolean;
  /** It missed the last collection deadline; its last known values are in the aggregate. */
  readonly stale: boolean;
  readonly timeouts: number;
  /** Date.now() of its last report, or null before the first. */
  readonly reportedAt: number | null;
}

interface Entry {
  readonly process: string;
  readonly channel: Channel;
  readonly detach: () => void;
  pid: number | null;
  /** Last good state of each slot (a slot whose component failed keeps its previous state). */
  slots: SlotStates;
  /** Its collector's own series, as last reported. */
  own: readonly FamilyState[];
  /** Its custom metrics, as last reported. */
  custom: readonly FamilyState[];
  alive: boolean;
  exitedAt: number;
  stale: boolean;
  timeouts: number;
  reportedAt: number | null;
  waiting: Map<number, () => void>;
}

export class ClusterAggregator implements AggregateView {
  readonly timeoutMs: number;
  readonly name: string;
  private readonly windowMs: number;
  private readonly entries = new Map<string, Entry>();
  /** Counters and histograms of processes that exited more than a window ago, folded into one. */
  private readonly exited = new Map<Slot, { inputs: SlotInput[]; families: FamilyState[] }>();
  /** The collectors' own series of those processes, folded likewise. */
  private exitedOwn: FamilyState[] = [];
  /** Their custom metrics, folded likewise. */
  private exitedCustom: FamilyState[] = [];
  private exitedCount = 0;
  private readonly installer: Installer;
  private nextId = 1;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly collector: PerformanceMetricsCollector,
    options: AggregatorOptions = {},
  ) {
    const timeoutMs = options.timeoutMs ?? 1000;
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    if (!(timeoutMs > 0 && timeoutMs < Infinity))
      throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    if (!(windowMs > 0 && windowMs < Infinity)) throw new RangeError(`windowMs must be > 0, got ${windowMs}`);
    this.timeoutMs = timeoutMs;
    this.windowMs = windowMs;
    this.name = options.name ?? 'primary';
    this.installer = new Installer(collector, this);
    this.installer.sync();
  }

  /** Starts aggregating one process. Its `process` label must be unique among the running ones. */
  attach(process: string, channel: Channel): void {
    if (this.closed) throw new Error('this aggregator is closed');
    if (process === this.name || this.entries.get(process)?.alive) {
      throw new Error(`a running process is already aggregated as ${JSON.stringify(process)}`);
    }
    const previous = this.entries.get(process);
    if (previous) this.retire(previous);
    const offMessage = channel.onMessage((m) => this.onMessage(entry, m));
    const offClose = channel.onClose(() => this.exit(entry));
    const entry: Entry = {
      process,
      channel,
      detach: () => {
        offMessage();
        offClose();
      },
      pid: null,
      slots: {},
      own: [],
      custom: [],
      alive: true,
      exitedAt: 0,
      stale: false,
      timeouts: 0,
      reportedAt: null,
      waiting: new Map(),
    };
    this.entries.set(process, entry);
  }

  private onMessage(entry: Entry, m: Message): void {
    if (m.kind === 'report') {
      this.accept(entry, m.report);
      entry.waiting.get(m.id)?.();
    } else if (m.kind === 'aggregate') {
      this.refresh().then(
        () => entry.channel.send({ victorPerf: 1, kind: 'aggregated', id: m.id, ...this.aggregate() }),
        () => {},
      );
    }
  }

  private accept(entry: Entry, report: ProcessReport): void {
    if (!entry.alive) return;
    entry.pid = report.pid;
    entry.slots = { ...entry.slots, ...report.slots };
    if (report.collector) entry.own = report.collector;
    if (report.custom) entry.custom = report.custom;
    entry.stale = false;
    entry.reportedAt = Date.now();
    this.installer.sync();
  }

  private exit(entry: Entry): void {
    if (!entry.alive) return;
    entry.alive = false;
    entry.exitedAt = Date.now();
    entry.detach();
    this.exitedCount++;
    for (const done of entry.waiting.values()) done();
  }

  /**
   * Asks every running process for a report and resolves once each answered or timed out. Calls made while
   * one round runs share the next round, so every caller sees values collected after its call.
   */
  refresh(): Promise<void> {
    if (this.inFlight === undefined) {
      this.inFlight = this.round().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    this.queued ??= this.inFlight.then(() => {
      this.queued = undefined;
      return this.refresh();
    });
    return this.queued;
  }

  private async round(): Promise<void> {
    const asked = [...this.entries.values()].filter((e) => e.alive);
    await Promise.all(asked.map((e) => this.ask(e)));
    this.foldExited();
  }

  private ask(entry: Entry): Promise<void> {
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (entry.alive) {
          entry.stale = true;
          entry.timeouts++;
        }
        done();
      }, this.timeoutMs);
      timer.unref?.();
      const done = (): void => {
        clearTimeout(timer);
        entry.waiting.delete(id);
        resolve();
      };
      entry.waiting.set(id, done);
      try {
        entry.channel.send({ victorPerf: 1, kind: 'collect', id });
      } catch {
        // A channel closing under us is an exit the close event reports; the timer ends the wait.
      }
    });
  }

  /** Moves processes that exited more than a window ago into the folded totals. */
  private foldExited(): void {
    const now = Date.now();
    for (const e of [...this.entries.values()]) {
      if (!e.alive && now - e.exitedAt >= this.windowMs) this.retire(e);
    }
  }

  private retire(e: Entry): void {
    if (e.alive) this.exit(e);
    this.entries.delete(e.process);
    const fold = (prior: FamilyState[], families: readonly FamilyState[]): FamilyState[] =>
      mergeFamilies([
        { process: 'exited', families: prior, live: false, recent: false },
        { process: e.process, families, live: false, recent: false },
      ]);
    this.exitedOwn = fold(this.exitedOwn, e.own);
    this.exitedCustom = fold(this.exitedCustom, e.custom);
    for (const [slot, state] of Object.entries(e.slots) as [Slot, SlotState][]) {
      const prior = this.exited.get(slot);
      const contributions: Contribution[] = [
        ...(prior ? [{ process: 'exited', families: prior.families, live: false, recent: false }] : []),
        { process: e.process, families: state.families, live: false, recent: false },
      ];
      const families = mergeFamilies(contributions);
      const inputs: SlotInput[] = [
        ...(prior?.inputs ?? []),
        { value: state.value as never, families: state.families, live: false },
      ];
      // Keep one folded input: the merge of everything exited so far (its counts are what matter).
      const value = mergeSlotValue(slot, inputs as never, families);
      this.exited.set(slot, { inputs: [{ value: value as never, families, live: false }], families });
    }
  }

  slotsInUse(): ReadonlySet<Slot> {
    const slots = new Set<Slot>(['system']);
    for (const e of this.entries.values()) for (const s of Object.keys(e.slots)) slots.add(s as Slot);
    for (const s of this.exited.keys()) slots.add(s);
    return slots;
  }

  merge(slot: Slot, own: SlotState | undefined): SlotState {
    const now = Date.now();
    const contributions: Contribution[] = [];
    const inputs: SlotInput[] = [];
    if (own) {
      contributions.push({ process: this.name, families: own.families, live: true, recent: true });
      inputs.push({ value: own.value as never, families: own.families, live: true });
    }
    // System readings are per OS process: threads of one process would count its memory and CPU again.
    const pids = new Set<number | null>(own ? [process.pid] : []);
    for (const e of this.entries.values()) {
      const s = e.slots[slot];
      if (s === undefined) continue;
      if (slot === 'system' && e.alive) {
        if (pids.has(e.pid)) continue;
        pids.add(e.pid);
      }
      const recent = e.alive || now - e.exitedAt < this.windowMs;
      contributions.push({ process: e.process, families: s.families, live: e.alive, recent });
      inputs.push({ value: s.value as never, families: s.families, live: e.alive });
    }
    const folded = this.exited.get(slot);
    if (folded) {
      contributions.push({ process: 'exited', families: folded.families, live: false, recent: false });
      inputs.push(...folded.inputs);
    }
    const families = mergeFamilies(contributions);
    const value = inputs.length === 0 ? EMPTY_SLOT[slot]() : mergeSlotValue(slot, inputs as never, families);
    if (slot === 'system') families.push(...this.clusterFamilies());
    return { value, families };
  }

  /** The collectors' own series summed over every process, exited ones included (their policy is `sum`). */
  ownSeries(own: readonly FamilyState[]): FamilyState[] {
    return this.mergeWith(own, (e) => e.own, this.exitedOwn);
  }

  /**
   * The custom metrics merged over every process: counters and histograms summed, exited processes
   * included; gauges by their declared `aggregation` (per process by default), over the running ones.
   */
  customSeries(own: readonly FamilyState[]): FamilyState[] {
    return this.mergeWith(own, (e) => e.custom, this.exitedCustom);
  }

  private mergeWith(
    own: readonly FamilyState[],
    of: (e: Entry) => readonly FamilyState[],
    exited: readonly FamilyState[],
  ): FamilyState[] {
    const now = Date.now();
    const contributions: Contribution[] = [{ process: this.name, families: own, live: true, recent: true }];
    for (const e of this.entries.values()) {
      const recent = e.alive || now - e.exitedAt < this.windowMs;
      contributions.push({ process: e.process, families: of(e), live: e.alive, recent });
    }
    contributions.push({ process: 'exited', families: exited, live: false, recent: false });
    return mergeFamilies(contributions);
  }

  private clusterFamilies(): FamilyState[] {
    const running = [...this.entries.values()].filter((e) => e.alive);
    return [
      { spec: CATALOG.clusterProcesses, type: 'gauge', series: [{ values: [], value: running.length + 1 }] },
      {
        spec: CATALOG.clusterProcessStale,
        type: 'gauge',
        series: running.map((e) => ({ values: [e.process], value: e.stale ? 1 : 0 })),
      },
      {
        spec: CATALOG.clusterCollectTimeouts,
        type: 'counter',
        series: [...this.entries.values()].map((e) => ({ values: [e.process], value: e.timeouts })),
      },
      {
        spec: CATALOG.clusterProcessesExited,
        type: 'counter',
        series: [{ values: [], value: this.exitedCount }],
      },
    ];
  }

  /** Every slot merged, and the collectors' own series, as a process serving the aggregate shows them. */
  aggregate(): { slots: SlotStates; collector: FamilyState[]; custom: FamilyState[] } {
    const report = collectReport(this.collector);
    const own = report.slots;
    const out: SlotStates = {};
    for (const slot of this.slotsInUse()) out[slot] = this.merge(slot, own[slot]);
    for (const slot of Object.keys(own) as Slot[]) out[slot] ??= this.merge(slot, own[slot]);
    return {
      slots: out,
      collector: this.ownSeries(report.collector ?? []),
      custom: this.customSeries(report.custom ?? []),
    };
  }

  processes(): ProcessInfo[] {
    return [...this.entries.values()].map((e) => ({
      process: e.process,
      pid: e.pid,
      alive: e.alive,
      stale: e.stale,
      timeouts: e.timeouts,
      reportedAt: e.reportedAt,
    }));
  }

  /** Stops listening and gives the collector its own components back. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.entries.values()) {
      e.detach();
      for (const done of e.waiting.values()) done();
    }
    this.installer.restore();
  }
}
