import { existsSync, readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ConfigError, type FriendGraph, GraphUnavailableError } from '@presence/core';
import { PostgresFriendGraph, type PostgresFriendGraphOptions } from '@presence/postgres';
import { databaseSecretOf, type SecretSource } from '../aws/index.js';
import type { DatabaseConfig, DatabaseSslMode, PresenceConfig } from '../config/index.js';
import { graphVia } from './ports.js';
import { type RotationPolicy, readSecret, rebuildable, withRotation } from './rebuildable.js';
import type { BuildDependencies } from './runtime.js';
import { secretsOf } from './secrets.js';

/** TLS options for pg from a libpq-style mode. Exported for tests. */
export function pgSsl(mode: DatabaseSslMode | undefined): PostgresFriendGraphOptions['ssl'] {
  if (mode === undefined) return undefined;
  if (mode === 'disable') return false;
  if (mode === 'require') return { rejectUnauthorized: false };
  // verify-full: Node's bundled roots do not include the RDS CAs; Lambda ships them here.
  const lambdaBundle = '/var/runtime/ca-cert.pem';
  return existsSync(lambdaBundle)
    ? { rejectUnauthorized: true, ca: [...rootCertificates, readFileSync(lambdaBundle, 'utf8')] }
    : { rejectUnauthorized: true };
}

/** PostgreSQL refused the credentials: SQLSTATE 28P01 (bad password) or 28000 (rejected). */
export function isPostgresAuthFailure(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause ?? error;
  const code = (cause as { code?: unknown } | null)?.code;
  return code === '28P01' || code === '28000';
}

/** The pg options of one connection kind, once its secret (if any) is read. */
async function graphOptions(
  db: DatabaseConfig,
  region: string | undefined,
  secrets: SecretSource,
  fresh: boolean,
): Promise<PostgresFriendGraphOptions> {
  const ssl = pgSsl(db.ssl);
  const common = {
    ...(db.schema === undefined ? {} : { schema: db.schema }),
    ...(ssl === undefined ? {} : { ssl }),
    preparedStatements: db.preparedStatements,
  };
  switch (db.kind) {
    case 'url':
      return { ...common, connectionString: db.url };
    case 'iam':
      if (region === undefined) {
        throw new ConfigError('DB_CONNECTION=iam needs AWS_REGION (Lambda sets it)');
      }
      return {
        ...common,
        poolConfig: { database: db.database },
        iamAuth: { region, hostname: db.host, port: db.port, username: db.user },
      };
    case 'secret': {
      const secret = databaseSecretOf(await readSecret(secrets, db.secretArn, fresh), db.secretArn);
      return {
        ...common,
        poolConfig: {
          host: db.host,
          port: db.port,
          database: db.database ?? secret.dbname,
          user: db.user ?? secret.username,
          password: secret.password,
        },
      };
    }
  }
}

/**
 * The PostgreSQL friend graph of a function: built on first use (after its secret is read), and
 * rebuilt once with the secret read afresh when PostgreSQL refuses the password (rotation).
 */
export function postgresGraph(
  config: Pick<PresenceConfig, 'database' | 'aws'>,
  deps: BuildDependencies,
): FriendGraph {
  const db = config.database;
  const holder = rebuildable(
    async (fresh) =>
      new PostgresFriendGraph({
        ...(await graphOptions(db, config.aws.region, secretsOf(deps.secrets), fresh)),
        logger: deps.logger,
      }),
  );
  const policy: RotationPolicy = {
    backend: 'postgres',
    fromSecret: db.kind === 'secret',
    isAuthFailure: isPostgresAuthFailure,
    unavailable: (cause) =>
      new GraphUnavailableError('PostgreSQL credentials could not be read', { cause }),
    logger: deps.logger,
  };
  return graphVia(
    (_method, run) => withRotation(holder, run, policy),
    async () => {
      await holder.built()?.close();
    },
  );
}
