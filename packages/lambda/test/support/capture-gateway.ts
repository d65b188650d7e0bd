import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as it arrived on the wire. */
export interface CapturedRequest {
  readonly method: string;
  /** The request target exactly as sent (percent-encoding kept). */
  readonly rawPath: string;
  /** Header names lowercased, as node:http gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the stand-in answers to one request: a status, or `'hang'` to never answer. */
export type CaptureAnswer = number | 'hang';

const ERROR_TYPES: Record<number, string> = {
  410: 'GoneException',
  429: 'LimitExceededException',
  500: 'InternalServerErrorException',
};

/**
 * A local `@connections` stand-in that records every request byte for byte (for the SigV4
 * verifier) and answers what `answer` says; the default answers 200 to everything.
 */
export class CaptureGateway {
  readonly requests: CapturedRequest[] = [];
  /** Decides the answer to each request, given it and the number of requests before it. */
  answer: (request: CapturedRequest, index: number) => CaptureAnswer = () => 200;
  readonly #hanging = new Set<ServerResponse>();
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];
  #server: Server | undefined;
  #origin = '';

  /** `http://127.0.0.1:{port}`; append a stage path for an endpoint. */
  get origin(): string {
    return this.#origin;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const request: CapturedRequest = {
          method: req.method ?? '',
          rawPath: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        const answer = this.answer(request, this.requests.length);
        this.requests.push(request);
        for (const waiter of this.#waiters.filter((w) => this.requests.length >= w.count)) {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        if (answer === 'hang') {
          this.#hanging.add(res);
          return;
        }
        const errorType = ERROR_TYPES[answer];
        res.writeHead(answer, {
          'Content-Type': 'application/json',
          ...(errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType }),
        });
        res.end(answer >= 400 ? '{"message":null}' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` requests in all have arrived. */
  received(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** Forgets the requests, drops hanging ones and answers 200 again. */
  reset(): void {
    this.requests.length = 0;
    this.answer = () => 200;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.reset();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
