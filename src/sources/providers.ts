/**
 * Provider pool: requests, errors by kind, latency and a circuit-breaker health per LLM provider.
 *
 * Each provider's bound metric children and its HealthTracker live in one entry, resolved once per name, so
 * recording is one Map look-up (none through a function returned by `wrap()`). Health is pulled into
 * `provider_health{provider}` at collection time, because an open circuit turns half-open by the clock alone.
 */
import { CATALOG, PROVIDER_ERROR_TYPES, type ProviderErrorType } from '../metrics/catalog.ts';
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

/**
 * Default error classification: timeouts by name or code, rate limits by HTTP status 429 or by a name, code
 * or message mentioning a rate limit; everything else is `other`.
 */
export function classifyProviderError(err: unknown): ProviderErrorType {
  if (err === null || typeof err !== 'object') return 'other';
  const e = err as {
    name?: unknown;
    code?: unknown;
    status?: unknown;
    statusCode?: unknown;
    message?: unknown;
  };
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  if (TIMEOUT_NAMES.has(name) || TIMEOUT_CODES.has(code) || /timed?.?out/i.test(code)) return 'timeout';
  const response = (err as { response?: { status?: unknown } }).response;
  if (e.status === 429 || e.statusCode === 429 || response?.status === 429) return 'rate_limit';
  const message = typeof e.message === 'string' ? e.message : '';
  if (RATE_LIMIT_RE.test(name) || RATE_LIMIT_RE.test(code) || RATE_LIMIT_RE.test(message))
    return 'rate_limit';
  return 'other';
}

const TIMEOUT_NAMES = new Set(['AbortError', 'TimeoutError']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const RATE_LIMIT_RE = /rate.?limit/i;

export interface CallOptions {
  /** Maps a thrown error to its kind; defaults to classifyProviderError. */
  classify?: (err: unknown) => ProviderErrorType;
}

export interface ProviderPoolMonitorOptions extends HealthTrackerOptions {
  /** Label sets per metric before the overflow series (default 1000). */
  maxSeries?: number;
  /** Recent window for the latency percentiles (default 5 minutes). */
  windowMs?: number;
}

class ProviderEntry {
  constructor(
    readonly requests: CounterChild,
    readonly timeouts: CounterChild,
    readonly rateLimits: CounterChild,
    readonly others: CounterChild,
    readonly latency: HistogramChild,
    readonly health: GaugeChild,
    readonly tracker: HealthTracker,
  ) {}
}

export class ProviderPoolMonitor implements Source<ProviderPoolSnapshot> {
  readonly sourceName = 'provider_pool';
  readonly requests: Counter<'provider'>;
  readonly errors: Counter<'provider' | 'type'>;
  readonly latency: Histogram<'provider'>;
  readonly health: Gauge<'provider'>;

  private readonly providers = new Map<string, ProviderEntry>();
  private readonly healthOptions: HealthTrackerOptions;
  /** Every request to every provider, for pool-wide percentiles. */
  private readonly all: QuantileTracker;
  private total = 0;
  private totalMs = 0;
  private timeouts = 0;
  private rateLimits = 0;
  private others = 0;

  constructor(options: ProviderPoolMonitorOptions = {}) {
    const { maxSeries } = options;
    const window = { windowMs: options.windowMs, clock: options.clock };
    this.healthOptions = {
      failureThreshold: options.failureThreshold,
      cooldownMs: options.cooldownMs,
      clock: options.clock,
    };
    new HealthTracker(this.healthOptions); // validates the options now rather than at the first provider
    this.requests = new Counter(CATALOG.providerRequests, { maxSeries });
    // Three error types per provider.
    this.errors = new Counter(CATALOG.providerErrors, {
      maxSeries: (maxSeries ?? 1000) * PROVIDER_ERROR_TYPES.length,
    });
    this.latency = new Histogram(CATALOG.providerLatency, { maxSeries, ...window });
    this.health = new Gauge(CATALOG.providerHealth, { maxSeries });
    this.all = new QuantileTracker(window);
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
    if (!(latencyMs >= 0 && latencyMs < Infinity)) {
      throw new RangeError(
        `provider ${JSON.stringify(provider)}: latency must be finite and >= 0 ms, got ${latencyMs}`,
      );
    }
    if (outcome !== 'success' && outcome !== 'timeout' && outcome !== 'rate_limit' && outcome !== 'other') {
      throw new TypeError(
        `provider ${JSON.stringify(provider)}: unknown outcome ${JSON.stringify(outcome)}; expected success, ${PROVIDER_ERROR_TYPES.join(', ')}`,
      );
    }
    this.observe(this.entry(provider), latencyMs, outcome);
  }

  /** Times one async call to `provider`; an error is classified, recorded and rethrown unchanged. */
  async call<T>(provider: string, fn: () => Promise<T> | T, options: CallOptions = {}): Promise<T> {
    return this.timed(this.entry(provider), fn, options.classify ?? classifyProviderError);
  }

  /** Wraps an async provider call; the provider is resolved here, once. */
  wrap<A extends unknown[], T>(
    provider: string,
    fn: (...args: A) => Promise<T> | T,
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
    fn: () => Promise<T> | T,
    classify: (err: unknown) => ProviderErrorType,
  ): Promise<T> {
    const start = performance.now();
    try {
      const value = await fn();
      this.observe(entry, performance.now() - start, 'success');
      return value;
    } catch (err) {
      this.observe(entry, performance.now() - start, safeClassify(classify, err));
      throw err;
    }
  }

  private observe(entry: ProviderEntry, ms: number, outcome: ProviderOutcome): void {
    let errors: CounterChild | undefined;
    switch (outcome) {
      case 'success':
        break;
      case 'timeout':
        errors = entry.timeouts;
        this.timeouts++;
        break;
      case 'rate_limit':
        errors = entry.rateLimits;
        this.rateLimits++;
        break;
      default:
        errors = entry.others;
        this.others++;
    }
    entry.requests.inc();
    entry.latency.observe(ms);
    this.total++;
    this.totalMs += ms;
    this.all.add(ms);
    if (errors === undefined) {
      entry.tracker.recordSuccess();
    } else {
      errors.inc();
      entry.tracker.recordFailure();
    }
  }

  private entry(provider: string): ProviderEntry {
    const found = this.providers.get(provider);
    if (found !== undefined) return found;
    if (typeof provider !== 'string' || provider === '') {
      throw new TypeError(
        `provider name must be a non-empty string, got ${JSON.stringify(provider) ?? 'nothing'}`,
      );
    }
    const entry = new ProviderEntry(
      this.requests.labels({ provider }),
      this.errors.labels({ provider, type: 'timeout' }),
      this.errors.labels({ provider, type: 'rate_limit' }),
      this.errors.labels({ provider, type: 'other' }),
      this.latency.labels({ provider }),
      this.health.labels({ provider }),
      new HealthTracker(this.healthOptions),
    );
    // Pool membership is what the caller declared; only the metrics fold into overflow series past maxSeries.
    this.providers.set(provider, entry);
    return entry;
  }

  collect(): ProviderPoolSnapshot {
    const providerHealth: Record<string, number> = {};
    let unhealthy = 0;
    for (const [name, e] of this.providers) {
      const h = e.tracker.health;
      e.health.set(h);
      providerHealth[name] = h;
      if (h === 0) unhealthy++;
    }
    const failed = this.timeouts + this.rateLimits + this.others;
    const n = this.total;
    const rate = (k: number): number | null => (n === 0 ? null : k / n);
    return {
      pool: { total: this.providers.size, active: this.providers.size - unhealthy, unhealthy },
      requests: { total: n, successful: n - failed, failed },
      latency_ms: {
        avg: n === 0 ? null : this.totalMs / n,
        p50: this.all.recent(0.5),
        p95: this.all.recent(0.95),
        p99: this.all.recent(0.99),
      },
      errors: {
        error_rate: rate(failed),
        timeout_rate: rate(this.timeouts),
        rate_limit_rate: rate(this.rateLimits),
      },
      provider_health: providerHealth,
    };
  }

  metrics(): readonly AnyMetric[] {
    return [this.health, this.requests, this.errors, this.latency];
  }
}

/** The caller's error must propagate unchanged, so a classifier that throws or answers nonsense means `other`. */
function safeClassify(classify: (err: unknown) => ProviderErrorType, err: unknown): ProviderErrorType {
  try {
    const type = classify(err);
    return (PROVIDER_ERROR_TYPES as readonly string[]).includes(type) ? type : 'other';
  } catch {
    return 'other';
  }
}
