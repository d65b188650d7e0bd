import WebSocket from 'ws';

/** Generous bound for one awaited event: long enough for a loaded CI machine, short enough to fail fast. */
export const WAIT_MS = 8000;

/** A frame the server sent: parsed JSON (every frame must parse). */
export type Frame = Record<string, unknown>;

/** Resolves with `promise` or rejects after `ms` naming what was awaited. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

interface Waiter {
  readonly match: (frame: Frame) => boolean;
  readonly resolve: (frame: Frame) => void;
}

/**
 * A real `ws` client that records every frame. `next(match)` takes the first unconsumed frame
 * matching `match`, waiting (bounded) for it; text that does not JSON.parse is recorded in
 * `plainText` (the protocol forbids it).
 */
export class TestClient {
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** Frames that were not JSON (must stay empty). */
  readonly plainText: string[] = [];
  /** Binary frames received (must stay 0). */
  binary = 0;
  /** Resolves with the close code and reason when the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #pending: Frame[] = [];
  readonly #waiters: Waiter[] = [];

  private constructor(
    readonly ws: WebSocket,
    readonly label: string,
  ) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        this.binary += 1;
        return;
      }
      const text = data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        this.plainText.push(text);
        return;
      }
      this.frames.push(frame);
      const index = this.#waiters.findIndex((w) => w.match(frame));
      if (index >= 0) {
        const [waiter] = this.#waiters.splice(index, 1);
        waiter?.resolve(frame);
      } else this.#pending.push(frame);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** Opens a connection with `?Authorization=<token>`; rejects with the HTTP status when refused. */
  static open(wsUrl: string, token: string | undefined, label = 'client'): Promise<TestClient> {
    const url =
      token === undefined ? wsUrl : `${wsUrl}/?Authorization=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    const client = new TestClient(ws, label);
    return within(
      new Promise<TestClient>((resolve, reject) => {
        ws.once('open', () => resolve(client));
        ws.once('unexpected-response', (_request, response) => {
          reject(new RefusedError(response.statusCode ?? 0));
          response.resume();
          ws.terminate();
        });
        ws.once('error', (error) => reject(error));
      }),
      `${label} to connect`,
    );
  }

  /** Sends an object as JSON, or a string as is. */
  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** `update-presence` with `url` and `title`. */
  update(url: string, title: string): void {
    this.send({ action: 'update-presence', url, title });
  }

  /** Takes the first unconsumed frame matching `match`, waiting for it (bounded). */
  next(match: (frame: Frame) => boolean, what: string): Promise<Frame> {
    const index = this.#pending.findIndex(match);
    if (index >= 0) return Promise.resolve(this.#pending.splice(index, 1)[0] as Frame);
    return within(
      new Promise<Frame>((resolve) => {
        this.#waiters.push({ match, resolve });
      }),
      `${this.label}: ${what}`,
    );
  }

  /**
   * Waits until everything this connection sent before has been handled and everything the
   * server wrote to it before has arrived: the local gateway handles one connection's frames in
   * order, so the error frame answering an unknown action comes after all of that.
   */
  async barrier(): Promise<void> {
    const marker = `barrier-${Math.random().toString(36).slice(2)}`;
    this.send({ action: marker });
    await this.next((f) => f.type === 'error', 'the barrier error frame');
  }

  /** Unconsumed frames, optionally filtered. */
  unconsumed(match: (frame: Frame) => boolean = () => true): Frame[] {
    return this.#pending.filter(match);
  }

  /** Closes the socket and waits for the close handshake. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    await within(this.closed, `${this.label} to close`);
  }
}

/** A refused WebSocket upgrade. */
export class RefusedError extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with HTTP ${status}`);
    this.name = 'RefusedError';
  }
}

/** The HTTP status a connect attempt was refused with (fails if it was accepted). */
export async function refusedStatus(wsUrl: string, token: string | undefined): Promise<number> {
  try {
    const client = await TestClient.open(wsUrl, token, 'refused client');
    await client.close();
  } catch (error) {
    if (error instanceof RefusedError) return error.status;
    throw error;
  }
  throw new Error('the connection was accepted');
}

/** Frame matchers. */
export const is = {
  update: (userId: string, url?: string) => (f: Frame) =>
    f.type === 'update-presence' && f.userId === userId && (url === undefined || f.url === url),
  timeout: (userId: string) => (f: Frame) => f.type === 'presence-timeout' && f.userId === userId,
  error: (f: Frame) => f.type === 'error',
};
