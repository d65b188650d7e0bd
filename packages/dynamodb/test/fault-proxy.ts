// A loopback HTTP proxy in front of dynalite that records each DynamoDB operation and can answer
// with an error, hang, or rewrite a request and its response, so that failures the real service
// produces (throttling, 5xx, unprocessed batch items, lost responses) are tested through the real
// SDK and its error parsing.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What to do with one request. */
export type Fault =
  /** Answer with a DynamoDB JSON error of this type (`ProvisionedThroughputExceededException`, ...). */
  | { readonly kind: 'error'; readonly status: number; readonly type: string }
  /** Never answer (the client's request timeout fires). */
  | { readonly kind: 'hang' }
  /** Forward, let DynamoDB apply it, then answer 500 as if the response were lost. */
  | { readonly kind: 'lose-response' }
  /** Forward `request` instead of the original, and answer with `response(realResponse)`. */
  | {
      readonly kind: 'rewrite';
      readonly request: Record<string, unknown>;
      readonly response: (real: Record<string, unknown>) => Record<string, unknown>;
    };

/** Decides the fault for a request (operation name such as `PutItem`, parsed JSON body). */
export type FaultRule = (operation: string, body: Record<string, unknown>) => Fault | undefined;

/** A running proxy. */
export interface FaultProxy {
  readonly endpoint: string;
  /** Operations seen, in order (`PutItem`, `Query`, `BatchWriteItem`, ...). */
  readonly calls: string[];
  /** The current rule; `undefined` forwards everything. */
  rule: FaultRule | undefined;
  close(): Promise<void>;
}

async function readBody(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function forward(
  target: URL,
  incoming: IncomingMessage,
  body: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[] | undefined> = {
      ...incoming.headers,
      host: target.host,
    };
    headers['content-length'] = String(Buffer.byteLength(body));
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers,
      },
      (res) => {
        readBody(res).then(
          (text) =>
            resolve({
              status: res.statusCode ?? 500,
              headers: res.headers as Record<string, string>,
              body: text,
            }),
          reject,
        );
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function answer(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

const errorBody = (type: string) => ({
  __type: `com.amazonaws.dynamodb.v20120810#${type}`,
  message: `injected ${type}`,
});

/** Starts a proxy to `upstream` on a free loopback port. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = {
    endpoint: '',
    calls: [],
    rule: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer(async (req, res) => {
    try {
      const text = await readBody(req);
      const operation =
        String(req.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      proxy.calls.push(operation);
      const fault = proxy.rule?.(operation, JSON.parse(text || '{}'));
      if (fault?.kind === 'hang') return;
      if (fault?.kind === 'error') return answer(res, fault.status, errorBody(fault.type));
      if (fault?.kind === 'lose-response') {
        await forward(target, req, text);
        return answer(res, 500, errorBody('InternalServerError'));
      }
      if (fault?.kind === 'rewrite') {
        const real = await forward(target, req, JSON.stringify(fault.request));
        return answer(res, real.status, fault.response(JSON.parse(real.body)));
      }
      const real = await forward(target, req, text);
      // The body is passed on unchanged, so the CRC32 header DynamoDB clients check stays valid.
      res.writeHead(real.status, real.headers);
      res.end(real.body);
    } catch (error) {
      answer(res, 500, errorBody(`ProxyError ${(error as Error).message}`));
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, { endpoint: `http://127.0.0.1:${port}` });
}
