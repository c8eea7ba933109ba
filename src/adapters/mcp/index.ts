/**
 * `victor-perf/mcp`: measure Model Context Protocol tool calls, on either side (`@modelcontextprotocol/sdk`
 * is an optional peer dependency of this entry point only, used for types).
 *
 * - Client: `instrumentMcpClient(client, tools)` makes every `client.callTool(...)` one tool execution, named
 *   after the tool. A result with `isError: true` is a failure (the tool ran and reported an error); a thrown
 *   protocol error is a failure too, and, with `pool`, the call is also a request to the MCP server counted
 *   in the provider pool, its error classified (timeout, network, bad_request...).
 * - Server: `instrumentMcpServer(server, tools)` measures the handlers of tools registered afterwards with
 *   `registerTool` or `tool`, so a server measures the tools it serves.
 *
 * Both patch the instance they are given (a method of its own replacing the prototype's) and return it:
 * `callTool` keeps its signature, and results and errors reach the caller unchanged.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ProviderPoolMonitor } from '../../sources/providers.ts';
import type { ToolExecutionMonitor } from '../../sources/tools.ts';

export interface McpClientOptions {
  /** Also count each call as a request to the MCP server in this pool, errors classified. */
  pool?: ProviderPoolMonitor | undefined;
  /** Provider label of the MCP server in the pool (default `mcp`). */
  provider?: string | undefined;
}

function isErrorResult(result: unknown): boolean {
  return result !== null && typeof result === 'object' && (result as { isError?: unknown }).isError === true;
}

function checkMonitor(monitor: ToolExecutionMonitor, where: string): void {
  if (monitor === null || typeof monitor !== 'object' || typeof monitor.record !== 'function') {
    throw new TypeError(`${where}: \`tools\` must be a ToolExecutionMonitor`);
  }
}

/** Records one execution; a bad tool name from the caller is the caller's problem, never thrown from here. */
function recordTool(monitor: ToolExecutionMonitor, name: unknown, start: number, ok: boolean): void {
  try {
    monitor.record(typeof name === 'string' && name !== '' ? name : 'unknown', performance.now() - start, ok);
  } catch {
    // Nothing recorded: the host's call goes on.
  }
}

/** Makes `client.callTool` a measured tool execution. Returns the same client. */
export function instrumentMcpClient<C extends Pick<Client, 'callTool'>>(
  client: C,
  tools: ToolExecutionMonitor,
  options: McpClientOptions = {},
): C {
  checkMonitor(tools, 'instrumentMcpClient');
  const { pool } = options;
  const provider = options.provider ?? 'mcp';
  if (pool !== undefined) pool.addProvider(provider); // validates the label now
  const original = client.callTool.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const callTool = async (...args: unknown[]): Promise<unknown> => {
    const name = (args[0] as { name?: unknown } | undefined)?.name;
    const start = performance.now();
    const request = pool?.start(provider);
    let result: unknown;
    try {
      result = await original(...args);
    } catch (err) {
      recordTool(tools, name, start, false);
      request?.fail(err);
      throw err;
    }
    recordTool(tools, name, start, !isErrorResult(result));
    request?.succeed(); // the server answered: a tool's own error is not the server's
    return result;
  };
  Object.defineProperty(client, 'callTool', { value: callTool, configurable: true, writable: true });
  return client;
}

type Handler = (...args: unknown[]) => unknown;

function measuredHandler(name: string, handler: Handler, tools: ToolExecutionMonitor): Handler {
  return async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const start = performance.now();
    let result: unknown;
    try {
      result = await handler.apply(this, args);
    } catch (err) {
      recordTool(tools, name, start, false);
      throw err;
    }
    recordTool(tools, name, start, !isErrorResult(result));
    return result;
  };
}

/**
 * Measures the handlers of tools registered on `server` from now on (`registerTool` and `tool`), under the
 * name they are registered with. Returns the same server.
 */
export function instrumentMcpServer<S extends Pick<McpServer, 'registerTool' | 'tool'>>(
  server: S,
  tools: ToolExecutionMonitor,
): S {
  checkMonitor(tools, 'instrumentMcpServer');
  const register = server.registerTool.bind(server) as (...args: unknown[]) => unknown;
  const tool = server.tool.bind(server) as (...args: unknown[]) => unknown;
  // The handler is the last argument in every overload of both methods.
  const withMeasuredHandler = (args: unknown[]): unknown[] => {
    const last = args.length - 1;
    const name = args[0];
    if (typeof name !== 'string' || typeof args[last] !== 'function') return args;
    const copy = args.slice();
    copy[last] = measuredHandler(name, args[last] as Handler, tools);
    return copy;
  };
  Object.defineProperty(server, 'registerTool', {
    value: (...args: unknown[]) => register(...withMeasuredHandler(args)),
    configurable: true,
    writable: true,
  });
  Object.defineProperty(server, 'tool', {
    value: (...args: unknown[]) => tool(...withMeasuredHandler(args)),
    configurable: true,
    writable: true,
  });
  return server;
}
