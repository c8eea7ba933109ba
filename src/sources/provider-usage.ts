/**
 * LLM usage of the provider pool: tokens by provider, model and type, time to first chunk, requests by model,
 * and the measurement of one request from its start to its last chunk (`ProviderRequest`).
 *
 * Kept apart from the pool's request/error/health accounting so that the adapters' needs (streams, usage
 * read from the final chunk) do not weigh on `record()`/`call()`, which stay one numeric update.
 */
import { CATALOG, OVERFLOW_LABEL_VALUE, TOKEN_TYPES, type ProviderErrorType } from '../metrics/catalog.ts';
import { safeClassify } from './provider-errors.ts';
import { Counter, Histogram, type AnyMetric, type CounterChild } from '../metrics/primitives.ts';
import { DEFAULT_MAX_SERIES } from '../metrics/metric.ts';
import { QuantileTracker, type WindowClock } from '../metrics/sketch.ts';
import type { Percentiles } from '../collector/types.ts';

/** Tokens of one request as the provider reported them. Absent fields were not reported. */
export interface TokenUsage {
  /** All input (prompt) tokens, cached ones included. */
  input?: number | undefined;
  /** All output (completion) tokens, reasoning included. */
  output?: number | undefined;
  /** Input tokens read from the provider's prompt cache (part of `input`). */
  cachedInput?: number | undefined;
  /** Output tokens spent on reasoning (part of `output`). */
  reasoning?: number | undefined;
}

/** Token totals by type, as in the JSON summary. */
export type TokenTotals = { input: number; output: number; cached_input: number; reasoning: number };

export interface LlmUsageOptions {
  maxSeries?: number | undefined;
  windowMs?: number | undefined;
  clock?: WindowClock | undefined;
}

/** One provider/model pair's bound children. */
class ModelEntry {
  constructor(
    readonly model: string,
    readonly requests: CounterChild,
    readonly input: CounterChild,
    readonly output: CounterChild,
    readonly cachedInput: CounterChild,
    readonly reasoning: CounterChild,
  ) {}
  count = 0;
}

export class LlmUsage {
  readonly tokens: Counter<'provider' | 'model' | 'type'>;
  readonly firstChunk: Histogram<'provider'>;
  readonly modelRequests: Counter<'provider' | 'model'>;
  readonly totals: TokenTotals = { input: 0, output: 0, cached_input: 0, reasoning: 0 };

  /** Keyed by provider, then model; at most maxSeries pairs, the rest share one overflow model. */
  private readonly models = new Map<string, Map<string, ModelEntry>>();
  private pairs = 0;
  private readonly maxPairs: number;
  private readonly allFirstChunk: QuantileTracker;
  private firstChunkCount = 0;
  private firstChunkTotalMs = 0;

  constructor(options: LlmUsageOptions = {}) {
    const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    const window = { windowMs: options.windowMs, clock: options.clock };
    this.maxPairs = maxSeries;
    this.tokens = new Counter(CATALOG.providerTokens, { maxSeries: TOKEN_TYPES.length * (maxSeries + 1) });
    this.firstChunk = new Histogram(CATALOG.providerTimeToFirstChunk, { maxSeries, ...window });
    this.modelRequests = new Counter(CATALOG.providerModelRequests, { maxSeries: maxSeries + 1 });
    this.allFirstChunk = new QuantileTracker(window);
  }

  /** The bound children of a provider/model pair; past the limit, the provider's overflow model. */
  model(provider: string, model: string): ModelEntry {
    let byModel = this.models.get(provider);
    if (byModel === undefined) {
      byModel = new Map();
      this.models.set(provider, byModel);
    }
    const found = byModel.get(model);
    if (found !== undefined) return found;
    const name = this.pairs >= this.maxPairs ? OVERFLOW_LABEL_VALUE : model;
    const entry = byModel.get(name) ?? this.bind(provider, name);
    if (name === model) this.pairs++;
    byModel.set(name, entry);
    return entry;
  }

  private bind(provider: string, model: string): ModelEntry {
    // provider or model '' is an overflow name: childFor picks the overflow series for it.
    const t = (type: string): CounterChild => this.tokens.childFor({ provider, model, type });
    return new ModelEntry(
      model,
      this.modelRequests.childFor({ provider, model }),
      t('input'),
      t('output'),
      t('cached_input'),
      t('reasoning'),
    );
  }

  /** Counts one request of a known model and its tokens (fields that are not finite counts are skipped). */
  recordRequest(provider: string, model: string, usage: TokenUsage | undefined): void {
    const entry = this.model(provider, model);
    entry.requests.inc();
    entry.count++;
    if (usage === undefined) return;
    const { input, output, cachedInput, reasoning } = usage;
    if (isCount(input)) {
      entry.input.inc(input);
      this.totals.input += input;
    }
    if (isCount(output)) {
      entry.output.inc(output);
      this.totals.output += output;
    }
    if (isCount(cachedInput)) {
      entry.cachedInput.inc(cachedInput);
      this.totals.cached_input += cachedInput;
    }
    if (isCount(reasoning)) {
      entry.reasoning.inc(reasoning);
      this.totals.reasoning += reasoning;
    }
  }

  observeFirstChunk(provider: string, ms: number): void {
    this.firstChunk.childFor({ provider }).observe(ms);
    this.allFirstChunk.add(ms);
    this.firstChunkCount++;
    this.firstChunkTotalMs += ms;
  }

  /** Forgets a provider's series (its models and first-chunk histogram). Totals are kept. */
  removeProvider(provider: string): void {
    const byModel = this.models.get(provider);
    if (byModel !== undefined) {
      for (const model of byModel.keys()) {
        this.modelRequests.remove({ provider, model });
        for (const type of TOKEN_TYPES) this.tokens.remove({ provider, model, type });
        if (model !== OVERFLOW_LABEL_VALUE) this.pairs--;
      }
      this.models.delete(provider);
    }
    this.firstChunk.remove({ provider });
  }

  /** Requests per model, summed over providers. */
  requestsByModel(): Record<string, number> {
    // No prototype: a model named __proto__ is an ordinary key.
    const out = Object.create(null) as Record<string, number>;
    for (const byModel of this.models.values()) {
      for (const [model, e] of byModel) out[model] = (out[model] ?? 0) + e.count;
    }
    return out;
  }

  firstChunkPercentiles(): Percentiles {
    const n = this.firstChunkCount;
    return {
      avg: n === 0 ? null : this.firstChunkTotalMs / n,
      p50: this.allFirstChunk.recent(0.5),
      p95: this.allFirstChunk.recent(0.95),
      p99: this.allFirstChunk.recent(0.99),
    };
  }

  metrics(): readonly AnyMetric[] {
    return [this.modelRequests, this.tokens, this.firstChunk];
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && v >= 0 && v < Infinity;
}

/** Adds the fields of `next` that are present over those of `base` (later reports win, field by field). */
export function mergeUsage(base: TokenUsage | undefined, next: TokenUsage): TokenUsage {
  if (base === undefined) return { ...next };
  if (next.input !== undefined) base.input = next.input;
  if (next.output !== undefined) base.output = next.output;
  if (next.cachedInput !== undefined) base.cachedInput = next.cachedInput;
  if (next.reasoning !== undefined) base.reasoning = next.reasoning;
  return base;
}

/** What the pool does when a request ends; called at most once per request. */
export type RequestEnd = (
  request: ProviderRequest,
  durationMs: number,
  outcome: 'success' | ProviderErrorType,
) => void;

/**
 * One provider request being measured: from its start to its last chunk, with the time to its first chunk,
 * its model and its token usage. Ends once (`succeed` or `fail`); later calls are ignored, so an adapter can
 * end it from several paths (stream end, stream error, consumer cancel) without double counting.
 */
export class ProviderRequest {
  readonly startedAt = performance.now();
  /** Time to the first chunk in ms, or -1 before any chunk. */
  firstChunkMs = -1;
  model: string | undefined;
  usage: TokenUsage | undefined;
  private ended = false;

  constructor(
    readonly provider: string,
    model: string | undefined,
    private readonly end: RequestEnd,
    private readonly classify: (err: unknown) => ProviderErrorType,
  ) {
    this.model = model;
  }

  get done(): boolean {
    return this.ended;
  }

  /** Marks a chunk's arrival; only the first one sets the time to first chunk. */
  chunk(): void {
    if (this.firstChunkMs < 0) this.firstChunkMs = performance.now() - this.startedAt;
  }

  /** Adds token usage reported so far (fields present override earlier ones). */
  addUsage(usage: TokenUsage | undefined): void {
    if (usage !== undefined && usage !== null) this.usage = mergeUsage(this.usage, usage);
  }

  /** Sets the model if none is known yet (the request's own model wins over what a response reports). */
  setModel(model: unknown): void {
    if (this.model === undefined && typeof model === 'string' && model !== '') this.model = model;
  }

  succeed(): void {
    if (this.ended) return;
    this.ended = true;
    this.end(this, performance.now() - this.startedAt, 'success');
  }

  /** Ends the request as failed, classifying `err`; the caller rethrows `err` itself. */
  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.end(this, performance.now() - this.startedAt, safeClassify(this.classify, err));
  }
}

/** Reads model and usage from a chunk or a result, for one SDK. */
export interface ResponseReader<C> {
  /** Token usage carried by this chunk or result, if any. */
  usage?: ((chunk: C) => TokenUsage | undefined) | undefined;
  /** The model this chunk or result names, if any (used when the request named none). */
  modelOf?: ((chunk: C) => string | undefined) | undefined;
}

/** Runs a reader's function; a reader that throws on an unexpected shape reads nothing. */
function read<C, R>(fn: ((chunk: C) => R | undefined) | undefined, chunk: C): R | undefined {
  if (fn === undefined) return undefined;
  try {
    return fn(chunk);
  } catch {
    return undefined;
  }
}

/** Applies a reader to one chunk or result. */
export function readInto<C>(request: ProviderRequest, reader: ResponseReader<C>, chunk: C): void {
  request.addUsage(read(reader.usage, chunk));
  request.setModel(read(reader.modelOf, chunk));
}

/**
 * Measures an async-iterable stream in place: the same object is returned, its `Symbol.asyncIterator` is
 * replaced on the instance by one that passes every chunk through unchanged while marking the first chunk,
 * reading usage and ending the request when the stream ends, fails or the consumer stops early (a success:
 * the consumer chose to stop). A value that is not async-iterable ends the request as it is.
 */
export function measureStream<S, C>(stream: S, request: ProviderRequest, reader: ResponseReader<C>): S {
  const original =
    stream !== null && typeof stream === 'object'
      ? (stream as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator]
      : undefined;
  if (typeof original !== 'function') {
    readInto(request, reader, stream as unknown as C);
    request.succeed();
    return stream;
  }
  const iterate = original as (this: S) => AsyncIterator<C>;
  try {
    Object.defineProperty(stream, Symbol.asyncIterator, {
      configurable: true,
      writable: true,
      value: function measuredIterator(this: S): AsyncIterator<C> {
        return measuredIteratorOf(iterate.call(this), request, reader);
      },
    });
  } catch {
    // A frozen stream cannot be measured in place: it is handed over as it is, counted once now.
    request.succeed();
  }
  return stream;
}

function measuredIteratorOf<C>(
  it: AsyncIterator<C>,
  request: ProviderRequest,
  reader: ResponseReader<C>,
): AsyncIterator<C> & AsyncIterable<C> {
  return {
    async next(...args: [] | [unknown]): Promise<IteratorResult<C>> {
      let result: IteratorResult<C>;
      try {
        result = await it.next(...args);
      } catch (err) {
        request.fail(err);
        throw err;
      }
      if (result.done === true) {
        request.succeed();
      } else {
        request.chunk();
        readInto(request, reader, result.value);
      }
      return result;
    },
    async return(value?: unknown): Promise<IteratorResult<C>> {
      request.succeed();
      return it.return ? it.return(value) : { done: true, value: value as C };
    },
    async throw(err?: unknown): Promise<IteratorResult<C>> {
      request.fail(err);
      if (it.throw) return it.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
