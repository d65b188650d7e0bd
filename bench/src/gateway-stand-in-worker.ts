import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { SLOT, type StandInWorkerData, type WorkerMessage } from './gateway-stand-in-shared.js';

// The `@connections` stand-in's HTTP server, on its own thread (see gateway-stand-in.ts): its
// request parsing runs on a core the handlers do not use, as API Gateway's does in AWS. Counts and
// the latency live in the SharedArrayBuffer the main thread reads and writes synchronously.

const port = parentPort;
if (port === null) throw new Error('gateway-stand-in-worker must run in a worker thread');
const { shared } = workerData as StandInWorkerData;
const slots = new Int32Array(shared);
/** Answers waiting out the latency: cleared on close, so that a held request never keeps the thread alive. */
const held = new Set<NodeJS.Timeout>();

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const known = req.url?.includes('/@connections/') === true;
    const answered = known && (req.method === 'POST' || req.method === 'DELETE');
    Atomics.add(
      slots,
      answered ? (req.method === 'POST' ? SLOT.post : SLOT.delete) : SLOT.other,
      1,
    );
    const answer = () => {
      res.writeHead(answered ? 200 : 404, {
        'content-type': 'application/json',
        'content-length': '0',
      });
      res.end();
    };
    const latencyMs = Atomics.load(slots, SLOT.latencyUs) / 1000;
    if (answered && latencyMs > 0) {
      const timer = setTimeout(() => {
        held.delete(timer);
        answer();
      }, latencyMs);
      held.add(timer);
    } else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = 0;

port.on('message', (message: WorkerMessage) => {
  if (message.type !== 'close') return;
  for (const timer of held) clearTimeout(timer);
  held.clear();
  server.closeAllConnections();
  server.close(() => {
    port.postMessage({ type: 'closed' } satisfies WorkerMessage);
    port.close();
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port: listening } = server.address() as AddressInfo;
  port.postMessage({ type: 'listening', port: listening } satisfies WorkerMessage);
});
