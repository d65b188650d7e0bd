import {
  aws_ec2 as ec2,
  type aws_iam as iam,
  type aws_rds as rds,
  type aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import type { GroupEnv } from '../config/index.js';

/** What every connection to the user service's PostgreSQL may set. */
export interface PresenceDatabaseCommonOptions {
  /**
   * Security group of the database (or proxy); the construct lets the functions in on its port.
   * @default - no rule added: the network path is the caller's business
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * TLS mode. `verify-full` checks the server certificate against the Amazon RDS CAs, which the
   * construct loads through `NODE_EXTRA_CA_CERTS`.
   * @default 'verify-full'
   */
  readonly ssl?: 'require' | 'verify-full';
  /**
   * Schema holding `friendship_table` and `user_table` (`DB_SCHEMA`).
   * @default - the connection's search_path (usually `public`)
   */
  readonly schema?: string;
  /**
   * TCP port.
   * @default 5432
   */
  readonly port?: number;
}

/** Options of {@link PresenceDatabase.direct}. */
export interface DirectDatabaseOptions extends PresenceDatabaseCommonOptions {
  /** Host name of the database. */
  readonly host: string;
  /**
   * RDS-style credentials secret (JSON with `username` and `password`); the functions read it on
   * first use and again when PostgreSQL refuses it (rotation), so no password sits in a variable.
   */
  readonly credentials: secretsmanager.ISecret;
  /**
   * Database name (`DB_NAME`).
   * @default - the secret's `dbname`
   */
  readonly databaseName?: string;
  /**
   * Database user (`DB_USER`).
   * @default - the secret's `username`
   */
  readonly username?: string;
  /**
   * Named prepared statements, planned once per connection (`DB_PREPARED_STATEMENTS`): about
   * 1.6-1.9x the SQL throughput measured in `pnpm bench`.
   * @default false
   */
  readonly preparedStatements?: boolean;
}

/** Options of {@link PresenceDatabase.proxy}. */
export interface ProxyDatabaseOptions extends PresenceDatabaseCommonOptions {
  /** The IAM database user the functions log in as (`DB_USER`, `proxy.grantConnect`). */
  readonly username: string;
  /** Database name (`DB_NAME`). */
  readonly databaseName: string;
}

/**
 * The user service's PostgreSQL (friend graph and profiles, read only): directly with a
 * credentials secret, or through RDS Proxy with IAM authentication. Prepared statements exist
 * only on the direct connection (behind RDS Proxy they pin the session): they cannot be asked for.
 */
export abstract class PresenceDatabase {
  /** A direct connection with a Secrets Manager credentials secret. */
  static direct(options: DirectDatabaseOptions): PresenceDatabase {
    return new DirectDatabase(options);
  }

  /**
   * Through RDS Proxy with IAM authentication: the functions get `rds-db:connect` for `username`
   * and sign a token per connection; no password secret is granted at all. The proxy must require
   * IAM authentication.
   */
  static proxy(proxy: rds.IDatabaseProxy, options: ProxyDatabaseOptions): PresenceDatabase {
    return new ProxyDatabase(proxy, options);
  }

  /** The `database` variables of the functions that read the graph. */
  abstract readonly env: GroupEnv<'database'>;
  /** The security group and port to open to the functions. */
  abstract readonly ingress: { securityGroup: ec2.ISecurityGroup; port: number } | undefined;
  /** Whether the server certificate is verified (the functions then load the RDS CA bundle). */
  abstract readonly verifiesCertificate: boolean;
  /** Lets a function connect: read the secret, or `rds-db:connect`. */
  abstract grantConnect(grantee: iam.IGrantable): void;
}

function common(options: PresenceDatabaseCommonOptions) {
  return {
    ingress:
      options.securityGroup === undefined
        ? undefined
        : { securityGroup: options.securityGroup, port: options.port ?? 5432 },
    verifiesCertificate: (options.ssl ?? 'verify-full') === 'verify-full',
    env: {
      DB_PORT: String(options.port ?? 5432),
      DB_SSL: options.ssl ?? 'verify-full',
      ...(options.schema === undefined ? {} : { DB_SCHEMA: options.schema }),
    },
  } as const;
}

class DirectDatabase extends PresenceDatabase {
  readonly env: GroupEnv<'database'>;
  readonly ingress;
  readonly verifiesCertificate;
  readonly #credentials: secretsmanager.ISecret;
  constructor(options: DirectDatabaseOptions) {
    super();
    const shared = common(options);
    this.ingress = shared.ingress;
    this.verifiesCertificate = shared.verifiesCertificate;
    this.#credentials = options.credentials;
    this.env = {
      DB_CONNECTION: 'secret',
      DB_HOST: options.host,
      DB_SECRET_ARN: options.credentials.secretArn,
      ...shared.env,
      ...(options.databaseName === undefined ? {} : { DB_NAME: options.databaseName }),
      ...(options.username === undefined ? {} : { DB_USER: options.username }),
      ...(options.preparedStatements ? { DB_PREPARED_STATEMENTS: 'true' } : {}),
    };
  }

  grantConnect(grantee: iam.IGrantable): void {
    this.#credentials.grantRead(grantee);
  }
}

class ProxyDatabase extends PresenceDatabase {
  readonly env: GroupEnv<'database'>;
  readonly ingress;
  readonly verifiesCertificate;
  constructor(
    private readonly proxy: rds.IDatabaseProxy,
    private readonly options: ProxyDatabaseOptions,
  ) {
    super();
    const shared = common(options);
    this.ingress = shared.ingress;
    this.verifiesCertificate = shared.verifiesCertificate;
    this.env = {
      DB_CONNECTION: 'iam',
      DB_HOST: proxy.endpoint,
      DB_NAME: options.databaseName,
      DB_USER: options.username,
      ...shared.env,
    };
  }

  grantConnect(grantee: iam.IGrantable): void {
    this.proxy.grantConnect(grantee, this.options.username);
  }
}
