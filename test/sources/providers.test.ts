import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/metrics/sketch.ts';
import {
  HealthTracker,
  ProviderPoolMonitor,
  classifyProviderError,
  type ProviderOutcome,
} from '../../src/sources/providers.ts';
import { near, render } from './helpers.ts';

describe('HealthTracker', () => {
  it('opens after 5 consecutive failures, half-opens after the cool-down, and a probe decides', () => {
    const clock = new ManualClock(1_000);
    const t = new HealthTracker({ clock });
    for (let i = 0; i < 4; i++) t.recordFailure();
    expect([t.state, t.health, t.available]).toEqual(['closed', 1, true]);
    t.recordFailure();
    expect([t.state, t.health, t.available]).toEqual(['open', 0, false]);

    clock.advance(29_999);
    expect(t.state).toBe('open');
    clock.advance(1);
    expect([t.state, t.health, t.available]).toEqual(['half_open', 0.5, true]);

    // A failed probe re-opens at once, for another full cool-down.
    t.recordFailure();
    expect([t.state, t.health]).toEqual(['open', 0]);
    clock.advance(29_999);
    expect(t.state).toBe('open');
    clock.advance(1);
    expect(t.state).toBe('half_open');

    t.recordSuccess();
    expect([t.state, t.health, t.available]).toEqual(['closed', 1, true]);
    // Closed again: it takes 5 new consecutive failures to open.
    for (let i = 0; i < 4; i++) t.recordFailure();
    expect(t.state).toBe('closed');
  });

  it('only counts consecutive failures', () => {
    const t = new HealthTracker({ clock: new ManualClock(), failureThreshold: 3 });
    t.recordFailure();
    t.recordFailure();
    t.recordSuccess();
    t.recordFailure();
    t.recordFailure();
    expect(t.state).toBe('closed');
    t.recordFailure();
    expect(t.state).toBe('open');
  });

  it('rejects bad options with the bad value', () => {
    expect(() => new HealthTracker({ failureThreshold: 0 })).toThrow(/failureThreshold .* got 0/);
    expect(() => new HealthTracker({ cooldownMs: -1 })).toThrow(/cooldownMs .* got -1/);
    expect(() => new ProviderPoolMonitor({ cooldownMs: NaN })).toThrow(/got NaN/);
  });
});

describe('classifyProviderError', () => {
  it('recognises timeouts, rate limits and the rest', () => {
    expect(classifyProviderError(Object.assign(new Error('connect'), { code: 'ETIMEDOUT' }))).toBe('timeout');
    expect(classifyProviderError(new DOMException('aborted', 'AbortError'))).toBe('aborted');
    expect(classifyProviderError(new DOMException('slow', 'TimeoutError'))).toBe('timeout');
    expect(classifyProviderError(Object.assign(new Error('x'), { name: 'TimeoutError' }))).toBe('timeout');
    expect(classifyProviderError(Object.assign(new Error('Too Many Requests'), { status: 429 }))).toBe(
      'rate_limit',
    );
    expect(classifyProviderError({ statusCode: 429 })).toBe('rate_limit');
    expect(classifyProviderError({ response: { status: 429 } })).toBe('rate_limit');
    expect(classifyProviderError(new Error('Rate limit reached for gpt-4'))).toBe('rate_limit');
    expect(classifyProviderError(Object.assign(new Error('x'), { code: 'rate_limit_exceeded' }))).toBe(
      'rate_limit',
    );
    expect(classifyProviderError(Object.assign(new Error('x'), { name: 'RateLimitError' }))).toBe(
      'rate_limit',
    );
    expect(classifyProviderError(Object.assign(new Error('bad request'), { status: 400 }))).toBe(
      'bad_request',
    );
    expect(classifyProviderError(new Error('boom'))).toBe('other');
    expect(classifyProviderError('a string')).toBe('other');
    expect(classifyProviderError(null)).toBe('other');
    expect(classifyProviderError(undefined)).toBe('other');
  });
});

describe('ProviderPoolMonitor', () => {
  it('counts requests, errors by type and latency across the pool', () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    m.addProvider('anthropic');
    m.addProvider('openai');
    m.addProvider('local');
    const outcomes: Array<[string, number, ProviderOutcome]> = [
      ['anthropic', 100, 'success'],
      ['anthropic', 200, 'success'],
      ['anthropic', 300, 'timeout'],
      ['openai', 400, 'rate_limit'],
      ['openai', 500, 'success'],
      ['openai', 600, 'other'],
      ['openai', 700, 'success'],
      ['openai', 800, 'success'],
    ];
    for (const [p, ms, o] of outcomes) m.record(p, ms, o);
    const s = m.collect();
    expect(s.pool).toEqual({ total: 3, active: 3, unhealthy: 0 });
    expect(s.requests).toEqual({ total: 8, successful: 5, failed: 3 });
    expect(s.errors).toMatchObject({ error_rate: 3 / 8, timeout_rate: 1 / 8, rate_limit_rate: 1 / 8 });
    expect(s.errors.other_rate).toBe(1 / 8);
    expect(s.errors.overloaded_rate).toBe(0);
    expect(s.latency_ms.avg).toBe(450);
    // Ranks over 8 requests: P50 -> index 3 (400 ms), P95 and P99 -> index 6 (700 ms).
    near(s.latency_ms.p50, 400);
    near(s.latency_ms.p95, 700);
    near(s.latency_ms.p99, 700);
    expect(s.provider_health).toEqual({ anthropic: 1, openai: 1, local: 1 });
  });

  it('has null rates and percentiles before any request', () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    m.addProvider('openai');
    const s = m.collect();
    for (const rate of Object.values(s.errors)) expect(rate).toBeNull();
    expect(Object.keys(s.errors)).toHaveLength(9);
    expect(s.latency_ms).toEqual({ avg: null, p50: null, p95: null, p99: null });
    expect(s.provider_health).toEqual({ openai: 1 });
  });

  it('reports open circuits as unhealthy and skips them until the cool-down ends', () => {
    const clock = new ManualClock();
    const m = new ProviderPoolMonitor({ clock, failureThreshold: 2, cooldownMs: 10_000 });
    m.addProvider('a');
    m.addProvider('b');
    m.record('a', 5, 'timeout');
    m.record('a', 5, 'timeout');
    expect(m.isAvailable('a')).toBe(false);
    expect(m.isAvailable('b')).toBe(true);
    expect(m.isAvailable('never-seen')).toBe(true);
    let s = m.collect();
    expect(s.pool).toEqual({ total: 2, active: 1, unhealthy: 1 });
    expect(s.provider_health).toEqual({ a: 0, b: 1 });
    expect(render(m)).toContain('victor_provider_health{provider="a"} 0\n');

    clock.advance(10_000);
    expect(m.circuitState('a')).toBe('half_open');
    s = m.collect();
    expect(s.pool).toEqual({ total: 2, active: 2, unhealthy: 0 });
    expect(render(m)).toContain('victor_provider_health{provider="a"} 0.5\n');

    m.record('a', 5, 'success');
    expect(m.collect().provider_health.a).toBe(1);
  });

  it('times calls, classifies and rethrows errors unchanged', async () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    await expect(m.call('openai', async () => 'hi')).resolves.toBe('hi');
    const limited = Object.assign(new Error('Too Many Requests'), { status: 429 });
    await expect(
      m.call('openai', async () => {
        throw limited;
      }),
    ).rejects.toBe(limited);
    const custom = new Error('quota');
    await expect(
      m.call('openai', () => Promise.reject(custom), {
        classify: (e) => (e === custom ? 'rate_limit' : 'other'),
      }),
    ).rejects.toBe(custom);
    // A broken classifier must not mask the provider's error.
    const original = new Error('original');
    await expect(
      m.call('openai', () => Promise.reject(original), {
        classify: () => {
          throw new Error('classifier bug');
        },
      }),
    ).rejects.toBe(original);

    const slow = m.wrap('anthropic', async (prompt: string) => {
      await new Promise((r) => setTimeout(r, 30));
      return prompt.toUpperCase();
    });
    await expect(slow('hello')).resolves.toBe('HELLO');

    const s = m.collect();
    expect(s.requests).toEqual({ total: 5, successful: 2, failed: 3 });
    expect(s.errors.rate_limit_rate).toBe(2 / 5);
    expect(s.errors.timeout_rate).toBe(0);
    expect(s.pool.total).toBe(2);
    const text = render(m);
    expect(text).toContain('victor_provider_errors_total{provider="openai",type="rate_limit"} 2\n');
    expect(text).toContain('victor_provider_errors_total{provider="openai",type="other"} 1\n');
    expect(text).toContain('victor_provider_requests_total{provider="anthropic"} 1\n');
    expect(m.latency.labels({ provider: 'anthropic' }).min).toBeGreaterThanOrEqual(25);
  });

  it('removes a provider from the pool and the exposition, keeping pool totals', () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    m.record('a', 10, 'success');
    m.record('b', 20, 'other');
    m.removeProvider('b');
    m.removeProvider('never-added');
    const s = m.collect();
    expect(s.pool.total).toBe(1);
    expect(s.provider_health).toEqual({ a: 1 });
    expect(s.requests.total).toBe(2);
    expect(render(m)).not.toContain('provider="b"');
  });

  it('rejects bad input with errors naming the bad value', async () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    expect(() => m.record('openai', NaN, 'success')).toThrow(
      /provider "openai": latency must be a finite number >= 0 ms, got NaN/,
    );
    expect(() => m.record('openai', -1, 'success')).toThrow(/got -1/);
    expect(() => m.record('openai', 5, 'throttled' as ProviderOutcome)).toThrow(
      /unknown outcome "throttled"; expected success, timeout, rate_limit, overloaded, auth, bad_request, network, aborted, other/,
    );
    expect(() => m.record('', 5, 'success')).toThrow(/provider name must be a non-empty string, got ""/);
    expect(() => m.addProvider(7 as unknown as string)).toThrow(/got 7/);
    await expect(m.call('', async () => 1)).rejects.toThrow(/non-empty string/);
    // Nothing was counted or added by the rejected calls.
    const s = m.collect();
    expect(s.requests.total).toBe(0);
    expect(s.pool.total).toBe(0);
  });

  it('renders every family in the text format', () => {
    const m = new ProviderPoolMonitor({ clock: new ManualClock() });
    m.record('openai', 42, 'success');
    m.record('openai', 12_000, 'timeout');
    const text = render(m);
    expect(text).toContain(
      '# TYPE victor_provider_health gauge\nvictor_provider_health{provider="openai"} 1\n',
    );
    expect(text).toContain('victor_provider_requests_total{provider="openai"} 2\n');
    expect(text).toContain('victor_provider_errors_total{provider="openai",type="timeout"} 1\n');
    expect(text).toContain('victor_provider_errors_total{provider="openai",type="other"} 0\n');
    expect(text).toContain('victor_provider_latency_ms_bucket{provider="openai",le="50"} 1\n');
    expect(text).toContain('victor_provider_latency_ms_bucket{provider="openai",le="10000"} 1\n');
    expect(text).toContain('victor_provider_latency_ms_bucket{provider="openai",le="+Inf"} 2\n');
    expect(text).toContain('victor_provider_latency_ms_sum{provider="openai"} 12042\n');
  });
});
