import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerFrame } from '@presence/core';

/** How the gateway answers a request: a status, or `'hang'` to never answer. */
export type GatewayMode = 200 | 410 | 500 | 'hang';

/** A frame the gateway accepted (HTTP 200) for a connection. */
export interface Delivered {
  readonly connectionId: string;
  readonly frame: ServerFrame;
}

/**
 * A stand-in for API Gateway's `@connections` endpoint on loopback, answering `POST` (a frame) and
 * `DELETE` (close) per connection with the mode set for it (or the default): 200, 410 (gone), 500,
 * or never (`'hang'`; the notifier's request timeout gives up). Records what it accepted.
 */
export class FaultGateway {
  readonly delivered: Delivered[] = [];
  readonly closed: string[] = [];
  /** The answer for every connection without a mode of its own. */
  defaultMode: GatewayMode = 200;
  readonly #modes = new Map<string, GatewayMode>();
  readonly #hanging = new Set<ServerResponse>();
  #server: Server | undefined;
  #origin = '';

  /** The `@connections` endpoint the notifier is given. */
  get endpoint(): string {
    return `${this.#origin}/test`;
  }

  /** Sets the mode of some connections (`undefined`: back to the default). */
  mode(mode: GatewayMode | undefined, ...connectionIds: string[]): void {
    for (const id of connectionIds) {
      if (mode === undefined) this.#modes.delete(id);
      else this.#modes.set(id, mode);
    }
  }

  /** Frames accepted for one connection, in order. */
  framesFor(connectionId: string): ServerFrame[] {
    return this.delivered.filter((d) => d.connectionId === connectionId).map((d) => d.frame);
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const match = /\/@connections\/([^/?]+)/.exec(decodeURIComponent(req.url ?? ''));
        const connectionId = match?.[1] ?? '';
        const mode = this.#modes.get(connectionId) ?? this.defaultMode;
        if (mode === 'hang') {
          this.#hanging.add(res);
          res.on('close', () => this.#hanging.delete(res));
          return;
        }
        if (mode === 200) {
          if (req.method === 'POST') {
            const frame = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ServerFrame;
            this.delivered.push({ connectionId, frame });
          } else if (req.method === 'DELETE') {
            this.closed.push(connectionId);
          }
        }
        const type =
          mode === 410 ? 'GoneException' : mode === 500 ? 'InternalServerErrorException' : '';
        res.writeHead(mode, {
          'content-type': 'application/json',
          ...(type === '' ? {} : { 'x-amzn-errortype': type }),
        });
        res.end(type === '' ? '' : JSON.stringify({ message: type }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    const server = this.#server;
    this.#server = undefined;
    server?.closeAllConnections();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
