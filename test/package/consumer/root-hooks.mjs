// Module hooks that refuse what the root entry must not load: an HTTP framework, a YAML parser, the demo,
// the server, the dashboard or the monitoring generators.
const FORBIDDEN =
  /^(fastify|yaml|@fastify\/.*)$|\/victor-perf\/dist\/(api|web|demo|stack|server|fastify|monitoring|cli)\//;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (FORBIDDEN.test(specifier) || FORBIDDEN.test(resolved.url)) {
    throw new Error(`the root entry loaded ${specifier} (${resolved.url})`);
  }
  return resolved;
}
