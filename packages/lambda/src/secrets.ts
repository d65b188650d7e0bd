import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '@presence/core';

/** Reads a secret's `SecretString`. Injected in tests; the default calls Secrets Manager. */
export type SecretReader = (secretArn: string) => Promise<string>;

let client: SecretsManagerClient | undefined;

/** Reads `SecretString` from AWS Secrets Manager (the client is built on first use). */
export const readSecretsManagerSecret: SecretReader = async (secretArn) => {
  const region = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretArn)?.[1];
  client ??= new SecretsManagerClient(region === undefined ? {} : { region });
  const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  if (SecretString === undefined) throw new ConfigError(`secret ${secretArn} has no SecretString`);
  return SecretString;
};

/** Wraps a reader so each secret is fetched once per container; a failed fetch is retried next time. */
export function memoizeSecrets(read: SecretReader): SecretReader {
  const cache = new Map<string, Promise<string>>();
  return (secretArn) => {
    let value = cache.get(secretArn);
    if (value === undefined) {
      value = read(secretArn);
      cache.set(secretArn, value);
      value.catch(() => cache.delete(secretArn));
    }
    return value;
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
