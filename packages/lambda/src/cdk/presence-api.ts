import {
  type aws_apigateway as apigateway,
  type aws_apigatewayv2 as apigwv2,
  type aws_dynamodb,
  CfnOutput,
  Duration,
  aws_ec2 as ec2,
  type aws_elasticache as elasticache,
  aws_events as events,
  aws_iam as iam,
  type aws_lambda as lambda,
  aws_logs as logs,
  Names,
  Stack,
  type aws_secretsmanager as secretsmanager,
  type aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PresenceEnv } from '../config/index.js';
import { PRESENCE_FUNCTIONS, type PresenceFunctionName, usesGroup } from '../manifest.js';
import { DEFAULT_METRICS_NAMESPACE } from '../metric-names.js';
import { createActivityTable, grantActivity, type PresenceActivityBinding } from './activity.js';
import { type FrontDoorBinding, PresenceFrontDoor } from './front-door.js';
import { presenceFunctionsDirectory } from './function-code.js';
import { createFunctions } from './functions.js';
import { bindGraphChanges } from './graph-changes.js';
import { PresenceMonitoring } from './monitoring.js';
import { acknowledgeNagRules } from './nag.js';
import type { PresenceApiProps } from './props.js';
import { PresenceRedis, type PresenceRedisBinding, type PresenceRedisEndpoint } from './redis.js';
import { validateProps } from './validate.js';
import { callbackUrlOf, completeWebSocketApi, createWebSocketApi } from './websocket.js';

/** Default stage throttling: steady requests (or messages) per second, and burst. */
export const DEFAULT_THROTTLE = Object.freeze({ rateLimit: 1000, burstLimit: 2000 });

/**
 * The whole presence API on AWS: the WebSocket API (`$connect` behind the Lambda authorizer,
 * `heartbeat`, `update-presence`, `$disconnect`, `$default`), the REST routes (`GET /presence`,
 * `GET /presence/{userId}`) on an HTTP API (or a REST API), the scheduled timeout sweep, the twelve
 * functions in the VPC, a Redis unless one is given, and the alarms and dashboard on-call needs.
 * PostgreSQL is the user service's, given as a connection.
 *
 * @example
 * const api = new PresenceApi(this, 'Presence', {
 *   vpc,
 *   identity: PresenceIdentity.cognito(userPool, [webClient]),
 *   allowedOrigins: ['https://chat.example.com'],
 *   database: PresenceDatabase.direct({ host: db.instanceEndpoint.hostname, credentials: db.secret! }),
 * });
 */
export class PresenceApi extends Construct implements ec2.IConnectable {
  /** The WebSocket API. */
  readonly webSocketApi: apigwv2.WebSocketApi;
  /** The WebSocket API's stage (auto-deployed, throttled). */
  readonly webSocketStage: apigwv2.WebSocketStage;
  /** `wss://` URL clients connect to (append `?Authorization=<JWT>`). */
  readonly webSocketUrl: string;
  /** `https://` URL the functions post frames to (`@connections`). */
  readonly webSocketCallbackUrl: string;
  /** `https://` base URL of the REST routes. */
  readonly restUrl: string;
  /** The HTTP API serving the REST routes. @default - none with `PresenceFrontDoor.restApi()` */
  readonly httpApi?: apigwv2.HttpApi;
  /** The REST API serving the REST routes. @default - none with the default HTTP API */
  readonly restApi?: apigateway.RestApi;
  /** The REST API's gateway authorizer. @default - none: the functions verify the token */
  readonly restAuthorizer?: apigateway.Authorizer;
  /** The twelve functions, by name. */
  readonly functions: Readonly<Record<PresenceFunctionName, lambda.Function>>;
  /** The EventBridge rule that runs the `timeout` function. */
  readonly sweepSchedule: events.Rule;
  /** Where the functions reach Redis. */
  readonly redisEndpoint: PresenceRedisEndpoint;
  /** The Redis AUTH token secret (created, or the given one). @default - none without AUTH */
  readonly redisAuthToken?: secretsmanager.ISecret;
  /** The created replication group. @default - none */
  readonly redisReplicationGroup?: elasticache.CfnReplicationGroup;
  /** The created serverless cache. @default - none */
  readonly redisServerlessCache?: elasticache.CfnServerlessCache;
  /** Security group of the created Redis. @default - none when `redis` is existing */
  readonly redisSecurityGroup?: ec2.ISecurityGroup;
  /** Security groups of the functions. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /** The functions' network connections: allow them into your own resources with this. */
  readonly connections: ec2.Connections;
  /** The alarms and the dashboard. @default - none with `monitoring: false` */
  readonly monitoring?: PresenceMonitoring;
  /** The `service` dimension of the functions' metrics (`PRESENCE_SERVICE_NAME`). */
  readonly metricsServiceName: string;
  /** Regional targets of the custom domains, for your DNS records. */
  readonly domainTargets: { readonly webSocket?: string; readonly rest?: string };
  /** The rule routing the user service's graph changes to `graph-changed`. @default - none without `graphChanges` */
  readonly graphChangesRule?: events.Rule;
  /** Where graph changes that still fail after their retries go. @default - none without `graphChanges` */
  readonly graphChangesDeadLetterQueue?: sqs.Queue;
  /** The activity history's table. @default - none without `activityHistory` */
  readonly activityTable?: aws_dynamodb.TableV2;

  /** Validates `props` (throws naming every problem) and creates the resources. */
  constructor(scope: Construct, id: string, props: PresenceApiProps) {
    super(scope, id);
    const frontDoor = props.frontDoor ?? PresenceFrontDoor.httpApi();
    const stageName = props.stageName ?? 'prod';
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const throttle = {
      rateLimit: props.throttlingRateLimitPerSecond ?? DEFAULT_THROTTLE.rateLimit,
      burstLimit: props.throttlingBurstLimit ?? DEFAULT_THROTTLE.burstLimit,
    };
    this.metricsServiceName = Names.uniqueResourceName(this, {
      maxLength: 128,
      separator: '-',
    }).toLowerCase();
    const tracingEnabled = props.tracingEnabled ?? false;

    // --- Network ---
    this.securityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: 'Presence API functions',
        allowAllOutbound: true,
      }),
    ];
    this.connections = new ec2.Connections({ securityGroups: this.securityGroups });
    if (props.secretsManagerEndpoint) {
      props.vpc
        .addInterfaceEndpoint(`${Names.uniqueId(this)}SecretsManager`, {
          service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
          subnets: vpcSubnets,
          privateDnsEnabled: true,
          open: false,
        })
        .connections.allowFrom(
          this.connections,
          ec2.Port.tcp(443),
          'Presence functions to Secrets Manager',
        );
    }

    // --- Backends ---
    const redis = (props.redis ?? PresenceRedis.elastiCache()).bind(this, {
      vpc: props.vpc,
      vpcSubnets,
      connections: this.connections,
    });
    this.redisEndpoint = redis.endpoint;
    this.redisAuthToken = redis.authToken;
    this.redisReplicationGroup = redis.replicationGroup;
    this.redisServerlessCache = redis.serverlessCache;
    this.redisSecurityGroup = redis.securityGroup;
    const database = props.database;
    if (database.ingress) {
      database.ingress.securityGroup.connections.allowFrom(
        this.connections,
        ec2.Port.tcp(database.ingress.port),
        'Presence API functions to PostgreSQL',
      );
    }

    const activity =
      props.activityHistory === undefined || props.activityHistory === false
        ? undefined
        : createActivityTable(this, props.activityHistory === true ? {} : props.activityHistory);
    this.activityTable = activity?.table;

    // --- Functions ---
    this.webSocketApi = createWebSocketApi(this);
    this.webSocketCallbackUrl = callbackUrlOf(this.webSocketApi, stageName);
    const environment = this.#environment(props, redis, activity);
    validateProps(props, environment);
    const functions = createFunctions(this, {
      codeDirectory: props.functionsCodeDirectory ?? presenceFunctionsDirectory(),
      environment,
      memorySizeMb: props.memorySizeMb ?? 512,
      requestTimeoutSeconds: props.functionTimeoutSeconds ?? 10,
      sweepTimeoutSeconds: props.sweepFunctionTimeoutSeconds ?? 60,
      overrides: props.functionOverrides ?? {},
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: this.securityGroups,
      tracingEnabled,
      logRetention,
      rdsCertificates: database.verifiesCertificate,
      grants: {
        redis: (grantee) => redis.authToken?.grantRead(grantee),
        database: (grantee) => database.grantConnect(grantee),
      },
    });
    this.functions = functions;
    if (activity !== undefined) grantActivity(activity.table, functions);

    // --- WebSocket API ---
    const webSocket = completeWebSocketApi(this, this.webSocketApi, {
      functions,
      stageName,
      throttle,
      logRetention,
      domain: props.webSocketDomain,
    });
    this.webSocketStage = webSocket.stage;
    this.webSocketUrl = webSocket.url;
    this.#grantManageConnections(stageName);

    // --- REST routes ---
    const rest: FrontDoorBinding = frontDoor.bind(this, {
      getPresence: functions['get-presence'],
      getUserPresence: functions['get-user-presence'],
      authorizer: functions.authorizer,
      identity: props.identity,
      allowedOrigins: props.allowedOrigins,
      stageName,
      throttle,
      logRetention,
      tracingEnabled,
      cloudWatchRole: props.cloudWatchRole ?? false,
      domain: props.restDomain,
      getActivity: functions['get-activity'],
      deleteActivity: functions['delete-activity'],
    });
    this.restUrl = rest.url;
    this.httpApi = rest.httpApi;
    this.restApi = rest.restApi;
    this.restAuthorizer = rest.restAuthorizer;
    this.domainTargets = {
      ...(webSocket.domainTarget === undefined ? {} : { webSocket: webSocket.domainTarget }),
      ...(rest.domainTarget === undefined ? {} : { rest: rest.domainTarget }),
    };

    // --- Timeout sweep ---
    this.sweepSchedule = new events.Rule(this, 'SweepSchedule', {
      description: 'Presence: runs the timeout sweep',
      schedule: events.Schedule.rate(Duration.minutes((props.sweepIntervalSeconds ?? 60) / 60)),
      // No retries: the next run sweeps whatever this one left.
      targets: [new targets.LambdaFunction(functions.timeout, { retryAttempts: 0 })],
    });

    // --- Friend graph changes ---
    if (props.graphChanges !== undefined) {
      const graphChanges = bindGraphChanges(this, functions['graph-changed'], props.graphChanges);
      this.graphChangesRule = graphChanges.rule;
      this.graphChangesDeadLetterQueue = graphChanges.deadLetterQueue;
    }

    // --- Observability ---
    if (props.monitoring ?? true) {
      this.monitoring = new PresenceMonitoring(this, 'Monitoring', {
        functions,
        namespace: props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE,
        serviceName: this.metricsServiceName,
        webSocket,
        frontDoor: rest,
        redis,
        ...(props.alarmActions === undefined ? {} : { alarmActions: props.alarmActions }),
        activityHistory: activity !== undefined,
      });
    }
    acknowledgeNagRules(this, {
      functions,
      connectionsArns: (name) => this.#connectionsArns(stageName, name),
      webSocketApi: this.webSocketApi,
      frontDoor: rest,
      redis,
      tracingEnabled,
    });

    new CfnOutput(this, 'WebSocketUrl', {
      description: 'Presence WebSocket URL (connect with ?Authorization=<JWT>)',
      value: this.webSocketUrl,
    });
    new CfnOutput(this, 'RestUrl', {
      description: 'Presence REST base URL (GET presence, GET presence/{userId})',
      value: this.restUrl,
    });
  }

  /**
   * Every variable any function reads, typed through `PresenceEnv` (a misspelt variable does not
   * compile); each function then gets only its own groups'.
   */
  #environment(
    props: PresenceApiProps,
    redis: PresenceRedisBinding,
    activity: PresenceActivityBinding | undefined,
  ): PresenceEnv {
    const env: PresenceEnv = {
      PRESENCE_TIMEOUT_SECONDS: String(props.presenceTimeoutSeconds ?? 180),
      PRESENCE_SWEEP_BATCH_SIZE: optionalString(props.sweepBatchSize),
      PRESENCE_SWEEP_ANNOUNCE_AFTER: optionalString(props.sweepAnnounceAfter),
      PRESENCE_MAX_CONNECTIONS_PER_USER: optionalString(props.maxConnectionsPerUser),
      PRESENCE_FRAME_RATE_PER_SECOND: optionalString(props.frameRateLimit?.perSecond),
      PRESENCE_FRAME_RATE_BURST: optionalString(props.frameRateLimit?.burst),
      PRESENCE_FRAME_REFRESH_SECONDS: optionalString(props.frameRefreshSeconds),
      PRESENCE_LAST_SEEN_DAYS: optionalString(props.lastSeenDays),
      PRESENCE_LAST_SEEN_GRANULARITY_SECONDS: optionalString(props.lastSeenGranularitySeconds),
      LOG_LEVEL: props.logLevel ?? 'info',
      LOG_SAMPLE_RATE: optionalString(props.logSampleRate),
      METRICS_NAMESPACE: props.metricsNamespace,
      PRESENCE_SERVICE_NAME: this.metricsServiceName,
      TRACING: props.tracingEnabled ? 'true' : undefined,
      ...redis.env,
      REDIS_KEY_PREFIX: props.redisKeyPrefix,
      ...props.database.env,
      ...props.identity.env,
      WEBSOCKET_CALLBACK_URL: this.webSocketCallbackUrl,
      GATEWAY_TRANSPORT: props.gatewayTransport,
      CORS_ALLOWED_ORIGINS:
        props.allowedOrigins.length > 0 ? props.allowedOrigins.join(',') : undefined,
      PRESENCE_FRIEND_CACHE_SECONDS: optionalString(props.friendCacheSeconds),
      ACTIVITY_TABLE_NAME: activity?.table.tableName,
      ACTIVITY_RETENTION_DAYS: optionalString(activity?.retentionDays),
    };
    return env;
  }

  /** The `@connections` ARNs a function is granted: POST to the senders, DELETE to the closers. */
  #connectionsArns(stageName: string, name: PresenceFunctionName): string[] {
    const arn = (method: 'POST' | 'DELETE') =>
      Stack.of(this).formatArn({
        service: 'execute-api',
        resource: this.webSocketApi.apiId,
        resourceName: `${stageName}/${method}/@connections/*`,
      });
    return [
      ...(PRESENCE_FUNCTIONS[name].postsFrames ? [arn('POST')] : []),
      ...(PRESENCE_FUNCTIONS[name].closesSockets ? [arn('DELETE')] : []),
    ];
  }

  /**
   * `execute-api:ManageConnections` on this API's stage only: POST (send a frame) for the
   * functions that send, DELETE (close a socket) for the sweep and the functions that enforce the
   * connection cap. Nothing else, no GET.
   */
  #grantManageConnections(stageName: string): void {
    for (const [name, fn] of Object.entries(this.functions)) {
      const resources = this.#connectionsArns(stageName, name as PresenceFunctionName);
      if (resources.length === 0) continue;
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources }),
      );
    }
  }
}

function optionalString(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}
