import {
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_elasticache as elasticache,
  Fn,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { GroupEnv } from '../config/index.js';

/** Where the functions reach Redis, whether given or created. */
export interface PresenceRedisEndpoint {
  /** Host name (primary endpoint, or configuration endpoint in cluster mode). */
  readonly host: string;
  /** TCP port, as a string because a created cache's port is a deploy-time attribute. */
  readonly port: string;
  /** Whether connections use TLS. */
  readonly tls: boolean;
  /** Whether the functions use a Redis Cluster client. */
  readonly cluster: boolean;
  /** The `REDIS_URL` the functions get: `rediss://host:port` with TLS, `redis://host:port` without. */
  readonly url: string;
}

/** What the construct hands a {@link PresenceRedis} to bind it. */
export interface PresenceRedisContext {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  /** The functions' network connections: a created cache lets them in, and only them. */
  readonly connections: ec2.Connections;
}

/** A Redis bound to one `PresenceApi`. */
export interface PresenceRedisBinding {
  readonly endpoint: PresenceRedisEndpoint;
  /** The `redis` variables of the functions that use the store. */
  readonly env: GroupEnv<'redis'>;
  /** The AUTH token secret. @default - none (no AUTH) */
  readonly authToken?: secretsmanager.ISecret;
  /** The created replication group. @default - none */
  readonly replicationGroup?: elasticache.CfnReplicationGroup;
  /** The created serverless cache. @default - none */
  readonly serverlessCache?: elasticache.CfnServerlessCache;
  /** Security group of the created cache. @default - none */
  readonly securityGroup?: ec2.ISecurityGroup;
  /** Memory and CPU (or throttling) metrics, per node, for the alarms and the dashboard. */
  readonly health: { readonly memory: cloudwatch.IMetric[]; readonly cpu: cloudwatch.IMetric[] };
}

/** Options of {@link PresenceRedis.elastiCache}. */
export interface ElastiCacheRedisOptions {
  /**
   * Engine: Redis OSS or Valkey (its open-source successor, the same protocol, cheaper on ElastiCache).
   * @default 'redis'
   */
  readonly engine?: 'redis' | 'valkey';
  /**
   * Engine version.
   * @default - '7.1' for Redis, '8.0' for Valkey
   */
  readonly engineVersion?: string;
  /**
   * Node type.
   * @default 'cache.t4g.small'
   */
  readonly nodeType?: string;
  /**
   * Cluster mode (sharded; the functions use a cluster client).
   * @default false
   */
  readonly clusterMode?: boolean;
  /**
   * Shards in cluster mode.
   * @default 1
   */
  readonly shards?: number;
  /**
   * Replicas per shard; at least 1 gives Multi-AZ failover.
   * @default 1
   */
  readonly replicasPerShard?: number;
}

/** Options of {@link PresenceRedis.serverless}. */
export interface ServerlessRedisOptions {
  /**
   * Engine.
   * @default 'valkey'
   */
  readonly engine?: 'redis' | 'valkey';
  /**
   * Major engine version.
   * @default - '8' for Valkey, '7' for Redis
   */
  readonly majorEngineVersion?: string;
  /**
   * Most data the cache may hold, in GB; the memory alarm fires at 80 % of it.
   * @default 10
   */
  readonly maxDataStorageGb?: number;
}

/** Options of {@link PresenceRedis.existing}. */
export interface ExistingRedisOptions {
  /** Host name of the primary endpoint, or of the configuration endpoint when `cluster` is true. */
  readonly endpoint: string;
  /**
   * TCP port.
   * @default 6379
   */
  readonly port?: number;
  /**
   * Whether to connect with TLS (`rediss://`).
   * @default true
   */
  readonly tls?: boolean;
  /**
   * Secret holding the AUTH token (its plain string, or JSON with `password` or `authToken`); the
   * functions read it on first use and again when Redis refuses it (rotation).
   * @default - no AUTH
   */
  readonly authToken?: secretsmanager.ISecret;
  /**
   * Whether the endpoint is a Redis Cluster configuration endpoint (or ElastiCache Serverless).
   * @default false
   */
  readonly cluster?: boolean;
  /**
   * Security group of the Redis nodes; the construct allows the functions in on `port`.
   * @default - no rule added: the network path is the caller's business
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * ElastiCache cache cluster ids of the nodes, for the memory and CPU alarms.
   * @default - no Redis alarms
   */
  readonly cacheClusterIds?: string[];
}

/**
 * The presence store's Redis: an ElastiCache replication group the construct creates (Redis OSS or
 * Valkey), an ElastiCache Serverless cache it creates, or an existing endpoint. Options of one
 * kind cannot be given to another.
 * @example PresenceRedis.elastiCache({ engine: 'valkey', clusterMode: true, shards: 2 })
 */
export abstract class PresenceRedis {
  /** An ElastiCache replication group: TLS, encryption at rest, an AUTH token in Secrets Manager. */
  static elastiCache(options: ElastiCacheRedisOptions = {}): PresenceRedis {
    return new ReplicationGroupRedis(options);
  }

  /** An ElastiCache Serverless cache (Valkey by default): TLS, a user group with a generated password. */
  static serverless(options: ServerlessRedisOptions = {}): PresenceRedis {
    return new ServerlessRedis(options);
  }

  /** A Redis (or Valkey) you run. */
  static existing(options: ExistingRedisOptions): PresenceRedis {
    return new ExistingRedis(options);
  }

  /** Creates what it needs under `scope` and says how the functions reach it. */
  abstract bind(scope: Construct, context: PresenceRedisContext): PresenceRedisBinding;
}

function endpointOf(host: string, port: string, tls: boolean, cluster: boolean) {
  return { host, port, tls, cluster, url: `${tls ? 'rediss' : 'redis'}://${host}:${port}` };
}

function redisEnv(endpoint: PresenceRedisEndpoint, authToken: secretsmanager.ISecret | undefined) {
  const common = {
    REDIS_URL: endpoint.url,
    REDIS_CLUSTER: endpoint.cluster ? ('true' as const) : ('false' as const),
  };
  return authToken === undefined
    ? common
    : { ...common, REDIS_AUTH: 'secret' as const, REDIS_AUTH_SECRET_ARN: authToken.secretArn };
}

/** An AUTH token ElastiCache accepts: 64 letters and digits (no `/`, `"` or `@`; ~380 bits). */
function generatedToken(scope: Construct, description: string): secretsmanager.Secret {
  return new secretsmanager.Secret(scope, 'AuthToken', {
    description,
    generateSecretString: { passwordLength: 64, excludePunctuation: true },
  });
}

/** A security group the functions, and only they, reach on `port`. */
function cacheSecurityGroup(scope: Construct, context: PresenceRedisContext, port: number) {
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: context.vpc,
    description: 'Presence Redis: reachable from the presence functions only',
    allowAllOutbound: false,
  });
  securityGroup.connections.allowFrom(
    context.connections,
    ec2.Port.tcp(port),
    'Presence API functions',
  );
  return securityGroup;
}

/**
 * A name unique to the stack and short enough for ElastiCache (40 characters): `prefix` and the last
 * group of the stack id's GUID.
 */
function stackUnique(prefix: string): string {
  const guid = Fn.select(2, Fn.split('/', Fn.ref('AWS::StackId')));
  return Fn.join('-', [prefix, Fn.select(4, Fn.split('-', guid))]);
}

const nodeMetric = (metricName: string, cacheClusterId: string) =>
  new cloudwatch.Metric({
    namespace: 'AWS/ElastiCache',
    metricName,
    dimensionsMap: { CacheClusterId: cacheClusterId },
    statistic: 'Maximum',
  });

class ReplicationGroupRedis extends PresenceRedis {
  constructor(private readonly options: ElastiCacheRedisOptions) {
    super();
  }

  bind(parent: Construct, context: PresenceRedisContext): PresenceRedisBinding {
    const scope = new Construct(parent, 'Redis');
    const port = 6379;
    const engine = this.options.engine ?? 'redis';
    const cluster = this.options.clusterMode ?? false;
    const shards = this.options.shards ?? 1;
    const replicas = this.options.replicasPerShard ?? 1;
    const engineVersion = this.options.engineVersion ?? (engine === 'valkey' ? '8.0' : '7.1');
    const major = Number.parseInt(engineVersion.split('.')[0] ?? '7', 10);
    const securityGroup = cacheSecurityGroup(scope, context, port);
    const subnetGroup = new elasticache.CfnSubnetGroup(scope, 'SubnetGroup', {
      description: 'Presence Redis subnets',
      subnetIds: context.vpc.selectSubnets(context.vpcSubnets).subnetIds,
    });
    const authToken = generatedToken(scope, 'AUTH token of the presence Redis');
    const family =
      engine === 'valkey' ? `valkey${major}` : major >= 7 ? `redis${major}` : `redis${major}.x`;
    const replicationGroup = new elasticache.CfnReplicationGroup(scope, 'ReplicationGroup', {
      replicationGroupDescription: 'Presence store',
      engine,
      engineVersion,
      cacheNodeType: this.options.nodeType ?? 'cache.t4g.small',
      port,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [securityGroup.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      // A dynamic reference ({{resolve:secretsmanager:...}}): CloudFormation resolves it at deploy,
      // the token never appears in the template.
      authToken: authToken.secretValue.unsafeUnwrap(),
      automaticFailoverEnabled: cluster || replicas > 0,
      multiAzEnabled: replicas > 0,
      // Presence is ephemeral (every key has a TTL): no snapshots to keep.
      snapshotRetentionLimit: 0,
      ...(cluster
        ? {
            clusterMode: 'enabled',
            cacheParameterGroupName: `default.${family}.cluster.on`,
            numNodeGroups: shards,
            replicasPerNodeGroup: replicas,
          }
        : { numCacheClusters: 1 + replicas }),
    });
    const host = cluster
      ? replicationGroup.attrConfigurationEndPointAddress
      : replicationGroup.attrPrimaryEndPointAddress;
    const portAttr = cluster
      ? replicationGroup.attrConfigurationEndPointPort
      : replicationGroup.attrPrimaryEndPointPort;
    const endpoint = endpointOf(host, portAttr, true, cluster);
    // ElastiCache names the member clusters <group>-00N, and <group>-000S-00N in cluster mode.
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const nodeIds = Array.from({ length: cluster ? shards : 1 }, (_, s) =>
      Array.from({ length: 1 + replicas }, (_, n) =>
        cluster
          ? Fn.join('-', [replicationGroup.ref, pad(s + 1, 4), pad(n + 1, 3)])
          : Fn.join('-', [replicationGroup.ref, pad(n + 1, 3)]),
      ),
    ).flat();
    return {
      endpoint,
      env: redisEnv(endpoint, authToken),
      authToken,
      replicationGroup,
      securityGroup,
      health: {
        memory: nodeIds.map((id) => nodeMetric('DatabaseMemoryUsagePercentage', id)),
        cpu: nodeIds.map((id) => nodeMetric('EngineCPUUtilization', id)),
      },
    };
  }
}

class ServerlessRedis extends PresenceRedis {
  constructor(private readonly options: ServerlessRedisOptions) {
    super();
  }

  bind(parent: Construct, context: PresenceRedisContext): PresenceRedisBinding {
    const scope = new Construct(parent, 'Redis');
    const engine = this.options.engine ?? 'valkey';
    const maxGb = this.options.maxDataStorageGb ?? 10;
    const securityGroup = cacheSecurityGroup(scope, context, 6379);
    const authToken = generatedToken(scope, 'Password of the presence Redis default user');
    // Serverless caches authenticate through a user group, which must hold a user named "default".
    const user = new elasticache.CfnUser(scope, 'DefaultUser', {
      engine: engine === 'valkey' ? 'valkey' : 'redis',
      userId: stackUnique('presence-user'),
      userName: 'default',
      accessString: 'on ~* +@all',
      passwords: [authToken.secretValue.unsafeUnwrap()],
    });
    const userGroup = new elasticache.CfnUserGroup(scope, 'UserGroup', {
      engine: engine === 'valkey' ? 'valkey' : 'redis',
      userGroupId: stackUnique('presence-users'),
      userIds: [user.ref],
    });
    const cache = new elasticache.CfnServerlessCache(scope, 'ServerlessCache', {
      serverlessCacheName: stackUnique('presence'),
      engine,
      majorEngineVersion: this.options.majorEngineVersion ?? (engine === 'valkey' ? '8' : '7'),
      securityGroupIds: [securityGroup.securityGroupId],
      subnetIds: context.vpc.selectSubnets(context.vpcSubnets).subnetIds,
      userGroupId: userGroup.ref,
      cacheUsageLimits: { dataStorage: { maximum: maxGb, unit: 'GB' } },
    });
    // Serverless speaks the cluster protocol behind one TLS endpoint.
    const endpoint = endpointOf(cache.attrEndpointAddress, cache.attrEndpointPort, true, true);
    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensionsMap: { clusterId: cache.ref },
        statistic,
      });
    return {
      endpoint,
      env: redisEnv(endpoint, authToken),
      authToken,
      serverlessCache: cache,
      securityGroup,
      health: {
        // Bytes used as a share of the storage limit.
        memory: [
          new cloudwatch.MathExpression({
            expression: `100 * bytes / ${maxGb * 1024 ** 3}`,
            usingMetrics: { bytes: metric('BytesUsedForCache', 'Maximum') },
            label: 'Memory used, % of the limit',
          }),
        ],
        // Serverless scales its compute; a command throttled means it could not scale fast enough.
        cpu: [metric('ThrottledCmds', 'Sum')],
      },
    };
  }
}

class ExistingRedis extends PresenceRedis {
  constructor(private readonly options: ExistingRedisOptions) {
    super();
  }

  bind(_scope: Construct, context: PresenceRedisContext): PresenceRedisBinding {
    const port = this.options.port ?? 6379;
    const endpoint = endpointOf(
      this.options.endpoint,
      String(port),
      this.options.tls ?? true,
      this.options.cluster ?? false,
    );
    this.options.securityGroup?.connections.allowFrom(
      context.connections,
      ec2.Port.tcp(port),
      'Presence API functions to Redis',
    );
    const ids = this.options.cacheClusterIds ?? [];
    return {
      endpoint,
      env: redisEnv(endpoint, this.options.authToken),
      ...(this.options.authToken === undefined ? {} : { authToken: this.options.authToken }),
      health: {
        memory: ids.map((id) => nodeMetric('DatabaseMemoryUsagePercentage', id)),
        cpu: ids.map((id) => nodeMetric('EngineCPUUtilization', id)),
      },
    };
  }
}
