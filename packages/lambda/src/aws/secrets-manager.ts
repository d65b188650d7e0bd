import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '@presence/core';
import type { SecretSource } from './secrets.js';

/**
 * Seconds a secret is served from the cache before the next read fetches it again. Rotation is
 * caught sooner by an authentication failure (see `refresh`); the age bounds how long a newly
 * built client may still be handed a value older than the last rotation.
 * @default 300
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/**
 * Secrets Manager through Powertools Parameters' `SecretsProvider`: one client per container
 * (region from the ARN), values cached for `maxAgeSeconds`, `refresh` forces a fetch.
 */
export function createSecretsManagerSource(
  options: { readonly maxAgeSeconds?: number } = {},
): SecretSource {
  const maxAge = options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS;
  const providers = new Map<string, SecretsProvider>();
  const providerFor = (secretArn: string) => {
    const region = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):/.exec(secretArn)?.[1] ?? '';
    let provider = providers.get(region);
    if (provider === undefined) {
      provider = new SecretsProvider({
        awsSdkV3Client: new SecretsManagerClient(region === '' ? {} : { region }),
      });
      providers.set(region, provider);
    }
    return provider;
  };
  const get = async (secretArn: string, forceFetch: boolean) => {
    const value = await providerFor(secretArn).get(secretArn, { maxAge, forceFetch });
    if (typeof value !== 'string') {
      throw new ConfigError(`secret ${secretArn} has no SecretString`);
    }
    return value;
  };
  return { read: (arn) => get(arn, false), refresh: (arn) => get(arn, true) };
}
