import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_MESSAGE_BYTES, type WebSocketGateway } from './websocket-gateway.js';

const CONNECTIONS_PATH = /^(?:\/[^/@]+)?\/@connections\/([^/]+)\/?$/;

/** The connection id of a `@connections/{id}` path (with or without a stage), else `undefined`. */
export function matchConnectionsPath(path: string): string | undefined {
  const match = CONNECTIONS_PATH.exec(path);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1] as string);
  } catch {
    return undefined;
  }
}

function error(response: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-ErrorType': type,
    'x-amzn-RequestId': crypto.randomUUID(),
  });
  response.end(body);
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * API Gateway's management API on the local sockets, so that the handlers' real AWS SDK client
 * (`PostToConnection`, `GetConnection`, `DeleteConnection`) works unchanged over HTTP:
 * POST sends the body as one text frame, GET describes the connection, DELETE closes it
 * (`$disconnect` follows); an unknown id answers 410 `GoneException`.
 * Signatures are not checked: the endpoint listens on loopback only.
 * Returns false when the path is not an `@connections` path.
 */
export function createConnectionsEndpoint(gateway: WebSocketGateway) {
  return async function handleConnections(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<boolean> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!path.includes('/@connections')) return false;
    const connectionId = matchConnectionsPath(path);
    if (connectionId === undefined) {
      error(response, 404, 'NotFoundException', 'Not Found');
      return true;
    }
    switch (request.method) {
      case 'POST': {
        const body = await readBody(request, MAX_MESSAGE_BYTES);
        if (body === undefined) {
          error(response, 413, 'PayloadTooLargeException', 'Payload too large');
          return true;
        }
        const outcome = gateway.post(connectionId, body);
        if (outcome === 'gone') error(response, 410, 'GoneException', 'Gone');
        else {
          response.writeHead(200, { 'Content-Length': 0, 'x-amzn-RequestId': crypto.randomUUID() });
          response.end();
        }
        return true;
      }
      case 'GET': {
        const info = gateway.info(connectionId);
        if (info === undefined) {
          error(response, 410, 'GoneException', 'Gone');
          return true;
        }
        const body = JSON.stringify(info);
        response.writeHead(200, {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        });
        response.end(body);
        return true;
      }
      case 'DELETE': {
        if (!gateway.delete(connectionId)) error(response, 410, 'GoneException', 'Gone');
        else {
          response.writeHead(204, { 'x-amzn-RequestId': crypto.randomUUID() });
          response.end();
        }
        return true;
      }
      default:
        error(response, 405, 'MethodNotAllowedException', 'Method Not Allowed');
        return true;
    }
  };
}
