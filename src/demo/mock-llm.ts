/**
 * A scripted LLM server on loopback, for the demo's agent and the adapter tests: OpenAI-compatible (`/v1/chat/completions`) and
 * Anthropic-style (`/v1/messages`), JSON or SSE. Each request takes the next queued plan, else the one the
 * `plan` option returns for it, else the default one: an error status, delays before the headers and between
 * chunks, a connection dropped before the answer or mid-stream, tool calls instead of text. A path may start
 * with a provider name (`/openai/v1/chat/completions`), so one server plays several providers. The server logs
 * what it did, so tests compare the monitor with the facts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Plan {
  /** Answer with this HTTP error status (429, 529, 401, 400...) and the dialect's error body. */
  status?: number;
  /** Before the status line and headers (a client timeout shorter than this times out). */
  headerDelayMs?: number;
  /** Between the headers and the first chunk of a stream. */
  firstChunkDelayMs?: number;
  /** Between later chunks. */
  chunkDelayMs?: number;
  /** Text of the answer, streamed one piece per chunk. */
  pieces?: string[];
  /** Destroy the socket after this many content chunks. */
  dropAfterChunks?: number;
  /** Destroy the socket instead of answering (after `headerDelayMs`): the client sees a network error. */
  drop?: boolean;
  /** Answer with a call of this tool (arguments as JSON) instead of text. */
  toolCall?: ToolCall;
  /** Answer with calls of these tools (OpenAI dialect; the Anthropic one takes the first). */
  toolCalls?: ToolCall[];
  usage?: MockUsage;
}

export interface ToolCall {
  name: string;
  args: Record<string, unknown>;
  /** Default `call_<n>`, n counting from 1 in the answer. */
  id?: string;
}

/** What the `plan` option sees of a request. */
export interface MockRequest {
  /** The path's first segment when it comes before `/v1/`, e.g. `openai` for `/openai/v1/chat/completions`. */
  provider: string | undefined;
  path: string;
  stream: boolean;
  model: string;
  /** The parsed JSON body. */
  body: Record<string, unknown>;
}

export interface MockLlmOptions {
  /** The plan of a request when none is queued; undefined falls back to the default plan. */
  plan?: (request: MockRequest) => Plan | undefined;
  /** Keep a log of what was served in `served` (default true; a long-running demo turns it off). */
  log?: boolean;
}

export interface MockUsage {
  input: number;
  output: number;
  cachedInput: number;
  reasoning: number;
}

export interface Served {
  path: string;
  provider: string | undefined;
  stream: boolean;
  status: number;
  model: string;
  /** Body bytes written, for byte-identity checks. */
  bytes: string;
  dropped: boolean;
}

export const DEFAULT_USAGE: MockUsage = { input: 11, output: 7, cachedInput: 3, reasoning: 2 };

export interface MockLlm {
  url: string;
  /** Plans for the next requests, in order; afterwards the default plan applies. */
  queue(...plans: Plan[]): void;
  setDefault(plan: Plan): void;
  served: Served[];
  close(): Promise<void>;
}

type Sleep = (ms: number) => Promise<void>;

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const plans: Plan[] = [];
  let fallback: Plan = {};
  const served: Served[] = [];
  const log = options.log ?? true;
  const choose = (request: MockRequest): Plan => plans.shift() ?? options.plan?.(request) ?? fallback;
  // Delays are dropped on close (their answers' sockets are gone), so no timer outlives the server.
  const timers = new Set<NodeJS.Timeout>();
  const sleep: Sleep = (ms) =>
    ms > 0
      ? new Promise((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, ms);
          timers.add(t);
        })
      : Promise.resolve();
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req, res) => {
    void handle(req, res, choose, sleep, log ? served : undefined).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    queue: (...p) => plans.push(...p),
    setDefault: (p) => {
      fallback = p;
    },
    served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  choose: (request: MockRequest) => Plan,
  sleep: Sleep,
  served: Served[] | undefined,
) {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  const body = JSON.parse(raw || '{}') as Record<string, unknown>;
  const path = req.url ?? '';
  const [, provider, rest = path] = /^(?:\/([^/]+))?(\/v1\/.*)$/.exec(path) ?? [];
  const anthropic = rest.startsWith('/v1/messages');
  const stream = body.stream === true;
  const model = typeof body.model === 'string' ? body.model : 'mock-model';
  const plan = choose({ provider, path, stream, model, body });
  const record: Served = {
    path,
    provider,
    stream,
    status: plan.status ?? 200,
    model,
    bytes: '',
    dropped: false,
  };
  served?.push(record);
  await sleep(plan.headerDelayMs ?? 0);
  if (res.destroyed) return;
  if (plan.drop) {
    record.dropped = true;
    res.socket?.destroy();
    return;
  }
  if (plan.status !== undefined && plan.status >= 400) {
    const errBody = anthropic ? anthropicError(plan.status) : openaiError(plan.status);
    // Short retry hints keep the SDKs' own retries (which honour them) quick in tests.
    res.writeHead(plan.status, {
      'content-type': 'application/json',
      'retry-after-ms': '10',
      'retry-after': '0',
    });
    res.end(JSON.stringify(errBody));
    return;
  }
  const usage = plan.usage ?? DEFAULT_USAGE;
  const pieces = plan.pieces ?? ['Hel', 'lo', ' there'];
  const calls = (plan.toolCalls ?? (plan.toolCall ? [plan.toolCall] : [])).map((c, i) => ({
    ...c,
    id: c.id ?? `call_${i + 1}`,
  }));
  if (!stream) {
    const json = anthropic
      ? anthropicMessage(model, pieces.join(''), usage, plan.toolCall ?? plan.toolCalls?.[0])
      : openaiCompletion(model, pieces.join(''), usage, calls);
    record.bytes = JSON.stringify(json);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(record.bytes);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const events = anthropic
    ? anthropicEvents(model, pieces, usage, plan.toolCall ?? plan.toolCalls?.[0])
    : openaiEvents(model, pieces, usage, calls);
  let content = 0;
  for (let i = 0; i < events.length; i++) {
    await sleep(i === 0 ? (plan.firstChunkDelayMs ?? 0) : (plan.chunkDelayMs ?? 0));
    if (res.destroyed) return;
    if (plan.dropAfterChunks !== undefined && content >= plan.dropAfterChunks) {
      record.dropped = true;
      res.socket?.destroy();
      return;
    }
    content++;
    record.bytes += events[i];
    res.write(events[i]);
  }
  res.end();
}

function openaiError(status: number) {
  const type =
    status === 429 ? 'rate_limit_error' : status === 401 ? 'invalid_api_key' : 'invalid_request_error';
  return { error: { message: `mock error ${status}`, type, code: null } };
}

function anthropicError(status: number) {
  const type =
    status === 429
      ? 'rate_limit_error'
      : status === 529
        ? 'overloaded_error'
        : status === 401
          ? 'authentication_error'
          : 'invalid_request_error';
  return { type: 'error', error: { type, message: `mock error ${status}` } };
}

function openaiUsage(u: MockUsage) {
  return {
    prompt_tokens: u.input,
    completion_tokens: u.output,
    total_tokens: u.input + u.output,
    prompt_tokens_details: { cached_tokens: u.cachedInput },
    completion_tokens_details: { reasoning_tokens: u.reasoning },
  };
}

type NamedCall = Required<ToolCall>;

function openaiCompletion(model: string, text: string, u: MockUsage, calls: NamedCall[]) {
  const tool = calls.length > 0;
  const message = tool
    ? {
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.args) },
        })),
      }
    : { role: 'assistant', content: text };
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message, finish_reason: tool ? 'tool_calls' : 'stop' }],
    usage: openaiUsage(u),
  };
}

function sse(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

function openaiEvents(model: string, pieces: string[], u: MockUsage, calls: NamedCall[]): string[] {
  const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const chunk = (delta: unknown, finish: string | null = null) =>
    sse({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const out: string[] = [];
  if (calls.length > 0) {
    out.push(
      chunk({
        role: 'assistant',
        tool_calls: calls.map((c, index) => ({
          index,
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: JSON.stringify(c.args) },
        })),
      }),
    );
    out.push(chunk({}, 'tool_calls'));
  } else {
    pieces.forEach((p, i) => out.push(chunk(i === 0 ? { role: 'assistant', content: p } : { content: p })));
    out.push(chunk({}, 'stop'));
  }
  out.push(sse({ ...base, choices: [], usage: openaiUsage(u) }));
  out.push(sse('[DONE]'));
  return out;
}

function anthropicUsage(u: MockUsage) {
  return {
    input_tokens: u.input - u.cachedInput,
    cache_read_input_tokens: u.cachedInput,
    cache_creation_input_tokens: 0,
    output_tokens: u.output,
  };
}

function anthropicMessage(model: string, text: string, u: MockUsage, tool?: ToolCall) {
  return {
    id: 'msg_mock',
    type: 'message',
    role: 'assistant',
    model,
    content: tool
      ? [{ type: 'tool_use', id: 'toolu_1', name: tool.name, input: tool.args }]
      : [{ type: 'text', text }],
    stop_reason: tool ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: anthropicUsage(u),
  };
}

function anthropicEvents(model: string, pieces: string[], u: MockUsage, tool?: ToolCall): string[] {
  const usage = anthropicUsage(u);
  const out = [
    sse(
      {
        type: 'message_start',
        message: {
          id: 'msg_mock',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
      'message_start',
    ),
  ];
  if (tool) {
    out.push(
      sse(
        {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: 'toolu_1', name: tool.name, input: {} },
        },
        'content_block_start',
      ),
      sse(
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify(tool.args) },
        },
        'content_block_delta',
      ),
    );
  } else {
    out.push(
      sse(
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        'content_block_start',
      ),
    );
    for (const p of pieces) {
      out.push(
        sse(
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } },
          'content_block_delta',
        ),
      );
    }
  }
  out.push(
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse(
      {
        type: 'message_delta',
        delta: { stop_reason: tool ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: u.output },
      },
      'message_delta',
    ),
    sse({ type: 'message_stop' }, 'message_stop'),
  );
  return out;
}
