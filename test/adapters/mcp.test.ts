import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { instrumentMcpClient, instrumentMcpServer } from '../../src/adapters/mcp/index.ts';
import { ManualClock } from '../../src/metrics/sketch.ts';
import { ProviderPoolMonitor } from '../../src/sources/providers.ts';
import { ToolExecutionMonitor } from '../../src/sources/tools.ts';
import { render } from '../sources/helpers.ts';

let server: McpServer;
let client: Client;
let served: ToolExecutionMonitor;
let called: ToolExecutionMonitor;
let pool: ProviderPoolMonitor;

beforeEach(async () => {
  served = new ToolExecutionMonitor({ clock: new ManualClock() });
  called = new ToolExecutionMonitor({ clock: new ManualClock() });
  pool = new ProviderPoolMonitor({ clock: new ManualClock() });
  server = instrumentMcpServer(new McpServer({ name: 'tools', version: '1.0.0' }), served);
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('refuses', {}, async () => ({
    content: [{ type: 'text', text: 'no' }],
    isError: true,
  }));
  server.tool('throws', async () => {
    throw new Error('tool crashed');
  });
  server.registerTool('slow', {}, async () => {
    await new Promise((r) => setTimeout(r, 300));
    return { content: [{ type: 'text', text: 'late' }] };
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  client = instrumentMcpClient(new Client({ name: 'agent', version: '1.0.0' }), called, {
    pool,
    provider: 'mcp-tools',
  });
  await Promise.all([server.connect(a), client.connect(b)]);
});
afterEach(async () => {
  await client.close();
  await server.close();
});

describe('victor-perf/mcp', () => {
  it('measures callTool on the client and the handlers on the server; isError is a failure', async () => {
    const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(echoed).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    const refused = await client.callTool({ name: 'refuses', arguments: {} });
    expect(refused.isError).toBe(true);
    const crashed = await client.callTool({ name: 'throws', arguments: {} });
    expect(crashed.isError).toBe(true);

    for (const m of [called, served]) {
      expect(m.toolStats('echo')).toMatchObject({ total_calls: 1, failed_calls: 0 });
      expect(m.toolStats('refuses')).toMatchObject({ total_calls: 1, failed_calls: 1 });
      expect(m.toolStats('throws')).toMatchObject({ total_calls: 1, failed_calls: 1 });
    }
    // The server answered every call: a tool's own error is not the server's.
    expect(pool.collect().requests).toEqual({ total: 3, successful: 3, failed: 0 });
  });

  it('classifies a protocol timeout; an unknown tool is a failed execution', async () => {
    await expect(
      client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 50 }),
    ).rejects.toThrow(/timed out/i);
    const unknown = await client.callTool({ name: 'missing', arguments: {} }).catch((e: unknown) => e);
    expect(called.toolStats('slow')).toMatchObject({ total_calls: 1, failed_calls: 1 });
    expect(called.toolStats('missing')).toMatchObject({ total_calls: 1, failed_calls: 1 });
    const text = render(pool);
    expect(text).toContain('victor_provider_errors_total{provider="mcp-tools",type="timeout"} 1\n');
    // The server answers an unknown tool with an isError result: a failed execution, not a server error.
    expect((unknown as { isError?: boolean }).isError).toBe(true);
    expect(text).toContain('victor_provider_errors_total{provider="mcp-tools",type="bad_request"} 0\n');
    expect(pool.collect().requests).toEqual({ total: 2, successful: 1, failed: 1 });
  });

  it('rejects a missing monitor at the call', () => {
    expect(() => instrumentMcpClient(new Client({ name: 'x', version: '1' }), undefined as never)).toThrow(
      /ToolExecutionMonitor/,
    );
    expect(() => instrumentMcpServer(new McpServer({ name: 'x', version: '1' }), {} as never)).toThrow(
      /ToolExecutionMonitor/,
    );
  });
});
