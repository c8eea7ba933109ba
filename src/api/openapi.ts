/**
 * The OpenAPI 3.1 document of the routes, built from the same schemas Fastify serializes with, so the
 * document cannot drift from what is served. (3.1 because it takes JSON Schema as is, `type: [..., 'null']`
 * included.)
 */
import { errorSchema, type JsonSchema } from './schemas.ts';

export interface DocumentedRoute {
  path: string;
  operationId: string;
  summary: string;
  /** JSON body schema, or a media type for text answers. */
  body: JsonSchema | { mediaType: string };
  protected: boolean;
  /** The route may answer 503 naming a failed source. */
  canFail?: boolean;
}

function content(body: DocumentedRoute['body']): Record<string, unknown> {
  if ('mediaType' in body && typeof body.mediaType === 'string') {
    return { [body.mediaType]: { schema: { type: 'string' } } };
  }
  return { 'application/json': { schema: body } };
}

export function openApiDocument(
  routes: readonly DocumentedRoute[],
  version: string,
): Record<string, unknown> {
  const error = { 'application/json': { schema: errorSchema } };
  const paths: Record<string, unknown> = {};
  for (const r of routes) {
    const responses: Record<string, unknown> = { 200: { description: 'OK', content: content(r.body) } };
    if (r.protected) {
      responses[401] = { description: 'Missing or invalid bearer token', content: error };
    }
    if (r.canFail) {
      responses[503] = {
        description: 'The source behind this category failed; the body names it',
        content: error,
      };
    }
    paths[r.path] = {
      get: {
        operationId: r.operationId,
        summary: r.summary,
        responses,
        ...(r.protected ? { security: [{ bearer: [] }] } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'victor-perf',
      version,
      description:
        'Performance metrics of an AI agent runtime: tool selection cache, tool selection, provider pool, ' +
        'tool execution, bootstrap and system. `null` marks a value that cannot be known yet.',
    },
    paths,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
