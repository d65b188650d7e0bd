import {
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * An OIDC issuer on a loopback port: an RSA key pair, its JWKS at `/.well-known/jwks.json`, and a
 * signer for Cognito-shaped ID tokens (`token_use`, `cognito:username`, `aud`).
 */
export class TestIssuer {
  readonly kid = randomUUID();
  readonly clientId = 'presence-web-client-1a2b3c';
  readonly #privateKey: KeyObject;
  readonly #publicJwk: Record<string, unknown>;
  #server: Server | undefined;
  #base = '';
  /** JWKS requests served. */
  jwksRequests = 0;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.#publicJwk = {
      ...publicKey.export({ format: 'jwk' }),
      kid: this.kid,
      alg: 'RS256',
      use: 'sig',
    };
  }

  /** The issuer (`iss`), e.g. `http://127.0.0.1:41234`. */
  get issuer(): string {
    return this.#base;
  }

  /** The JWKS document served. */
  get jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [this.#publicJwk] };
  }

  get jwksUrl(): string {
    return `${this.#base}/.well-known/jwks.json`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url === '/.well-known/jwks.json') {
        this.jwksRequests++;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ keys: [this.#publicJwk] }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Claims of a valid Cognito ID token for `username`, valid for an hour from now (wall clock: the verifier's). */
  claims(username: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: randomUUID(),
      aud: this.clientId,
      email_verified: true,
      token_use: 'id',
      auth_time: now - 60,
      iss: this.issuer,
      'cognito:username': username,
      exp: now + 3600,
      iat: now - 60,
      jti: randomUUID(),
      origin_jti: randomUUID(),
      ...overrides,
    };
  }

  /** An RS256 token signed with the served key (or another key, to forge one). */
  token(
    username: string,
    overrides: Record<string, unknown> = {},
    options: { header?: Record<string, unknown>; key?: KeyObject } = {},
  ): string {
    const header = { kid: this.kid, alg: 'RS256', ...options.header };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(this.claims(username, overrides)))}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), options.key ?? this.#privateKey);
    return `${input}.${b64url(signature)}`;
  }

  /** An unsigned `alg: none` token with otherwise valid claims. */
  unsignedToken(username: string): string {
    const header = { kid: this.kid, alg: 'none', typ: 'JWT' };
    return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(this.claims(username)))}.`;
  }

  /** A key that is not in the JWKS. */
  static foreignKey(): KeyObject {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  }
}
