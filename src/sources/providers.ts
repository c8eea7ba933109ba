/**
 * Provider pool: requests, errors by kind, latency and a circuit-breaker health per LLM provider.
 *
 * Each provider's bound metric children and its HealthTracker live in one entry, resolved once per name, so
 * recording is one Map look-up (none through a function returned by `wrap()`). Health is pulled into
 * `provider_health{provider}` at collection time, because an open circuit turns half-open by the clock alone.
 */
import {
  CATALOG,
  OVERFLOW_LABEL_VALUE,
  PROVIDER_ERROR_TYPES,
  type ProviderErrorType,
} from '../metrics/catalog.ts';
import { reportInternalError } from '../metrics/guard.ts';
import { DEFAULT_MAX_SERIES, validateMaxSeries } from '../metrics/metric.ts';
import { addSaturating, badValue } from '../metrics/names.ts';
import {
  Counter,
  Gauge,
  Histogram,
  type AnyMetric,
  type CounterChild,
  type GaugeChild,
  type HistogramChild,
} from '../metrics/primitives.ts';
import { QuantileTracker, coarseClock, type WindowClock } from '../metrics/sketch.ts';
import type { ProviderPoolSnapshot, Source } from '../collector/types.ts';
import { classifyProviderError, isProviderErrorType, safeClassify } from './provider-errors.ts';
import {
  LlmUsage,
  ProviderRequest,
  measureStream,
  readInto,
  type RequestEnd,
  type ResponseReader,
} from './provider-usage.ts';

export { classifyProviderError };

export type ProviderOutcome = 'success' | ProviderErrorType;
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface HealthTrackerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** Time an open circuit waits before letting a probe through (default 30 s). */
  cooldownMs?: number;
  clock?: WindowClock;
}

/**
 * Circuit breaker: closed (health 1) until `failureThreshold` consecutive failures open it (health 0); after
 * `cooldownMs` it is half-open (health 0.5) and the next result decides: a success closes it, a failure opens
 * it again for another cool-down.
 */
export class HealthTracker {
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly clock: WindowClock;
  private consecutiveFailures = 0;
  private openedAt: number | null = null;

  constructor(options: HealthTrackerOptions = {}) {
    const threshold = options.failureThreshold ?? 5;
    const cooldownMs = options.cooldownMs ?? 30_000;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new RangeError(`failureThreshold must be a positive integer, got ${threshold}`);
    }
    if (!(cooldownMs >= 0 && cooldownMs < Infinity)) {
      throw new RangeError(`cooldownMs must be finite and >= 0, got ${cooldownMs}`);
    }
    this.threshold = threshold;
    this.cooldownMs = cooldownMs;
    this.clock = options.clock ?? coarseClock();
  }

  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.clock.ms - this.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  /** 1 closed, 0.5 half-open, 0 open. */
  get health(): number {
    const s = this.state;
    return s === 'closed' ? 1 : s === 'half_open' ? 0.5 : 0;
  }

  /** False only while the circuit is open: a half-open circuit lets a probe through. */
  get available(): boolean {
    return this.state !== 'open';
  }

  recordSuccess(): void {
    // A success is evidence enough whatever the state: a probe closes a half-open circuit, and a request
    // that reached the provider while open (a pool not asking isAvailable) proves it answers.
    this.consecutiveFailures = 0;
    this.openedAt = null;
  }

  recordFailure(): void {
    this.consecutiveFailures++;
    // A failed probe re-opens at once; a failure while open restarts the cool-down.
    if (this.openedAt !== null || this.consecutiveFailures >= this.threshold) this.openedAt = this.clock.ms;
  }
}

export interface RequestOptions {
  /** The requested model (a bounded label: past `maxSeries` pairs, models share an overflow series). */
  model?: string | undefined;
  /** Maps a thrown error to its class; defaults to classifyProviderError. */
  classify?: ((err: unknown) => ProviderErrorType) | undefined;
}

/** Options of `call()`: with a reader, the result's usage and model are recorded. */
export interface CallOptions<T = unknown> extends RequestOptions, ResponseReader<T> {}

/** Options of `stream()`: the reader is applied to every chunk (usage usually comes in the last one). */
export interface StreamOptions<C = unknown> extends RequestOptions, ResponseReader<C> {}

/** The chunk type of an async-iterable stream. */
export type ChunkOf<S> = S extends AsyncIterable<infer C> ? C : unknown;

export interface ProviderPoolMonitorOptions extends HealthTrackerOptions {
  /**
   * Providers kept apart, in the pool and the series (default 1000); later names share one overflow entry,
   * named '' (the empty name, which no caller can give).
   */
  maxSeries?: number;
  /** Recent window for the latency percentiles (default 5 minutes). */
  windowMs?: number;
}

class ProviderEntry {
  constructor(
    readonly provider: string,
    readonly requests: CounterChild,
    /** One child per error class, in PROVIDER_ERROR_TYPES order. */
    readonly errors: readonly CounterChild[],
    readonly latency: HistogramChild,
    readonly health: GaugeChild,
    readonly tracker: HealthTracker,
    /** The shared entry of the providers past the limit: its records are counted as folded. */
    readonly overflow: boolean,
  ) {}
}

export class ProviderPoolMonitor implements Source<ProviderPoolSnapshot> {
  readonly sourceName = 'provider_pool';
  readonly requests: Counter<'provider'>;
  readonly errors: Counter<'provider' | 'type'>;
  readonly latency: Histogram<'provider'>;
  readonly health: Gauge<'provider'>;

  private readonly providers = new Map<string, ProviderEntry>();
  private readonly maxProviders: number;
  private overflowEntry: ProviderEntry | undefined;
  private readonly healthOptions: HealthTrackerOptions;
  /** Every request to every provider, for pool-wide percentiles. */
  private readonly all: QuantileTracker;
  private total = 0;
  private totalMs = 0;
  /** Failed requests per error class, in PROVIDER_ERROR_TYPES order. */
  private readonly failures: number[] = PROVIDER_ERROR_TYPES.map(() => 0);
  /** Tokens, time to first chunk and requests by model. */
  readonly usage: LlmUsage;
  private readonly endRequest: RequestEnd;

  constructor(options: ProviderPoolMonitorOptions = {}) {
    const maxSeries = validateMaxSeries('ProviderPoolMonitor', options.maxSeries ?? DEFAULT_MAX_SERIES);
    this.maxProviders = maxSeries;
    const window = { windowMs: options.windowMs, clock: options.clock };
    this.healthOptions = {
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      clock: options.clock,
    };
    new HealthTracker(this.healthOptions); // validates the options now rather than at the first provider
    this.requests = new Counter(CATALOG.providerRequests, { maxSeries });
    // One series per error class per provider.
    this.errors = new Counter(CATALOG.providerErrors, {
      maxSeries: maxSeries * PROVIDER_ERROR_TYPES.length,
    });
    this.latency = new Histogram(CATALOG.providerLatency, { maxSeries, ...window });
    this.health = new Gauge(CATALOG.providerHealth, { maxSeries });
    this.all = new QuantileTracker(window);
    this.usage = new LlmUsage({ maxSeries, ...window });
    this.endRequest = (request, ms, outcome) => {
      // Ending a request is recording: a failure here is counted, never thrown into the caller's call.
      try {
        const entry = this.entry(request.provider);
        this.observe(entry, ms, outcome);
        // Under the pool's name: '' once the provider folded into the overflow entry, so usage stays bounded.
        const provider = entry.provider;
        if (request.firstChunkMs >= 0) this.usage.observeFirstChunk(provider, request.firstChunkMs);
        if (request.model !== undefined) this.usage.recordRequest(provider, request.model, request.usage);
      } catch (err) {
        reportInternalError(this.sourceName, err);
      }
    };
  }

  /** Adds a provider (no-op if known); it starts healthy. Recording for an unknown provider adds it too. */
  addProvider(name: string): void {
    this.entry(name);
  }

  /** Forgets a provider: it leaves the pool and its series leave the exposition. Pool totals are kept. */
  removeProvider(name: string): void {
    if (!this.providers.delete(name)) return;
    this.requests.remove({ provider: name });
    for (const type of PROVIDER_ERROR_TYPES) this.errors.remove({ provider: name, type });
    this.latency.remove({ provider: name });
    this.health.remove({ provider: name });
    this.usage.removeProvider(name);
  }

  /** Whether a pool should send to this provider: false while its circuit is open; true if unknown. */
  isAvailable(provider: string): boolean {
    return this.providers.get(provider)?.tracker.available ?? true;
  }

  /** The provider's circuit state, or undefined if unknown. */
  circuitState(provider: string): CircuitState | undefined {
    return this.providers.get(provider)?.tracker.state;
  }

  /** Records one request measured elsewhere. */
  record(provider: string, latencyMs: number, outcome: ProviderOutcome): void {
    // Checked before anything is counted or a provider added, so a bad call leaves no trace. Timed calls need
    // no check: their latency is a performance.now() delta and their outcome comes from safeClassify.
    if (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs < Infinity)) {
      throw badValue(
        `metric ${CATALOG.providerLatency.name}, provider ${JSON.stringify(provider)}`,
        'latency must be a finite number >= 0 ms',
        latencyMs,
      );
    }
    if (outcome !== 'success' && !isProviderErrorType(outcome)) {
      throw new TypeError(
        `provider ${JSON.stringify(provider)}: unknown outcome ${JSON.stringify(outcome)}; expected success, ${PROVIDER_ERROR_TYPES.join(', ')}`,
      );
    }
    this.observe(this.entry(provider), latencyMs, outcome);
  }

  /**
   * Times one call to `provider` (a value, a Promise or any PromiseLike); an error is classified, recorded and
   * rethrown unchanged. With `usage`/`model` readers, the result's tokens and model are recorded too.
   */
  async call<T>(
    provider: string,
    fn: () => PromiseLike<T> | T,
    options: CallOptions<Awaited<T>> = {},
  ): Promise<Awaited<T>> {
    const classify = options.classify ?? classifyProviderError;
    if (options.usage === undefined && options.modelOf === undefined && options.model === undefined) {
      return this.timed(this.entry(provider), fn, classify);
    }
    const request = this.start(provider, options);
    let value: Awaited<T>;
    try {
      value = await fn();
    } catch (err) {
      request.fail(err);
      throw err;
    }
    readInto(request, options, value);
    request.succeed();
    return value;
  }

  /**
   * Starts measuring one request by hand: mark chunks, add usage, then `succeed()` or `fail(err)` once.
   * For adapters whose SDK hands out neither a promise nor an async iterable of the whole request.
   */
  start(provider: string, options: RequestOptions = {}): ProviderRequest {
    this.entry(provider); // validates the name now, not when the request ends
    const model = options.model;
    if (model !== undefined && (typeof model !== 'string' || model === '')) {
      throw new TypeError(`model must be a non-empty string, got ${JSON.stringify(model) ?? 'nothing'}`);
    }
    return new ProviderRequest(provider, model, this.endRequest, options.classify ?? classifyProviderError);
  }

  /**
   * Measures a streamed call: `fn` returns (a promise of) an async-iterable stream, which is handed back as
   * the same object, its chunks unchanged. The request counts from the call to the stream's end: time to the
   * first chunk, full duration, usage and model read from the chunks, an error mid-stream classified. A
   * stream that is never iterated is never counted.
   */
  async stream<S>(
    provider: string,
    fn: () => PromiseLike<S> | S,
    options: StreamOptions<ChunkOf<S>> = {},
  ): Promise<S> {
    const request = this.start(provider, options);
    let stream: S;
    try {
      stream = await fn();
    } catch (err) {
      request.fail(err);
      throw err;
    }
    return measureStream(stream, request, options);
  }

  /** Wraps an async provider call; the provider is resolved here, once. */
  wrap<A extends unknown[], T>(
    provider: string,
    fn: (...args: A) => PromiseLike<T> | T,
    options: CallOptions = {},
  ): (...args: A) => Promise<T> {
    const entry = this.entry(provider);
    const classify = options.classify ?? classifyProviderError;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- `this` inside is the caller's
    const monitor = this;
    return function (this: unknown, ...args: A): Promise<T> {
      return monitor.timed(entry, () => fn.apply(this, args), classify);
    };
  }

  private async timed<T>(
    entry: ProviderEntry,
    fn: () => PromiseLike<T> | T,
    classify: (err: unknown) => ProviderErrorType,
  ): Promise<Awaited<T>> {
    const start = performance.now();
    let value: Awaited<T>;
    try {
      value = await fn();
    } catch (err) {
      this.safeObserve(entry, start, () => safeClassify(classify, err));
      throw err;
    }
    this.safeObserve(entry, start, () => 'success');
    return value;
  }

  /** Recording never throws into the caller's call nor changes what it resolves or rejects with. */
  private safeObserve(entry: ProviderEntry, start: number, outcome: () => ProviderOutcome): void {
    try {
      this.observe(entry, performance.now() - start, outcome());
    } catch (err) {
      reportInternalError(this.sourceName, err);
    }
  }

  private observe(entry: ProviderEntry, ms: number, outcome: ProviderOutcome): void {
    entry.requests.inc();
    entry.latency.observe(ms);
    this.total++;
    this.totalMs = addSaturating(this.totalMs, ms);
    if (entry.overflow) {
      this.requests.noteOverflow();
      this.latency.noteOverflow();
      if (outcome !== 'success') this.errors.noteOverflow();
    }
    this.all.add(ms);
    if (outcome === 'success') {
      entry.tracker.recordSuccess();
      return;
    }
    const i = PROVIDER_ERROR_TYPES.indexOf(outcome);
    entry.errors[i]!.inc();
    this.failures[i]!++;
    // The caller giving up or sending a bad request says nothing about the provider's health.
    if (outcome !== 'aborted' && outcome !== 'bad_request') entry.tracker.recordFailure();
  }

  private entry(provider: string): ProviderEntry {
    const found = this.providers.get(provider);
    if (found !== undefined) return found;
    if (typeof provider !== 'string' || provider === '') {
      throw new TypeError(
        `provider name must be a non-empty string, got ${JSON.stringify(provider) ?? 'nothing'}`,
      );
    }
    // Past the limit, new names share one overflow entry (names not kept), so memory stays bounded whatever
    // the callers pass; pool membership up to the limit is what the caller declared.
    if (this.providers.size >= this.maxProviders) {
      return (this.overflowEntry ??= new ProviderEntry(
        OVERFLOW_LABEL_VALUE,
        this.requests.overflowSeries(),
        PROVIDER_ERROR_TYPES.map((type) => this.errors.overflowSeries({ type })),
        this.latency.overflowSeries(),
        this.health.overflowSeries(),
        new HealthTracker(this.healthOptions),
        true,
      ));
    }
    const entry = new ProviderEntry(
      provider,
      this.requests.labels({ provider }),
      PROVIDER_ERROR_TYPES.map((type) => this.errors.labels({ provider, type })),
      this.latency.labels({ provider }),
      this.health.labels({ provider }),
      new HealthTracker(this.healthOptions),
      false,
    );
    this.providers.set(provider, entry);
    return entry;
  }

  collect(): ProviderPoolSnapshot {
    // No prototype: a provider named __proto__ is an ordinary key.
    const providerHealth = Object.create(null) as Record<string, number>;
    let unhealthy = 0;
    const entries: Array<[string, ProviderEntry]> = [...this.providers];
    if (this.overflowEntry) entries.push([OVERFLOW_LABEL_VALUE, this.overflowEntry]);
    for (const [name, e] of entries) {
      const h = e.tracker.health;
      e.health.set(h);
      providerHealth[name] = h;
      if (h === 0) unhealthy++;
    }
    const failed = this.failures.reduce((a, b) => a + b, 0);
    const n = this.total;
    const rate = (k: number): number | null => (n === 0 ? null : k / n);
    const [timeouts, rateLimits, overloaded, auth, badRequests, network, aborted, others] = this.failures;
    return {
      pool: { total: entries.length, active: entries.length - unhealthy, unhealthy },
      requests: { total: n, successful: n - failed, failed },
      latency_ms: {
        avg: n === 0 ? null : this.totalMs / n,
        p50: this.all.recent(0.5),
        p95: this.all.recent(0.95),
        p99: this.all.recent(0.99),
      },
      errors: {
        error_rate: rate(failed),
        timeout_rate: rate(timeouts!),
        rate_limit_rate: rate(rateLimits!),
        overloaded_rate: rate(overloaded!),
        auth_rate: rate(auth!),
        bad_request_rate: rate(badRequests!),
        network_rate: rate(network!),
        aborted_rate: rate(aborted!),
        other_rate: rate(others!),
      },
      provider_health: providerHealth,
      tokens: { ...this.usage.totals },
      time_to_first_chunk_ms: this.usage.firstChunkPercentiles(),
      requests_by_model: this.usage.requestsByModel(),
    };
  }

  metrics(): readonly AnyMetric[] {
    return [this.health, this.requests, this.errors, this.latency, ...this.usage.metrics()];
  }
}
