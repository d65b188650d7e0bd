import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

/** The audience (`aud`) of local tokens, standing in for a Cognito app client id. */
export const LOCAL_CLIENT_ID = 'presence-local';

/** Where the local signing key is kept: `$PRESENCE_LOCAL_HOME/issuer-key.json`, else `~/.presence-local/`. */
export function defaultKeyFile(env: Record<string, string | undefined> = process.env): string {
  return join(env.PRESENCE_LOCAL_HOME ?? join(homedir(), '.presence-local'), 'issuer-key.json');
}

/** Options of {@link createLocalIssuer}. */
export interface LocalIssuerOptions {
  /** `iss` of the tokens: the local server's URL. */
  readonly issuer: string;
  /** `aud` of the tokens. @default {@link LOCAL_CLIENT_ID} */
  readonly clientId?: string;
  /**
   * JSON file holding the private key, created on first use (mode 0600), so that
   * `presence-local token` and the server sign with the same key. `false` keeps an ephemeral key
   * in memory (tests). @default {@link defaultKeyFile}
   */
  readonly keyFile?: string | false;
}

/** Options of one token. */
export interface IssueTokenOptions {
  /** Lifetime in seconds; negative issues an already expired token (tests). @default 43_200 (12 h) */
  readonly expiresInSeconds?: number;
  /** Override `iss` (tests of a foreign issuer). */
  readonly issuer?: string;
  /** Override `token_use` (tests of an access token). @default 'id' */
  readonly tokenUse?: string;
}

/** A development token issuer shaped like a Cognito user pool: RS256 ID tokens and a JWKS. */
export interface LocalIssuer {
  /** `iss` of the tokens. */
  readonly issuer: string;
  /** `aud` of the tokens. */
  readonly clientId: string;
  /** The public key set to serve at `/.well-known/jwks.json`. */
  readonly jwks: { keys: JWK[] };
  /** Signs a Cognito-shaped ID token for `userId` (`cognito:username`). */
  issueToken(userId: string, options?: IssueTokenOptions): Promise<string>;
}

interface StoredKey {
  readonly kid: string;
  readonly privateJwk: JWK;
}

async function newKey(): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { kid: randomUUID(), privateJwk: await exportJWK(privateKey) };
}

async function loadOrCreateKey(file: string): Promise<StoredKey> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as StoredKey;
    if (typeof stored?.kid === 'string' && stored.privateJwk?.kty === 'RSA') return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) {
      throw error;
    }
  }
  const key = await newKey();
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, `${JSON.stringify(key)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return key;
}

/**
 * Creates the local token issuer: loads (or creates) the RS256 key pair and signs ID tokens shaped
 * like Cognito's (`token_use: "id"`, `cognito:username`, `aud`, `iss`, `exp`).
 * @example
 * const issuer = await createLocalIssuer({ issuer: 'http://127.0.0.1:3000' });
 * const token = await issuer.issueToken('alice');
 */
export async function createLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const stored =
    options.keyFile === false
      ? await newKey()
      : await loadOrCreateKey(options.keyFile ?? defaultKeyFile());
  const privateKey = await importJWK(stored.privateJwk, 'RS256');
  const { n, e } = stored.privateJwk;
  const publicJwk: JWK = { kty: 'RSA', n, e, kid: stored.kid, alg: 'RS256', use: 'sig' };
  const clientId = options.clientId ?? LOCAL_CLIENT_ID;
  return {
    issuer: options.issuer,
    clientId,
    jwks: { keys: [publicJwk] },
    async issueToken(userId, tokenOptions = {}) {
      const now = Math.floor(Date.now() / 1000);
      const lifetime = tokenOptions.expiresInSeconds ?? 43_200;
      const issuedAt = lifetime < 0 ? now + lifetime - 60 : now;
      return new SignJWT({
        'cognito:username': userId,
        token_use: tokenOptions.tokenUse ?? 'id',
        auth_time: issuedAt,
        email: `${userId}@presence.local`,
        email_verified: true,
      })
        .setProtectedHeader({ alg: 'RS256', kid: stored.kid, typ: 'JWT' })
        .setSubject(subjectOf(userId))
        .setIssuer(tokenOptions.issuer ?? options.issuer)
        .setAudience(clientId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(now + lifetime)
        .setJti(randomUUID())
        .sign(privateKey);
    },
  };
}

/** A stable UUID-looking `sub` per user id, like Cognito's (which is not the username). */
function subjectOf(userId: string): string {
  let h = 0x811c9dc5;
  for (const ch of userId) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}${hex.slice(0, 4)}`;
}
