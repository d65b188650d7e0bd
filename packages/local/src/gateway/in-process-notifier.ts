import type { ConnectionNotifier, NotifyReport, ServerFrame } from '@presence/core';
import type { WebSocketGateway } from './websocket-gateway.js';

/**
 * The handlers' {@link ConnectionNotifier} when `presence-local` delivers in process (the default):
 * each frame is serialised and encoded once, and the same bytes are queued on the gateway's own
 * sockets, as a `POST @connections`
 * would be, without the HTTP request, the SigV4 signature or the SDK. A connection the gateway no
 * longer holds is `gone`; closing goes through the gateway like `DELETE @connections` (its
 * `$disconnect` follows). `settle()` of the server still waits for every write.
 */
export function createInProcessNotifier(gateway: WebSocketGateway): ConnectionNotifier {
  return {
    async send(connectionIds: readonly string[], frame: ServerFrame): Promise<NotifyReport> {
      const data = Buffer.from(JSON.stringify(frame), 'utf8');
      const delivered: string[] = [];
      const gone: string[] = [];
      for (const id of connectionIds) {
        (gateway.postFrame(id, data) === 'delivered' ? delivered : gone).push(id);
      }
      return { delivered, gone, failed: [] };
    },
    async close(connectionIds: readonly string[]): Promise<NotifyReport> {
      const delivered: string[] = [];
      const gone: string[] = [];
      for (const id of connectionIds) (gateway.delete(id) ? delivered : gone).push(id);
      return { delivered, gone, failed: [] };
    },
  };
}
