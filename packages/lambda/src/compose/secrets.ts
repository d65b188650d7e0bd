import { createSecretsManagerSource, type SecretSource } from '../aws/index.js';

let shared: SecretSource | undefined;

/**
 * The container's Secrets Manager source, created on first use: only the functions that read a
 * secret (the store's and the graph's builders) import this module, so the authorizer's bundle
 * holds no Secrets Manager client.
 */
export function secretsOf(given: SecretSource | undefined): SecretSource {
  if (given !== undefined) return given;
  shared ??= createSecretsManagerSource();
  return shared;
}
