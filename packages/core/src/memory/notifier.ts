import type { ConnectionNotifier, NotifyReport } from '../ports.js';
import type { ServerFrame } from '../schemas.js';

/** A frame {@link MemoryNotifier} delivered. */
export interface SentFrame {
  readonly connectionId: string;
  readonly frame: ServerFrame;
}

/**
 * {@link ConnectionNotifier} that records what it delivers instead of writing to sockets. Ids marked
 * gone answer `gone` (like HTTP 410), ids marked failing answer `failed`; a closed connection is
 * gone afterwards, as with API Gateway. Each id of a call lands in exactly one list of the report.
 * @example
 * const notifier = new MemoryNotifier();
 * notifier.markGone('stale=');
 * await notifier.send(['live=', 'stale='], { type: 'presence-timeout', userId: 'alice' });
 * notifier.framesFor('live='); // [{ type: 'presence-timeout', userId: 'alice' }]
 */
export class MemoryNotifier implements ConnectionNotifier {
  /** Every delivered frame, in order. */
  readonly sent: SentFrame[] = [];
  /** Every connection closed, in order. */
  readonly closed: string[] = [];
  readonly #gone = new Set<string>();
  readonly #failing = new Set<string>();

  async send(connectionIds: readonly string[], frame: ServerFrame): Promise<NotifyReport> {
    return this.#each(connectionIds, (connectionId) => {
      this.sent.push({ connectionId, frame });
    });
  }

  async close(connectionIds: readonly string[]): Promise<NotifyReport> {
    return this.#each(connectionIds, (connectionId) => {
      this.closed.push(connectionId);
      this.#gone.add(connectionId);
    });
  }

  /** Frames delivered to one connection, in order. */
  framesFor(connectionId: string): ServerFrame[] {
    return this.sent.filter((s) => s.connectionId === connectionId).map((s) => s.frame);
  }

  /** Later sends and closes to these connections report them `gone`. */
  markGone(...connectionIds: string[]): void {
    for (const id of connectionIds) this.#gone.add(id);
  }

  /** Later sends and closes to these connections report them `failed` (unless gone). */
  markFailing(...connectionIds: string[]): void {
    for (const id of connectionIds) this.#failing.add(id);
  }

  /** Forgets recorded frames and closes; gone and failing marks stay. */
  clear(): void {
    this.sent.length = 0;
    this.closed.length = 0;
  }

  /** Forgets everything: records and marks. */
  reset(): void {
    this.clear();
    this.#gone.clear();
    this.#failing.clear();
  }

  #each(connectionIds: readonly string[], deliver: (connectionId: string) => void): NotifyReport {
    const delivered: string[] = [];
    const gone: string[] = [];
    const failed: string[] = [];
    for (const connectionId of new Set(connectionIds)) {
      if (this.#gone.has(connectionId)) gone.push(connectionId);
      else if (this.#failing.has(connectionId)) failed.push(connectionId);
      else {
        deliver(connectionId);
        delivered.push(connectionId);
      }
    }
    return { delivered, gone, failed };
  }
}
