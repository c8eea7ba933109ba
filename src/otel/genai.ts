/**
 * The provider and tool series under the OpenTelemetry GenAI semantic conventions (development status), so
 * GenAI dashboards of an OTel backend read them without a mapping of their own. Each convention metric is
 * derived from one of our catalog series: same data, the convention's name, unit (seconds, `{token}`) and
 * attribute names.
 */
import type { Family } from '../metrics/parse.ts';

export interface GenAiMapping {
  /** The convention's metric name. */
  name: string;
  description: string;
  unit: string;
  /** Divides values and bucket bounds (1000: milliseconds to seconds; a division keeps 25 ms at 0.025 s). */
  divisor: number;
  /** Our label to the convention's attribute; labels not listed are dropped. */
  attributes: Record<string, string>;
  /** Attributes every point carries. */
  fixed?: Record<string, string>;
  /** Keeps only the samples whose labels pass (token types the convention defines). */
  keep?: (labels: Record<string, string>) => boolean;
}

/** Keyed by our catalog name, without the collector's prefix. */
export const GENAI_MAPPINGS: Readonly<Record<string, GenAiMapping>> = {
  provider_latency_ms: {
    name: 'gen_ai.client.operation.duration',
    description: 'GenAI operation duration.',
    unit: 's',
    divisor: 1000,
    attributes: { provider: 'gen_ai.provider.name' },
  },
  provider_time_to_first_chunk_ms: {
    name: 'gen_ai.client.operation.time_to_first_chunk',
    description: 'Time to receive the first chunk of a streamed response.',
    unit: 's',
    divisor: 1000,
    attributes: { provider: 'gen_ai.provider.name' },
  },
  provider_tokens_total: {
    name: 'gen_ai.client.token.usage',
    description: 'Number of input and output tokens used.',
    unit: '{token}',
    divisor: 1,
    attributes: {
      provider: 'gen_ai.provider.name',
      model: 'gen_ai.request.model',
      type: 'gen_ai.token.type',
    },
    // The convention's token types are input and output; cached_input and reasoning are parts of them and
    // would be counted twice by a backend that sums over gen_ai.token.type.
    keep: (labels) => labels['type'] === 'input' || labels['type'] === 'output',
  },
  tool_execution_duration_ms: {
    name: 'gen_ai.execute_tool.duration',
    description: 'Duration of tool executions.',
    unit: 's',
    divisor: 1000,
    attributes: { tool: 'gen_ai.tool.name' },
    fixed: { 'gen_ai.operation.name': 'execute_tool' },
  },
};

/**
 * The family's samples under the convention's attribute names, or undefined when no convention maps it. The
 * family keeps its own name (its samples' `_bucket`/`_sum` names depend on it); the caller names the metric.
 */
export function genAiFamily(
  family: Family,
  bareName: string,
): { mapping: GenAiMapping; family: Family } | undefined {
  const mapping = GENAI_MAPPINGS[bareName];
  if (mapping === undefined) return undefined;
  const samples = family.samples
    .filter((s) => mapping.keep === undefined || mapping.keep(s.labels))
    .map((s) => {
      const labels: Record<string, string> = { ...mapping.fixed };
      for (const [label, value] of Object.entries(s.labels)) {
        // `le` stays as is: histogramSeries reads the bounds from it before they are scaled.
        if (label === 'le') labels.le = value;
        else if (mapping.attributes[label] !== undefined) labels[mapping.attributes[label]] = value;
      }
      return { ...s, labels };
    });
  return { mapping, family: { ...family, samples } };
}
