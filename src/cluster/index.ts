/**
 * `victor-perf/cluster`: one view of several processes. In the primary, `aggregateCluster(collector)`; in
 * each Node `cluster` worker or `worker_threads` thread, `reportToPrimary(collector)`. Every read of the
 * primary's collector (scrape, summary, category endpoint, dashboard) then returns the aggregate, and so does
 * every read of a worker's collector, which is what a shared `cluster` port serves.
 *
 * Reads are synchronous and show the values collected by the last `refresh()`. Call it before a read that
 * must be current, e.g. `createServer({ collector, onRequest: () => reporter.refresh() })`.
 */
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import { isMainThread, parentPort, threadId, type MessagePort, type Worker } from 'node:worker_threads';
import type { PerformanceMetricsCollector } from '../collector/collector.ts';
import { ClusterAggregator, type AggregatorOptions } from './primary.ts';
import { ClusterReporter, type ReporterOptions } from './reporter.ts';
import { ipcChannel, portChannel, type IpcEnd, type PortEnd } from './transport.ts';

export interface AggregateClusterOptions extends AggregatorOptions {
  /**
   * Aggregate the Node `cluster` workers, those running now and every one forked later (default: true when
   * this process is the cluster primary).
   */
  cluster?: boolean;
  /** `worker_threads` Workers (or MessagePorts) to aggregate from the start; more with `addThread()`. */
  threads?: readonly (Worker | MessagePort)[];
}

export interface ClusterHandle {
  /** Collects from every process now; resolves once each answered or timed out. */
  refresh(): Promise<void>;
  /** Aggregates a `worker_threads` Worker (or a MessagePort whose other end called `reportToPrimary`). */
  addThread(thread: Worker | MessagePort, name?: string): void;
  /** What the primary knows of each process. */
  processes(): ReturnType<ClusterAggregator['processes']>;
  /** Stops aggregating and gives the collector its own components back. */
  close(): void;
}

/** Makes `collector` (the primary's) answer every read with the aggregate of all processes. */
export function aggregateCluster(
  collector: PerformanceMetricsCollector,
  options: AggregateClusterOptions = {},
): ClusterHandle {
  const aggregator = new ClusterAggregator(collector, options);
  const offs: (() => void)[] = [];
  if (options.cluster ?? cluster.isPrimary) {
    const attach = (w: ClusterWorker): void => {
      const name = `worker-${w.id}`;
      if (!aggregator.processes().some((p) => p.process === name && p.alive)) {
        aggregator.attach(name, ipcChannel(w as unknown as IpcEnd, 'exit'));
      }
    };
    for (const w of Object.values(cluster.workers ?? {})) if (w) attach(w);
    cluster.on('fork', attach);
    offs.push(() => cluster.off('fork', attach));
  }
  let anonymous = 0;
  const addThread = (thread: Worker | MessagePort, name?: string): void => {
    const id = (thread as Partial<Worker>).threadId;
    const label = name ?? (typeof id === 'number' ? `thread-${id}` : `port-${++anonymous}`);
    aggregator.attach(label, portChannel(thread as unknown as PortEnd));
  };
  for (const t of options.threads ?? []) addThread(t);
  return {
    refresh: () => aggregator.refresh(),
    addThread,
    processes: () => aggregator.processes(),
    close() {
      for (const off of offs.splice(0)) off();
      aggregator.close();
    },
  };
}

export interface ReportToPrimaryOptions extends ReporterOptions {
  /**
   * The port to the primary. Default: the `cluster` IPC channel in a cluster worker, else `parentPort` in
   * a worker thread.
   */
  port?: MessagePort;
}

export interface ReporterHandle {
  /** Fetches the aggregate from the primary; false when it did not answer in time. */
  refresh(): Promise<boolean>;
  close(): void;
}

/** Answers the primary's collections from `collector`, and shows the aggregate on this process's reads. */
export function reportToPrimary(
  collector: PerformanceMetricsCollector,
  options: ReportToPrimaryOptions = {},
): ReporterHandle {
  let channel;
  if (options.port) channel = portChannel(options.port as unknown as PortEnd);
  else if (cluster.isWorker) channel = ipcChannel(process as unknown as IpcEnd, 'disconnect');
  else if (!isMainThread && parentPort) channel = portChannel(parentPort as unknown as PortEnd);
  else {
    throw new Error(
      `reportToPrimary: process ${process.pid} (thread ${threadId}) is neither a cluster worker nor a worker ` +
        'thread; pass options.port',
    );
  }
  const reporter = new ClusterReporter(collector, channel, options);
  return { refresh: () => reporter.refresh(), close: () => reporter.close() };
}

export { ClusterAggregator, ClusterReporter };
export { PROCESS_LABEL, TOTAL_PROCESS } from './merge.ts';
export type { AggregatorOptions, ProcessInfo } from './primary.ts';
export type { ReporterOptions } from './reporter.ts';
