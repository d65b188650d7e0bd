import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './cleanup.js';

/** A local stand-in for API Gateway's `@connections` management endpoint. */
export interface GatewayStandIn {
  /** `http://127.0.0.1:<port>`: the endpoint to give the notifier. */
  readonly endpoint: string;
  /** Requests answered so far, by method. */
  readonly counts: { post: number; delete: number; other: number };
  /** Delay before each POST/DELETE is answered, ms (0: at once, loopback). */
  readonly latencyMs: number;
  /** Sets {@link latencyMs} for the requests that arrive from now on. */
  setLatency(ms: number): void;
  /** Resets {@link counts}. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a tiny node:http server on 127.0.0.1:0 that answers 200 to `POST` (send) and `DELETE`
 * (close) on any path containing `/@connections/{id}`, after reading the body, like the real
 * endpoint does for a live connection. Everything else gets 404. Keep-alive on.
 *
 * With a latency of N ms (the gateway latency model, `--gateway-latency-ms`), each POST/DELETE is
 * answered N ms after its body arrived, on a timer: the caller waits like it would for API Gateway
 * across the network, and the CPU stays free (no busy-wait), so requests in flight overlap.
 * Requests are counted when they arrive.
 */
export async function startGatewayStandIn(latencyMs = 0): Promise<GatewayStandIn> {
  const counts = { post: 0, delete: 0, other: 0 };
  let latency = checkedLatency(latencyMs);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const known = req.url?.includes('/@connections/') === true;
      if (known && req.method === 'POST') counts.post += 1;
      else if (known && req.method === 'DELETE') counts.delete += 1;
      else counts.other += 1;
      const status = known && (req.method === 'POST' || req.method === 'DELETE') ? 200 : 404;
      const answer = () => {
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': '0' });
        res.end();
      };
      if (status === 200 && latency > 0) setTimeout(answer, latency);
      else answer();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const unregister = onCleanup('gateway stand-in', close);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    get latencyMs() {
      return latency;
    },
    setLatency(ms: number) {
      latency = checkedLatency(ms);
    },
    reset() {
      counts.post = 0;
      counts.delete = 0;
      counts.other = 0;
    },
    async close() {
      unregister();
      await close();
    },
  };
}

function checkedLatency(ms: number): number {
  if (!(ms >= 0) || !Number.isFinite(ms))
    throw new RangeError(`gateway latency must be a non-negative number of ms, got ${ms}`);
  return ms;
}
