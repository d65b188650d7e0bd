import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerFrame } from '@presence/core';

/** A frame the stand-in received. */
export interface PostedFrame {
  readonly connectionId: string;
  readonly frame: ServerFrame;
}

/**
 * A local stand-in for API Gateway's `@connections` endpoint: `POST /{stage}/@connections/{id}`
 * records the frame, `DELETE` records a close; ids marked gone answer 410 `GoneException` as API
 * Gateway does, ids marked failing answer 500. The real AWS SDK client talks to it.
 */
export class GatewayStub {
  readonly posted: PostedFrame[] = [];
  readonly deleted: string[] = [];
  /** Raw bodies as received, to check that every frame is JSON text. */
  readonly rawBodies: string[] = [];
  /** Requests in flight now and at most. */
  inFlight = 0;
  maxInFlight = 0;
  /** Delay before answering, to observe concurrency. */
  delayMs = 0;
  readonly #gone = new Set<string>();
  readonly #failing = new Set<string>();
  readonly #throttled = new Set<string>();
  #server: Server | undefined;
  #url = '';

  /** `http://127.0.0.1:{port}/test`: the value of WEBSOCKET_CALLBACK_URL. */
  get url(): string {
    return this.#url;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      void this.#handle(req).then(({ status, headers, body }) => {
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/test`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  markGone(...ids: string[]): void {
    for (const id of ids) this.#gone.add(id);
  }

  markFailing(...ids: string[]): void {
    for (const id of ids) this.#failing.add(id);
  }

  /** These ids answer 429 `LimitExceededException`, as API Gateway does when it throttles. */
  markThrottled(...ids: string[]): void {
    for (const id of ids) this.#throttled.add(id);
  }

  /** Frames posted to one connection, in order. */
  framesFor(connectionId: string): ServerFrame[] {
    return this.posted.filter((p) => p.connectionId === connectionId).map((p) => p.frame);
  }

  clear(): void {
    this.posted.length = 0;
    this.deleted.length = 0;
    this.rawBodies.length = 0;
  }

  async #handle(
    req: IncomingMessage,
  ): Promise<{ status: number; headers?: Record<string, string>; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const match = /^\/test\/@connections\/([^/?]+)$/.exec(req.url ?? '');
    if (match === null) return { status: 404, body: '{"message":"Not Found"}' };
    const connectionId = decodeURIComponent(match[1] as string);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      if (this.#gone.has(connectionId)) {
        return {
          status: 410,
          headers: { 'x-amzn-ErrorType': 'GoneException' },
          body: '{"message":null}',
        };
      }
      if (this.#throttled.has(connectionId)) {
        return {
          status: 429,
          headers: { 'x-amzn-ErrorType': 'LimitExceededException' },
          body: '{"message":"Too Many Requests"}',
        };
      }
      if (this.#failing.has(connectionId)) {
        return {
          status: 500,
          headers: { 'x-amzn-ErrorType': 'InternalServerErrorException' },
          body: '{"message":"Internal server error"}',
        };
      }
      if (req.method === 'DELETE') {
        this.deleted.push(connectionId);
        this.#gone.add(connectionId);
        return { status: 204, body: '' };
      }
      if (req.method === 'POST') {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.rawBodies.push(raw);
        this.posted.push({ connectionId, frame: JSON.parse(raw) as ServerFrame });
        return { status: 200, body: '' };
      }
      return { status: 405, body: '{"message":"Method Not Allowed"}' };
    } finally {
      this.inFlight--;
    }
  }
}
