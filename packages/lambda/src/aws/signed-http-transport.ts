import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  GATEWAY_CONNECT_TIMEOUT_MS,
  GATEWAY_MAX_ATTEMPTS,
  GATEWAY_REQUEST_TIMEOUT_MS,
  type GatewayOutcome,
  type GatewayTransport,
  outcomeOfStatus,
} from './gateway-transport.js';

/** AWS credentials, as the SDK's credential providers return them. */
export interface GatewayCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Credentials, or a provider the signer calls before each request (it should cache). */
export type GatewayCredentialsSource = GatewayCredentials | (() => Promise<GatewayCredentials>);

/** Options of {@link createSignedHttpTransport}. */
export interface SignedHttpTransportOptions {
  /** The `@connections` endpoint: `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly endpoint: string;
  /** Region of the signature's credential scope. */
  readonly region: string;
  /** Sockets kept per host (the notifier's concurrency). */
  readonly maxSockets: number;
  /** @default - the SDK's default chain (`@aws-sdk/credential-provider-node`), memoized and refreshed before expiry */
  readonly credentials?: GatewayCredentialsSource;
}

// The SDK's standard retry strategy waits a random share of these before its one retry.
const RETRY_DELAY_MS = 50;
const THROTTLING_RETRY_DELAY_MS = 1000;

/**
 * A {@link GatewayTransport} of plain node:http(s) requests on keep-alive sockets, signed with
 * `@smithy/signature-v4` (service `execute-api`) as the AWS SDK client signs them: same method,
 * path, `content-type`, body and signed headers, the session token when the credentials have
 * one. Same timeouts and single retry as the notifier's SDK client.
 */
export function createSignedHttpTransport(options: SignedHttpTransportOptions): GatewayTransport {
  const url = new URL(options.endpoint);
  const secure = url.protocol === 'https:';
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets };
  const agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = secure ? httpsRequest : httpRequest;
  // As the SDK joins the endpoint's path and the operation's: `/prod` + `/@connections/{id}`.
  const basePath = url.pathname === '/' ? '' : url.pathname;
  const port = url.port === '' ? undefined : Number(url.port);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    sha256: NodeSha256,
  });

  const call = async (
    method: 'POST' | 'DELETE',
    connectionId: string,
    body: Uint8Array | undefined,
  ): Promise<GatewayOutcome> => {
    const path = `${basePath}/@connections/${encodeLabel(connectionId)}`;
    const headers: Record<string, string> = { host: url.host };
    if (body !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      headers['content-length'] = String(body.byteLength);
    }
    for (let attempt = 1; ; attempt += 1) {
      // Signed per attempt, as the SDK does: a retry gets a fresh x-amz-date.
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(port === undefined ? {} : { port }),
        path,
        query: {},
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const status = await exchange(
        send({ method, hostname, port, path, headers: signed.headers, agent }),
        body,
      ).catch(() => undefined);
      const outcome = outcomeOfStatus(status);
      if (outcome !== 'throttled' && outcome !== 'unreachable') return outcome;
      if (attempt >= GATEWAY_MAX_ATTEMPTS) return outcome;
      const delay = Math.floor(
        Math.random() * (status === 429 ? THROTTLING_RETRY_DELAY_MS : RETRY_DELAY_MS),
      );
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };

  const settle = (method: 'POST' | 'DELETE', connectionId: string, body?: Uint8Array) =>
    call(method, connectionId, body).catch((): GatewayOutcome => 'unreachable');
  return {
    post: (connectionId, data) => settle('POST', connectionId, data),
    delete: (connectionId) => settle('DELETE', connectionId),
  };

  /** Sends one request; resolves its status once the response is read, rejects on a network error or timeout. */
  function exchange(req: ClientRequest, body: Uint8Array | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let connectTimer: NodeJS.Timeout | undefined;
      const requestTimer = setTimeout(
        () => req.destroy(timeoutError(`no response within ${GATEWAY_REQUEST_TIMEOUT_MS} ms`)),
        GATEWAY_REQUEST_TIMEOUT_MS,
      );
      const done = () => {
        clearTimeout(requestTimer);
        clearTimeout(connectTimer);
      };
      req.once('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(
          () => req.destroy(timeoutError(`no connection within ${GATEWAY_CONNECT_TIMEOUT_MS} ms`)),
          GATEWAY_CONNECT_TIMEOUT_MS,
        );
        socket.once('connect', () => clearTimeout(connectTimer));
      });
      req.once('response', (res) => {
        res.once('error', (error) => {
          done();
          reject(error);
        });
        res.once('close', () => {
          done();
          if (res.complete) resolve(res.statusCode ?? 0);
          else reject(new Error('the response was cut off'));
        });
        // The body (an error message at most) is not needed; reading it frees the socket.
        res.resume();
      });
      req.once('error', (error) => {
        done();
        reject(error);
      });
      req.end(body);
    });
  }
}

/**
 * A connection id as the SDK writes an HTTP label: `@smithy/core`'s `extendedEncodeURIComponent`
 * (`encodeURIComponent`, plus `!'()*` percent-encoded). The tests compare it with the SDK's path.
 */
function encodeLabel(value: string): string {
  if (/^[\w.~-]+$/.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(`API Gateway request: ${message}`), { name: 'TimeoutError' });
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytesOf = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** SHA-256 (or HMAC-SHA256 with a secret) for the signer, over node:crypto. */
class NodeSha256 {
  readonly #secret: string | Uint8Array | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytesOf(secret);
    this.#hash = this.#create();
  }

  update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#create();
  }

  #create(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
}
