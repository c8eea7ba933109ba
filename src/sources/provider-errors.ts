/**
 * Provider error classes: one closed set shared by every adapter and by `ProviderPoolMonitor.call`.
 *
 * | class         | from                                                                                   |
 * |---------------|----------------------------------------------------------------------------------------|
 * | `timeout`     | HTTP 408/504; `TimeoutError`, `APIConnectionTimeoutError`; `ETIMEDOUT`, undici timeouts  |
 * | `rate_limit`  | HTTP 429; `rate_limit_error`; a name, code or message saying "rate limit"               |
 * | `overloaded`  | HTTP 529/503; `overloaded_error`; a message saying "overloaded"                         |
 * | `auth`        | HTTP 401/403; `authentication_error`, `permission_error`                                |
 * | `bad_request` | HTTP 400/413/422 (context length included); `invalid_request_error`; MCP invalid params |
 * | `network`     | `APIConnectionError`; `ECONNRESET`, `ECONNREFUSED`, `UND_ERR_SOCKET`, a dropped stream   |
 * | `aborted`     | `AbortError`, `APIUserAbortError` (the caller gave up, not the provider)                |
 * | `other`       | anything else                                                                           |
 *
 * Retry wrappers (AI SDK `RetryError`, `AggregateError`) are unwrapped to their last cause, and wrappers that
 * say nothing themselves (a `TypeError: fetch failed`, an `APICallError` without a status) are read through
 * their `cause` chain. The function never throws: it only reads properties, guarded.
 */
import { PROVIDER_ERROR_TYPES, type ProviderErrorType } from '../metrics/catalog.ts';

export { PROVIDER_ERROR_TYPES, type ProviderErrorType };

/** Classifies an error thrown by an LLM SDK, a fetch or an MCP client into the closed set above. */
export function classifyProviderError(err: unknown): ProviderErrorType {
  try {
    return classify(err, 0);
  } catch {
    // A getter that throws on a hostile error object: the caller's error still propagates, as `other`.
    return 'other';
  }
}

/** Whether a value is one of the closed set's classes. */
export function isProviderErrorType(value: unknown): value is ProviderErrorType {
  return typeof value === 'string' && (PROVIDER_ERROR_TYPES as readonly string[]).includes(value);
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Classifies by the SDK's own classes first (robust to bundlers renaming them), then as classifyProviderError
 * does. The OpenAI and Anthropic SDKs share this hierarchy: a connection error is a timeout or an abort if its
 * cause says so, else a network error.
 */
export function classifySdkError(
  err: unknown,
  sdk: { abort: ErrorClass; timeout: ErrorClass; connection: ErrorClass },
): ProviderErrorType {
  if (err instanceof sdk.abort) return 'aborted';
  if (err instanceof sdk.timeout) return 'timeout';
  if (err instanceof sdk.connection) {
    const cause = classifyProviderError((err as { cause?: unknown }).cause);
    return cause === 'timeout' || cause === 'aborted' ? cause : 'network';
  }
  return classifyProviderError(err);
}

/**
 * Runs a caller-supplied classifier for an error the host will see unchanged: a classifier that throws or
 * answers outside the closed set means `other`.
 */
export function safeClassify(classify: (err: unknown) => ProviderErrorType, err: unknown): ProviderErrorType {
  try {
    const type = classify(err);
    return isProviderErrorType(type) ? type : 'other';
  } catch {
    return 'other';
  }
}

const MAX_DEPTH = 8;

function classify(err: unknown, depth: number): ProviderErrorType {
  if (err === null || typeof err !== 'object' || depth > MAX_DEPTH) return 'other';
  const e = err as Record<string, unknown>;
  // Retry wrappers: the last attempt's error is the one that decided the outcome.
  if ('lastError' in e && e.lastError !== undefined) return classify(e.lastError, depth + 1);
  if (Array.isArray(e.errors) && e.errors.length > 0 && !('status' in e)) {
    return classify(e.errors[e.errors.length - 1], depth + 1);
  }
  const own = classifyOwn(e);
  if (own !== 'other') return own;
  return 'cause' in e ? classify(e.cause, depth + 1) : 'other';
}

function classifyOwn(e: Record<string, unknown>): ProviderErrorType {
  const name = str(e.name);
  const ctor = typeof e.constructor === 'function' ? e.constructor.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const message = str(e.message);

  if (ABORT_NAMES.has(name) || ABORT_NAMES.has(ctor)) return 'aborted';
  if (TIMEOUT_NAMES.has(name) || TIMEOUT_NAMES.has(ctor) || TIMEOUT_CODES.has(code)) return 'timeout';

  const byStatus = classifyStatus(status(e));
  if (byStatus !== undefined) return byStatus;

  // Anthropic-style error bodies carry a type, also on errors raised mid-stream (no HTTP status then).
  const body = e.error as { type?: unknown; error?: { type?: unknown } } | undefined;
  const type = str(e.type) || str(body?.error?.type) || str(body?.type);
  const byType = ERROR_TYPES.get(type);
  if (byType !== undefined) return byType;

  if (typeof e.code === 'number') {
    const byRpc = MCP_CODES.get(e.code);
    if (byRpc !== undefined) return byRpc;
  }
  if (NETWORK_NAMES.has(name) || NETWORK_NAMES.has(ctor) || NETWORK_CODES.has(code)) return 'network';
  if (/timed?.?out/i.test(code)) return 'timeout';
  if (RATE_LIMIT_RE.test(name) || RATE_LIMIT_RE.test(code) || RATE_LIMIT_RE.test(message))
    return 'rate_limit';
  if (/overloaded/i.test(message) || /overloaded/i.test(code)) return 'overloaded';
  if (CONTEXT_RE.test(message) || CONTEXT_RE.test(code)) return 'bad_request';
  if (NETWORK_MESSAGE_RE.test(message)) return 'network';
  if (/^request timed out/i.test(message)) return 'timeout';
  return 'other';
}

function status(e: Record<string, unknown>): unknown {
  if (typeof e.status === 'number') return e.status;
  if (typeof e.statusCode === 'number') return e.statusCode;
  const response = e.response as { status?: unknown } | undefined;
  return typeof response === 'object' && response !== null ? response.status : undefined;
}

function classifyStatus(s: unknown): ProviderErrorType | undefined {
  switch (s) {
    case 429:
      return 'rate_limit';
    case 503:
    case 529:
      return 'overloaded';
    case 401:
    case 403:
      return 'auth';
    case 400:
    case 413:
    case 422:
      return 'bad_request';
    case 408:
    case 504:
      return 'timeout';
    default:
      return undefined;
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const ABORT_NAMES = new Set(['AbortError', 'APIUserAbortError']);
const TIMEOUT_NAMES = new Set([
  'TimeoutError',
  'APIConnectionTimeoutError',
  'ConnectTimeoutError',
  'HeadersTimeoutError',
  'BodyTimeoutError',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['APIConnectionError', 'SocketError']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const ERROR_TYPES = new Map<string, ProviderErrorType>([
  ['rate_limit_error', 'rate_limit'],
  ['overloaded_error', 'overloaded'],
  ['authentication_error', 'auth'],
  ['permission_error', 'auth'],
  ['invalid_request_error', 'bad_request'],
  ['request_too_large', 'bad_request'],
  ['timeout_error', 'timeout'],
]);
/** JSON-RPC codes of MCP errors (`ErrorCode` in the MCP SDK). */
const MCP_CODES = new Map<number, ProviderErrorType>([
  [-32001, 'timeout'], // RequestTimeout
  [-32000, 'network'], // ConnectionClosed
  [-32600, 'bad_request'], // InvalidRequest
  [-32601, 'bad_request'], // MethodNotFound
  [-32602, 'bad_request'], // InvalidParams
]);
const RATE_LIMIT_RE = /rate.?limit/i;
const CONTEXT_RE = /context.?length|context.?window|maximum context|too many tokens/i;
const NETWORK_MESSAGE_RE = /^(terminated|fetch failed|socket hang up|other side closed)$|^connection error/i;
