/**
 * A counter over a recent window (default 5 minutes), for rates such as "failed / total tool executions
 * lately". It rotates through slices like QuantileTracker in sketch.ts and reads the same coarse clock, so
 * counting is one array update and never calls Date.now(); the window covers between (n-1)/n of its length
 * and all of it.
 */
import { addSaturating, checkNonNegative } from '../metrics/names.ts';
import { DEFAULT_WINDOW_MS, coarseClock, type WindowClock, type WindowOptions } from '../metrics/sketch.ts';

export class WindowedCounter {
  private readonly slices: Float64Array;
  private readonly sliceMs: number;
  private readonly clock: WindowClock;
  private epoch: number;

  constructor(options: WindowOptions = {}) {
    const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    const n = options.slices ?? 5;
    if (!(windowMs > 0 && windowMs < Infinity) || !Number.isInteger(n) || n < 1) {
      throw new RangeError(`invalid counter window: windowMs=${windowMs}, slices=${n}`);
    }
    this.sliceMs = windowMs / n;
    this.slices = new Float64Array(n);
    this.clock = options.clock ?? coarseClock();
    this.epoch = Math.floor(this.clock.ms / this.sliceMs);
  }

  /** Adds n (finite, >= 0) to the current slice. */
  inc(n = 1): void {
    checkNonNegative('windowed counter', 'increment must be a finite number >= 0', n);
    const epoch = Math.floor(this.clock.ms / this.sliceMs);
    if (epoch !== this.epoch) this.rotate(epoch);
    const i = epoch % this.slices.length;
    this.slices[i] = addSaturating(this.slices[i]!, n);
  }

  /** Total over the recent window. */
  sum(): number {
    const epoch = Math.floor(this.clock.ms / this.sliceMs);
    if (epoch !== this.epoch) this.rotate(epoch);
    let total = 0;
    for (let i = 0; i < this.slices.length; i++) total = addSaturating(total, this.slices[i]!);
    return total;
  }

  private rotate(epoch: number): void {
    // Clear every slice the clock moved past (all of them after a long pause).
    const steps = Math.min(epoch - this.epoch, this.slices.length);
    for (let k = 1; k <= steps; k++) this.slices[(this.epoch + k) % this.slices.length] = 0;
    this.epoch = epoch;
  }
}
