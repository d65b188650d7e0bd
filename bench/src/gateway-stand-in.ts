import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { onCleanup } from './cleanup.js';
import {
  SLOT,
  SLOT_COUNT,
  type StandInWorkerData,
  type WorkerMessage,
} from './gateway-stand-in-shared.js';

/** A local stand-in for API Gateway's `@connections` management endpoint. */
export interface GatewayStandIn {
  /** `http://127.0.0.1:<port>`: the endpoint to give the notifier. */
  readonly endpoint: string;
  /** Requests received so far, by method: a snapshot, current as soon as each request arrived. */
  readonly counts: { post: number; delete: number; other: number };
  /** Delay before each POST/DELETE is answered, ms (0: at once, loopback). */
  readonly latencyMs: number;
  /** Sets {@link latencyMs} for the requests that arrive from now on. */
  setLatency(ms: number): void;
  /** Resets {@link counts}. */
  reset(): void;
  /** Stops the server and its worker thread. */
  close(): Promise<void>;
}

/** Largest latency the shared Int32 slot holds in µs (about 35 minutes). */
const MAX_LATENCY_MS = Math.floor(0x7fffffff / 1000);

/**
 * The stand-in's worker file: `gateway-stand-in-worker.js` beside this module, which tsup emits as
 * its own entry in `dist/` (see tsup.config.ts).
 */
export const STAND_IN_WORKER_URL = new URL('./gateway-stand-in-worker.js', import.meta.url);

/**
 * Starts a tiny node:http server on 127.0.0.1:0, in a worker thread, that answers 200 to `POST`
 * (send) and `DELETE` (close) on any path containing `/@connections/{id}`, after reading the body,
 * like the real endpoint does for a live connection. Everything else gets 404. Keep-alive on.
 *
 * The server runs on its own thread because in AWS API Gateway's work is not the Lambda's: on the
 * main thread its HTTP parsing shared the event loop with the handlers and took about half of their
 * CPU in post-heavy phases; in a worker it runs on another core. Counts and the latency sit in a
 * SharedArrayBuffer (Atomics), so {@link GatewayStandIn.counts}, `reset()` and `setLatency()` stay
 * synchronous: a request is counted in the worker before its answer is written, so the counts
 * include every request whose answer the caller has received.
 *
 * With a latency of N ms (the gateway latency model, `--gateway-latency-ms`), each POST/DELETE is
 * answered N ms after its body arrived, on a timer: the caller waits like it would for API Gateway
 * across the network, and the CPU stays free (no busy-wait), so requests in flight overlap.
 * Requests are counted when they arrive.
 *
 * @param workerUrl the built worker module; tests running from `src/` pass the one in `dist/`.
 */
export async function startGatewayStandIn(
  latencyMs = 0,
  workerUrl: URL = STAND_IN_WORKER_URL,
): Promise<GatewayStandIn> {
  if (!existsSync(fileURLToPath(workerUrl))) {
    throw new Error(
      `gateway stand-in worker ${fileURLToPath(workerUrl)} is missing: run pnpm --filter @presence/bench build`,
    );
  }
  const shared = new SharedArrayBuffer(SLOT_COUNT * Int32Array.BYTES_PER_ELEMENT);
  const slots = new Int32Array(shared);
  let latency = checkedLatency(latencyMs);
  Atomics.store(slots, SLOT.latencyUs, Math.round(latency * 1000));
  const worker = new Worker(workerUrl, { workerData: { shared } satisfies StandInWorkerData });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.type !== 'listening') return;
      worker.off('error', reject);
      worker.off('message', onMessage);
      resolve(message.port);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    void exited.then(() => reject(new Error('gateway stand-in worker exited before listening')));
  });
  worker.on('error', (error) => {
    process.stderr.write(`  gateway stand-in worker failed: ${error.message}\n`);
  });
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      worker.postMessage({ type: 'close' } satisfies WorkerMessage);
      // The worker ends once its server has closed; a stuck one is terminated after 5 s.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    })();
    return closing;
  };
  const unregister = onCleanup('gateway stand-in', close);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get counts() {
      return {
        post: Atomics.load(slots, SLOT.post),
        delete: Atomics.load(slots, SLOT.delete),
        other: Atomics.load(slots, SLOT.other),
      };
    },
    get latencyMs() {
      return latency;
    },
    setLatency(ms: number) {
      latency = checkedLatency(ms);
      Atomics.store(slots, SLOT.latencyUs, Math.round(latency * 1000));
    },
    reset() {
      Atomics.store(slots, SLOT.post, 0);
      Atomics.store(slots, SLOT.delete, 0);
      Atomics.store(slots, SLOT.other, 0);
    },
    async close() {
      unregister();
      await close();
    },
  };
}

function checkedLatency(ms: number): number {
  if (!(ms >= 0) || !Number.isFinite(ms) || ms > MAX_LATENCY_MS)
    throw new RangeError(
      `gateway latency must be a number of ms from 0 to ${MAX_LATENCY_MS}, got ${ms}`,
    );
  return ms;
}
