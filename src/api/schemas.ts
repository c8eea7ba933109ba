/**
 * JSON Schemas of the original API's wire contract, declared once: the OpenAPI document is built
 * from them and the tests check responses against the field lists they name.
 *
 * A value that can be unknown is declared `type: ['number', 'null']` (`null`, never a fake 0). Maps keyed by
 * runtime names (`provider_health`, `tool_metrics`, extra bootstrap phases) are declared through
 * `additionalProperties`, and every category object allows additional fields (ours may add fields, never
 * rename them).
 */

import { PROVIDER_ERROR_TYPES } from '../metrics/catalog.ts';

export type JsonSchema = Record<string, unknown>;

const num = { type: 'number' } as const;
const nullableNum = { type: ['number', 'null'] } as const;
const int = { type: 'integer', minimum: 0 } as const;

/** An object whose listed fields are all required, with room for additions. */
function obj(properties: Record<string, JsonSchema>, extra: JsonSchema | boolean = true): JsonSchema {
  return { type: 'object', properties, required: Object.keys(properties), additionalProperties: extra };
}

function fields(names: readonly string[], schema: JsonSchema): Record<string, JsonSchema> {
  return Object.fromEntries(names.map((n) => [n, schema]));
}

const percentiles = obj(fields(['avg', 'p50', 'p95', 'p99'], nullableNum));
const namespaces = ['query', 'context', 'rl'] as const;

export const toolSelectionProperties: Record<string, JsonSchema> = {
  hit_rates: obj(fields([...namespaces, 'overall'], nullableNum)),
  latency_ms: percentiles,
  latency_saved_ms: obj({ total: num, avg_per_hit: nullableNum }),
  operations: obj(fields(['hits', 'misses', 'evictions'], int)),
  entries: obj(fields([...namespaces, 'total'], int)),
  utilization: obj(fields([...namespaces, 'overall'], num)),
};

const cacheMemory = obj({ bytes: num, mb: num });
const cacheRates = obj(fields(['hit', 'miss', 'eviction'], nullableNum));

export const schemas = {
  tool_selection: obj(toolSelectionProperties),

  cache: obj({
    memory: cacheMemory,
    entries: obj({ total: int, active: int }),
    operations: obj(fields(['lookups', 'hits', 'misses', 'evictions'], int)),
    rates: cacheRates,
  }),

  /** `/api/performance/cache`: the tool-selection object plus the cache's memory and rates. */
  cache_endpoint: obj({ ...toolSelectionProperties, memory: cacheMemory, rates: cacheRates }),

  bootstrap: obj({
    startup_time: obj({ ms: nullableNum, seconds: nullableNum }),
    // Extra named phases are kept: additionalProperties carries them, with the same type.
    phases: obj(
      fields(
        [
          'container_bootstrap_ms',
          'service_registration_ms',
          'provider_initialization_ms',
          'tool_loading_ms',
          'cache_warming_ms',
        ],
        nullableNum,
      ),
      nullableNum,
    ),
    lazy_loading: obj({
      load_count: int,
      total_time_ms: num,
      avg_time_ms: nullableNum,
      first_access_overhead_ms: nullableNum,
    }),
  }),

  provider_pool: obj({
    pool: obj(fields(['total', 'active', 'unhealthy'], int)),
    requests: obj(fields(['total', 'successful', 'failed'], int)),
    latency_ms: percentiles,
    errors: obj(
      fields(['error_rate', ...PROVIDER_ERROR_TYPES.map((t) => `${t}_rate` as const)], nullableNum),
    ),
    provider_health: { type: 'object', additionalProperties: { type: 'number', minimum: 0, maximum: 1 } },
    tokens: obj(fields(['input', 'output', 'cached_input', 'reasoning'], num)),
    time_to_first_chunk_ms: percentiles,
    requests_by_model: { type: 'object', additionalProperties: int },
  }),

  tool_execution: obj({
    executions: obj(fields(['total', 'successful', 'failed'], int)),
    duration_ms: percentiles,
    errors: obj({ error_rate: nullableNum }),
    top_tools: {
      type: 'array',
      items: obj({ tool: { type: 'string' }, executions: int, failed: int, avg_time_ms: nullableNum }),
    },
    tool_metrics: {
      type: 'object',
      additionalProperties: obj({
        total_calls: int,
        successful_calls: int,
        failed_calls: int,
        total_time_ms: num,
        avg_time_ms: nullableNum,
        min_time_ms: nullableNum,
        max_time_ms: nullableNum,
      }),
    },
  }),

  system: obj({
    memory: obj(fields(['used_bytes', 'used_mb', 'used_gb', 'available_bytes', 'available_mb'], num)),
    cpu: obj({ percent: nullableNum, count: int }),
    uptime: obj(fields(['seconds', 'minutes', 'hours'], num)),
    threads: obj({ active: nullableNum }),
    heap: obj({ used_bytes: num, total_bytes: num }),
    event_loop: obj({ delay_p99_ms: nullableNum, utilization: nullableNum }),
  }),
} satisfies Record<string, JsonSchema>;

/** A category inside the summary: null when its source failed in this collection. */
function nullable(schema: JsonSchema): JsonSchema {
  return { ...schema, type: ['object', 'null'] };
}

export const sourceErrorSchema = obj({ source: { type: 'string' }, message: { type: 'string' } });

export const summarySchema = obj({
  timestamp: { type: 'string', format: 'date-time' },
  tool_selection: nullable(schemas.tool_selection),
  cache: nullable(schemas.cache),
  bootstrap: nullable(schemas.bootstrap),
  provider_pool: nullable(schemas.provider_pool),
  tool_execution: nullable(schemas.tool_execution),
  system: nullable(schemas.system),
  // The application's own metrics by name (collector.counter/gauge/histogram): type, unit, help, series.
  custom: { type: 'object', additionalProperties: { type: 'object', additionalProperties: true } },
  health_score: { type: ['number', 'null'], minimum: 0, maximum: 100 },
  errors: { type: 'array', items: sourceErrorSchema },
});

/** Every error answer, whoever gives it (route, guard, router): 400, 401, 404, 405, 421, 500, 502, 503. */
export const errorSchema: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'the status title' },
    message: { type: 'string', description: 'what went wrong and what to do about it' },
    source: { type: 'string', description: 'on a 503: the source that failed' },
  },
  required: ['error', 'message'],
};

export const probeSchema = obj({ status: { type: 'string' } });
