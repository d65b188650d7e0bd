import { Agent } from 'node:http';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionNotifier, Logger } from '@presence/core';
import { createApiGatewayNotifier } from '@presence/lambda';
import { createInProcessNotifier } from './in-process-notifier.js';
import type { WebSocketGateway } from './websocket-gateway.js';

/** Options of {@link createLocalNotifier}. */
export interface LocalNotifierOptions {
  /** In process, or over HTTP `@connections`. */
  readonly delivery: 'inproc' | 'http';
  /** The handlers' `@connections` transport over HTTP (`GATEWAY_TRANSPORT`). */
  readonly gatewayTransport: 'sdk' | 'signed-http';
  /** This server's URL: its `@connections` endpoint. */
  readonly url: string;
  readonly region: string;
  readonly gateway: WebSocketGateway;
  readonly logger: Logger;
}

/** The handlers' notifier and what to release with the server. */
export interface LocalNotifier {
  readonly notifier: ConnectionNotifier;
  /** Releases the SDK client and its keep-alive sockets (nothing in process). */
  destroy(): void;
}

// The local @connections endpoint does not check signatures; the SDK needs something to sign with.
const LOCAL_CREDENTIALS = { accessKeyId: 'PRESENCELOCAL', secretAccessKey: 'presence-local' };

/**
 * The notifier the handlers get: in process (the default), frames go straight to the gateway's
 * sockets. Over HTTP, `gatewayTransport` picks the handlers' transport as on Lambda: the AWS SDK
 * client (built here only for it) or the opt-in signed-HTTP one, both through this server's
 * `@connections` endpoint.
 */
export function createLocalNotifier(options: LocalNotifierOptions): LocalNotifier {
  const { url, region, logger } = options;
  if (options.delivery === 'inproc') {
    return { notifier: createInProcessNotifier(options.gateway), destroy() {} };
  }
  if (options.gatewayTransport === 'signed-http') {
    return {
      notifier: createApiGatewayNotifier({
        endpoint: url,
        region,
        transport: 'signed-http',
        credentials: LOCAL_CREDENTIALS,
        logger,
      }),
      destroy() {},
    };
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const client = new ApiGatewayManagementApiClient({
    endpoint: url,
    region,
    credentials: LOCAL_CREDENTIALS,
    requestHandler: { httpAgent: agent, connectionTimeout: 2000, requestTimeout: 5000 },
    maxAttempts: 2,
    // As the notifier's own client: one resolved middleware stack, not one per frame.
    cacheMiddleware: true,
  });
  return {
    notifier: createApiGatewayNotifier({ endpoint: url, client, logger }),
    destroy() {
      client.destroy();
      agent.destroy();
    },
  };
}
