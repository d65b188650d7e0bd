import { ConfigError } from '@presence/core';

/** Reads a secret's `SecretString`. Injected in tests; the default calls Secrets Manager. */
export type SecretReader = (secretArn: string) => Promise<string>;

/**
 * Where the runtime reads secrets: a cache that serves a value until it is older than its max age,
 * and `refresh` for an authentication failure (the secret was rotated under a live container).
 */
export interface SecretSource {
  /** The secret's `SecretString`, cached. */
  read(secretArn: string): Promise<string>;
  /** Drops the cached value and reads the secret again. */
  refresh(secretArn: string): Promise<string>;
}

/** A {@link SecretSource} over a plain reader: each secret read once, read again on `refresh`. */
export function secretSourceOf(read: SecretReader): SecretSource {
  const cache = new Map<string, Promise<string>>();
  const fetch = (secretArn: string) => {
    const value = read(secretArn);
    cache.set(secretArn, value);
    // A failed fetch is not cached: the next call tries again.
    value.catch(() => {
      if (cache.get(secretArn) === value) cache.delete(secretArn);
    });
    return value;
  };
  return {
    read: (secretArn) => cache.get(secretArn) ?? fetch(secretArn),
    refresh: fetch,
  };
}

/** The Redis AUTH token from a secret: the plain string, or JSON with `password` or `authToken`. */
export function redisAuthTokenOf(secret: string, secretArn: string): string {
  const trimmed = secret.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  const json = parseJson(trimmed, secretArn);
  const token = json.password ?? json.authToken ?? json.auth_token;
  if (typeof token !== 'string' || token === '') {
    throw new ConfigError(`secret ${secretArn} has no "password" or "authToken" field`);
  }
  return token;
}

/** Fields of an RDS-style database secret. */
export interface DatabaseSecret {
  readonly username?: string;
  readonly password: string;
  readonly host?: string;
  readonly port?: number;
  readonly dbname?: string;
}

/** Parses an RDS-style JSON secret `{username,password,host?,port?,dbname?}`. */
export function databaseSecretOf(secret: string, secretArn: string): DatabaseSecret {
  const json = parseJson(secret, secretArn);
  if (typeof json.password !== 'string') {
    throw new ConfigError(`secret ${secretArn} has no "password" field`);
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const port = Number(json.port);
  return {
    password: json.password,
    ...(text(json.username) === undefined ? {} : { username: text(json.username) }),
    ...(text(json.host) === undefined ? {} : { host: text(json.host) }),
    ...(Number.isInteger(port) && port > 0 ? { port } : {}),
    ...(text(json.dbname) === undefined ? {} : { dbname: text(json.dbname) }),
  };
}

function parseJson(secret: string, secretArn: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(secret);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through: the message must not quote the secret
  }
  throw new ConfigError(`secret ${secretArn} is not a JSON object`);
}
