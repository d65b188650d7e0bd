import { performance } from 'node:perf_hooks';
import {
  type ConnectionNotifier,
  type FriendGraph,
  NotifierUnavailableError,
  type PresenceStore,
} from '@presence/core';
import type { Tracing } from '../aws/index.js';
import type { TokenVerifier } from '../edge/index.js';
import { currentRecorder, recordGateway, recordGatewayOutage, recordPortCall } from './metrics.js';
import { graphVia, type PortCall, shapeOf, storeVia } from './ports.js';

/** A port call timed, counted and traced as `<port>.<method>`. */
function measured<P>(port: 'store' | 'graph', target: P, tracing: Tracing): PortCall<P> {
  return (method, run) =>
    tracing.span(`${port}.${method}`, async () => {
      const started = performance.now();
      try {
        const result = await run(target);
        const recorder = currentRecorder();
        if (recorder) recordPortCall(recorder, port, performance.now() - started);
        return result;
      } catch (error) {
        const recorder = currentRecorder();
        if (recorder) recordPortCall(recorder, port, performance.now() - started, error);
        throw error;
      }
    });
}

/** The store with `StoreLatency` / `StoreErrors` and a subsegment per call. */
export function instrumentStore(store: PresenceStore, tracing: Tracing): PresenceStore {
  return storeVia(measured('store', store, tracing), shapeOf(store));
}

/** The graph with `GraphLatency` / `GraphErrors` and a subsegment per call. */
export function instrumentGraph(graph: FriendGraph, tracing: Tracing): FriendGraph {
  return graphVia(measured('graph', graph, tracing), graph.close?.bind(graph));
}

/** The notifier with the frames and sockets metrics of each call. */
export function instrumentNotifier(
  notifier: ConnectionNotifier,
  tracing: Tracing,
): ConnectionNotifier {
  const observed =
    (call: 'send' | 'close') =>
    async (ids: readonly string[], run: () => ReturnType<ConnectionNotifier['send']>) =>
      tracing.span(`gateway.${call}`, async () => {
        try {
          const report = await run();
          const recorder = currentRecorder();
          if (recorder) recordGateway(recorder, call, report);
          return report;
        } catch (error) {
          const recorder = currentRecorder();
          if (recorder && NotifierUnavailableError.isInstance(error)) {
            recordGatewayOutage(recorder, call, new Set(ids).size);
          }
          throw error;
        }
      });
  const send = observed('send');
  const close = observed('close');
  return {
    send: (ids, frame) => send(ids, () => notifier.send(ids, frame)),
    close: (ids) => close(ids, () => notifier.close(ids)),
  };
}

/** The verifier, traced (its outcomes are counted from the invocation's outcome). */
export function instrumentVerifier(verifier: TokenVerifier, tracing: Tracing): TokenVerifier {
  return { verify: (token) => tracing.span('identity.verify', () => verifier.verify(token)) };
}
