/**
 * The messages between the primary and its processes, and the channels they travel on: a Node `cluster`
 * worker's IPC channel, or a `worker_threads` Worker / MessagePort. Every message carries a `victorPerf`
 * mark, so that it never mixes with the application's own messages on the same channel.
 */
import type { Slot } from '../collector/collector.ts';
import type { SourceError } from '../collector/types.ts';
import type { FamilyState } from './state.ts';

/** One slot of one process: what its component's `collect()` yielded, and its metric families. */
export interface SlotState {
  readonly value: unknown;
  readonly families: readonly FamilyState[];
}

export type SlotStates = Partial<Record<Slot, SlotState>>;

/** One collection of one process. Slots whose component failed are absent and listed in `errors`. */
export interface ProcessReport {
  readonly pid: number;
  readonly slots: SlotStates;
  /** The collector's own series (collection errors and time, overflow, instrumentation errors). */
  readonly collector?: readonly FamilyState[];
  /** The application's custom metrics. */
  readonly custom?: readonly FamilyState[];
  readonly errors: readonly SourceError[];
}

export const MARK = 'victorPerf';

export type Message =
  /** primary → process: collect now and answer with a report. */
  | { victorPerf: 1; kind: 'collect'; id: number }
  | { victorPerf: 1; kind: 'report'; id: number; report: ProcessReport }
  /** process → primary: send me the aggregate (a read of the process's own port). */
  | { victorPerf: 1; kind: 'aggregate'; id: number }
  | {
      victorPerf: 1;
      kind: 'aggregated';
      id: number;
      slots: SlotStates;
      collector: readonly FamilyState[];
      custom?: readonly FamilyState[];
    };

export function isMessage(m: unknown): m is Message {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[MARK] === 1;
}

/** Both ends of every transport look like this. */
export interface Channel {
  send(message: Message): void;
  /** Returns a function that stops listening. */
  onMessage(listener: (message: Message) => void): () => void;
  onClose(listener: () => void): () => void;
}

interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
}

function listen(target: Emitter, event: string, fn: (...args: never[]) => void): () => void {
  target.on(event, fn);
  return () => void target.off(event, fn);
}

function messages(target: Emitter, listener: (m: Message) => void): () => void {
  return listen(target, 'message', (m: unknown) => {
    if (isMessage(m)) listener(m);
  });
}

/** A cluster worker seen from the primary, or the current worker's own IPC channel seen from inside it. */
export interface IpcEnd extends Emitter {
  send(message: unknown): unknown;
  isConnected?(): boolean;
  connected?: boolean;
}

/** Channel over `process.send` (a cluster worker, from the inside) or `worker.send` (from the primary). */
export function ipcChannel(end: IpcEnd, closeEvent: 'exit' | 'disconnect'): Channel {
  return {
    send(message) {
      const open = end.isConnected ? end.isConnected() : end.connected !== false;
      if (open) end.send(message);
    },
    onMessage: (listener) => messages(end, listener),
    onClose: (listener) => listen(end, closeEvent, listener),
  };
}

/** A `worker_threads` Worker, its `parentPort`, or any MessagePort. */
export interface PortEnd extends Emitter {
  postMessage(message: unknown): void;
}

export function portChannel(end: PortEnd): Channel {
  return {
    send: (message) => end.postMessage(message),
    onMessage: (listener) => messages(end, listener),
    // A Worker emits 'exit'; a MessagePort emits 'close' when either side closes it.
    onClose(listener) {
      const offExit = listen(end, 'exit', listener);
      const offClose = listen(end, 'close', listener);
      return () => {
        offExit();
        offClose();
      };
    },
  };
}
