import {
  aws_apigateway as apigateway,
  aws_apigatewayv2 as apigwv2,
  aws_apigatewayv2_authorizers as apigwv2Authorizers,
  aws_apigatewayv2_integrations as apigwv2Integrations,
  CfnOutput,
  Duration,
  aws_ec2 as ec2,
  aws_elasticache as elasticache,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  Stack,
  aws_secretsmanager as secretsmanager,
  Token,
  aws_events_targets as targets,
  Validations,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  functionAssetDirectory,
  PRESENCE_FUNCTION_NAMES,
  type PresenceFunctionName,
  presenceFunctionsDirectory,
} from './function-code.js';
import type {
  PresenceApiProps,
  PresenceDatabaseConnection,
  PresenceRedisConnection,
} from './props.js';

/** Where the functions reach Redis, whether given or created. */
export interface PresenceRedisEndpoint {
  /** Host name (primary endpoint, or configuration endpoint in cluster mode). */
  readonly host: string;
  /** TCP port, as a string because the created cluster's port is a deploy-time attribute. */
  readonly port: string;
  /** Whether connections use TLS. */
  readonly tls: boolean;
  /** Whether the endpoint is a Redis Cluster configuration endpoint. */
  readonly cluster: boolean;
  /** The `REDIS_URL` the functions get: `rediss://host:port` with TLS, `redis://host:port` without. */
  readonly url: string;
}

/** What each function may touch: the grants follow this table, nothing else gets access. */
const ACCESS: Record<
  PresenceFunctionName,
  { redis: boolean; database: boolean; send: boolean; close: boolean }
> = {
  // Verifies the JWT only (JWKS over HTTPS).
  authorizer: { redis: false, database: false, send: false, close: false },
  // Registers the connection; never posts from inside $connect (the socket is not open yet).
  connect: { redis: true, database: false, send: false, close: false },
  // Refreshes liveness; answers a bad frame with a JSON error frame.
  heartbeat: { redis: true, database: false, send: true, close: false },
  'update-presence': { redis: true, database: true, send: true, close: false },
  // The last connection going away notifies the user's online friends.
  disconnect: { redis: true, database: true, send: true, close: false },
  // Unknown actions get a JSON error frame.
  default: { redis: false, database: false, send: true, close: false },
  // The sweep notifies friends and closes the stale sockets it finds (DeleteConnection).
  timeout: { redis: true, database: true, send: true, close: true },
  'get-presence': { redis: true, database: true, send: false, close: false },
  'get-user-presence': { redis: true, database: true, send: false, close: false },
};

const DESCRIPTIONS: Record<PresenceFunctionName, string> = {
  authorizer: 'Presence: verifies the JWT for WebSocket $connect and the REST API',
  connect: 'Presence: WebSocket $connect',
  heartbeat: 'Presence: WebSocket heartbeat route',
  'update-presence': 'Presence: WebSocket update-presence route',
  disconnect: 'Presence: WebSocket $disconnect',
  default: 'Presence: WebSocket $default route (unknown actions)',
  timeout: 'Presence: scheduled timeout sweep',
  'get-presence': 'Presence: GET /presence',
  'get-user-presence': 'Presence: GET /presence/{userId}',
};

/** PascalCase of a function name, for construct ids (`update-presence` → `UpdatePresence`). */
function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
}

/** Lambda loads the Amazon RDS CAs from here only when asked (Node.js 20 and later runtimes). */
const RDS_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * The whole presence API on AWS: the WebSocket API (`$connect` behind the Lambda authorizer,
 * `heartbeat`, `update-presence`, `$disconnect`, `$default`), the REST API (`GET /presence`,
 * `GET /presence/{userId}`), the scheduled timeout sweep, the nine functions in the VPC, and
 * an ElastiCache Redis unless one is given. PostgreSQL is the user service's, given as a
 * connection.
 *
 * @example
 * const api = new PresenceApi(this, 'Presence', {
 *   vpc,
 *   userPool,
 *   allowedOrigins: ['https://chat.example.com'],
 *   database: { host: db.instanceEndpoint.hostname, databaseName: 'users', credentials: db.secret! },
 * });
 */
export class PresenceApi extends Construct implements ec2.IConnectable {
  /** The WebSocket API. */
  readonly webSocketApi: apigwv2.WebSocketApi;
  /** The WebSocket API's stage (auto-deployed). */
  readonly webSocketStage: apigwv2.WebSocketStage;
  /** `wss://` URL clients connect to (append `?Authorization=<JWT>`). */
  readonly webSocketUrl: string;
  /** `https://` URL the functions post frames to (`@connections`). */
  readonly webSocketCallbackUrl: string;
  /** The REST API. */
  readonly restApi: apigateway.RestApi;
  /** The REST API's authorizer (`restAuthorization` 'lambda' or 'cognito'). @default - none: with 'handler' the functions verify the token */
  readonly restAuthorizer?: apigateway.Authorizer;
  /** The nine functions, by name. */
  readonly functions: Readonly<Record<PresenceFunctionName, lambda.Function>>;
  /** The EventBridge rule that runs the `timeout` function. */
  readonly sweepSchedule: events.Rule;
  /** Where the functions reach Redis. */
  readonly redisEndpoint: PresenceRedisEndpoint;
  /** The Redis AUTH token secret (created, or the given one). @default - none when the given Redis has no AUTH */
  readonly redisAuthToken?: secretsmanager.ISecret;
  /** The created replication group. @default - none when `redis` was given */
  readonly redisReplicationGroup?: elasticache.CfnReplicationGroup;
  /** Security group of the created Redis. @default - none when `redis` was given */
  readonly redisSecurityGroup?: ec2.ISecurityGroup;
  /** Security groups of the functions. */
  readonly securityGroups: ec2.ISecurityGroup[];
  /** The functions' network connections: allow them into your own resources with this. */
  readonly connections: ec2.Connections;

  /** Validates `props` (throws naming every problem) and creates the resources. */
  constructor(scope: Construct, id: string, props: PresenceApiProps) {
    super(scope, id);
    validateProps(props);

    const stageName = props.stageName ?? 'prod';
    const presenceTimeoutSeconds = props.presenceTimeoutSeconds ?? 180;
    const sweepIntervalSeconds = props.sweepIntervalSeconds ?? 60;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const database = props.database;
    const dbPort = database.port ?? 5432;
    const dbSsl = database.ssl ?? 'verify-full';

    // --- Network ---
    this.securityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: 'Presence API functions',
        allowAllOutbound: true,
      }),
    ];
    this.connections = new ec2.Connections({ securityGroups: this.securityGroups });

    // --- Redis ---
    if (props.redis) {
      this.redisEndpoint = givenRedisEndpoint(props.redis);
      this.redisAuthToken = props.redis.authToken;
      if (props.redis.securityGroup) {
        props.redis.securityGroup.connections.allowFrom(
          this.connections,
          ec2.Port.tcp(props.redis.port ?? 6379),
          'Presence API functions to Redis',
        );
      }
    } else {
      const created = this.createRedis(props, vpcSubnets);
      this.redisEndpoint = created.endpoint;
      this.redisAuthToken = created.authToken;
      this.redisReplicationGroup = created.replicationGroup;
      this.redisSecurityGroup = created.securityGroup;
    }

    // --- PostgreSQL network path ---
    if (database.securityGroup) {
      database.securityGroup.connections.allowFrom(
        this.connections,
        ec2.Port.tcp(dbPort),
        'Presence API functions to PostgreSQL',
      );
    }

    // --- Functions ---
    const environment = this.environment(props, {
      presenceTimeoutSeconds,
      dbPort,
      dbSsl,
      allowedOrigins: props.allowedOrigins,
    });
    const codeDirectory = props.functionsCodeDirectory ?? presenceFunctionsDirectory();
    const functions = {} as Record<PresenceFunctionName, lambda.Function>;
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const access = ACCESS[name];
      const isSweep = name === 'timeout';
      const fn = new lambda.Function(this, `${pascal(name)}Function`, {
        description: DESCRIPTIONS[name],
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        // Source maps would double the package and only help with --enable-source-maps.
        code: lambda.Code.fromAsset(functionAssetDirectory(codeDirectory, name), {
          exclude: ['*.map'],
        }),
        handler: 'index.handler',
        memorySize: props.memorySizeMb ?? 512,
        timeout: Duration.seconds(
          isSweep
            ? (props.sweepFunctionTimeoutSeconds ?? 60)
            : (props.functionTimeoutSeconds ?? 10),
        ),
        environment: {
          ...environment,
          ...(access.database && dbSsl === 'verify-full'
            ? { NODE_EXTRA_CA_CERTS: RDS_CA_BUNDLE }
            : {}),
        },
        vpc: props.vpc,
        vpcSubnets,
        securityGroups: this.securityGroups,
        tracing: props.tracingEnabled ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
        logGroup: new logs.LogGroup(this, `${pascal(name)}Logs`, { retention: logRetention }),
      });
      if (access.redis) this.redisAuthToken?.grantRead(fn);
      if (access.database) {
        if (database.proxy) {
          database.proxy.grantConnect(fn, database.username);
        } else {
          database.credentials?.grantRead(fn);
        }
      }
      functions[name] = fn;
    }
    this.functions = functions;

    // --- WebSocket API ---
    const integration = (name: PresenceFunctionName) =>
      new apigwv2Integrations.WebSocketLambdaIntegration(
        `${pascal(name)}Integration`,
        functions[name],
      );
    this.webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
      description: 'Presence WebSocket API',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: integration('connect'),
        authorizer: new apigwv2Authorizers.WebSocketLambdaAuthorizer(
          'ConnectAuthorizer',
          functions.authorizer,
          // PROTOCOL.md: `?Authorization=<raw JWT>` on the upgrade request.
          { identitySource: ['route.request.querystring.Authorization'] },
        ),
      },
      disconnectRouteOptions: { integration: integration('disconnect') },
      defaultRouteOptions: { integration: integration('default') },
    });
    this.webSocketApi.addRoute('heartbeat', { integration: integration('heartbeat') });
    this.webSocketApi.addRoute('update-presence', { integration: integration('update-presence') });

    const throttle =
      props.throttlingRateLimitPerSecond !== undefined || props.throttlingBurstLimit !== undefined
        ? { rateLimit: props.throttlingRateLimitPerSecond, burstLimit: props.throttlingBurstLimit }
        : undefined;
    this.webSocketStage = new apigwv2.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName,
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(this, 'WebSocketAccessLogs', { retention: logRetention }),
        ),
      },
    });
    this.webSocketUrl = this.webSocketStage.url;
    // Built from the API id, the region and the stage *name* (what `callbackUrl` returns), not
    // from the stage resource: the functions reference the API only, and the API's integrations
    // reference the functions, so there is no cycle.
    this.webSocketCallbackUrl = this.webSocketStage.callbackUrl;
    for (const fn of Object.values(functions)) {
      fn.addEnvironment('WEBSOCKET_CALLBACK_URL', this.webSocketCallbackUrl);
    }
    this.grantManageConnections(stageName);

    // --- REST API ---
    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      description: 'Presence REST API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? false,
      deployOptions: {
        stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(
          new logs.LogGroup(this, 'RestAccessLogs', { retention: logRetention }),
        ),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Errors only, and never request or response bodies (DESIGN.md invariant 6).
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: props.tracingEnabled ?? false,
        throttlingRateLimit: props.throttlingRateLimitPerSecond,
        throttlingBurstLimit: props.throttlingBurstLimit,
      },
      defaultCorsPreflightOptions:
        props.allowedOrigins.length > 0
          ? {
              allowOrigins: props.allowedOrigins,
              allowMethods: ['GET', 'OPTIONS'],
              allowHeaders: ['Authorization', 'Content-Type'],
              allowCredentials: false,
              maxAge: Duration.hours(1),
            }
          : undefined,
    });
    // Who the REST caller is. PROTOCOL.md wants `Authorization: <raw JWT>` and `Bearer <jwt>`
    // alike, ID tokens only (token_use = id), the app client checked, and other OIDC issuers.
    // API Gateway's COGNITO_USER_POOLS authorizer documents no `Bearer ` handling, accepts access
    // tokens and knows Cognito only; so by default no gateway authorizer runs and each REST
    // function verifies the header itself, with the same verifier as the $connect authorizer
    // (one invocation per request). 'lambda' puts that authorizer in front instead (a second
    // invocation per request, bad tokens refused at the gateway); 'cognito' is for deployments
    // whose clients all send the raw ID token.
    const restAuthorization = props.restAuthorization ?? 'handler';
    if (restAuthorization === 'cognito' && props.userPool) {
      this.restAuthorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'RestAuthorizer', {
        cognitoUserPools: [props.userPool],
        identitySource: apigateway.IdentitySource.header('Authorization'),
      });
    } else if (restAuthorization === 'lambda') {
      this.restAuthorizer = new apigateway.RequestAuthorizer(this, 'RestAuthorizer', {
        handler: functions.authorizer,
        identitySources: [apigateway.IdentitySource.header('Authorization')],
        // Not cached: the policy the authorizer returns names the one method it was asked about.
        resultsCacheTtl: Duration.seconds(0),
      });
    }
    const requestValidator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const methodOptions = (
      requestParameters: Record<string, boolean>,
    ): apigateway.MethodOptions => ({
      ...(this.restAuthorizer
        ? { authorizer: this.restAuthorizer }
        : { authorizationType: apigateway.AuthorizationType.NONE }),
      requestValidator,
      requestParameters,
    });
    const presence = this.restApi.root.addResource('presence');
    const restMethods = [
      presence.addMethod(
        'GET',
        new apigateway.LambdaIntegration(functions['get-presence'], { allowTestInvoke: false }),
        methodOptions({}),
      ),
      presence.addResource('{userId}').addMethod(
        'GET',
        new apigateway.LambdaIntegration(functions['get-user-presence'], {
          allowTestInvoke: false,
        }),
        methodOptions({ 'method.request.path.userId': true }),
      ),
    ];
    if (props.allowedOrigins.length > 0) this.addCorsToGatewayResponses(props.allowedOrigins);

    // --- Timeout sweep ---
    this.sweepSchedule = new events.Rule(this, 'SweepSchedule', {
      description: 'Presence: runs the timeout sweep',
      schedule: events.Schedule.rate(Duration.minutes(sweepIntervalSeconds / 60)),
      // No retries: the next run sweeps whatever this one left.
      targets: [new targets.LambdaFunction(functions.timeout, { retryAttempts: 0 })],
    });

    this.acknowledgeNagRules(stageName, restMethods, props.tracingEnabled ?? false);

    // The REST URL is output by RestApi itself (`RestApi/Endpoint`); this is its WebSocket twin.
    new CfnOutput(this, 'WebSocketUrl', {
      description: 'Presence WebSocket URL (connect with ?Authorization=<JWT>)',
      value: this.webSocketUrl,
    });
  }

  /** The environment every function reads its configuration from (WEBSOCKET_CALLBACK_URL is added once the API exists). */
  private environment(
    props: PresenceApiProps,
    resolved: {
      presenceTimeoutSeconds: number;
      dbPort: number;
      dbSsl: string;
      allowedOrigins: string[];
    },
  ): Record<string, string> {
    const database = props.database;
    const env: Record<string, string | undefined> = {
      PRESENCE_TIMEOUT_SECONDS: String(resolved.presenceTimeoutSeconds),
      PRESENCE_SWEEP_BATCH_SIZE: String(props.sweepBatchSize ?? 500),
      PRESENCE_SWEEP_ANNOUNCE_AFTER:
        props.sweepAnnounceAfter === undefined ? undefined : String(props.sweepAnnounceAfter),
      LOG_LEVEL: props.logLevel ?? 'info',
      REDIS_URL: this.redisEndpoint.url,
      REDIS_CLUSTER: String(this.redisEndpoint.cluster),
      REDIS_AUTH_SECRET_ARN: this.redisAuthToken?.secretArn,
      REDIS_KEY_PREFIX: props.redisKeyPrefix,
      DB_HOST: database.host ?? database.proxy?.endpoint,
      DB_PORT: String(resolved.dbPort),
      DB_NAME: database.databaseName,
      DB_USER: database.username,
      // With a proxy the functions sign an IAM token instead of reading the password.
      DB_SECRET_ARN: database.proxy ? undefined : database.credentials?.secretArn,
      DB_IAM_AUTH: database.proxy ? 'true' : undefined,
      DB_SSL: resolved.dbSsl,
      DB_SCHEMA: database.schema,
      DB_PREPARED_STATEMENTS: database.preparedStatements ? 'true' : undefined,
      AUTH_COGNITO_USER_POOL_ID: props.userPool?.userPoolId,
      AUTH_COGNITO_CLIENT_ID: props.userPoolClients?.map((c) => c.userPoolClientId).join(','),
      AUTH_ISSUER: props.authIssuerUrl,
      AUTH_JWKS_URL: props.authJwksUrl,
      AUTH_AUDIENCE: props.authAudience?.join(','),
      AUTH_USER_ID_CLAIM: props.userIdClaim,
      CORS_ALLOWED_ORIGINS:
        resolved.allowedOrigins.length > 0 ? resolved.allowedOrigins.join(',') : undefined,
      GATEWAY_TRANSPORT: props.gatewayTransport,
    };
    return Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
  }

  /** ElastiCache replication group, its subnet group, security group and AUTH token secret. */
  private createRedis(
    props: PresenceApiProps,
    vpcSubnets: ec2.SubnetSelection,
  ): {
    endpoint: PresenceRedisEndpoint;
    authToken: secretsmanager.ISecret;
    replicationGroup: elasticache.CfnReplicationGroup;
    securityGroup: ec2.ISecurityGroup;
  } {
    const scope = new Construct(this, 'Redis');
    const port = 6379;
    const cluster = props.redisClusterModeEnabled ?? false;
    const replicas = props.redisReplicasPerShard ?? 1;
    const engineVersion = props.redisEngineVersion ?? '7.1';

    const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Presence Redis: reachable from the presence functions only',
      allowAllOutbound: false,
    });
    securityGroup.connections.allowFrom(
      this.connections,
      ec2.Port.tcp(port),
      'Presence API functions',
    );

    const subnetGroup = new elasticache.CfnSubnetGroup(scope, 'SubnetGroup', {
      description: 'Presence Redis subnets',
      subnetIds: props.vpc.selectSubnets(vpcSubnets).subnetIds,
    });

    const authToken = new secretsmanager.Secret(scope, 'AuthToken', {
      description: 'AUTH token of the presence Redis',
      generateSecretString: {
        // ElastiCache tokens are 16–128 printable characters without `/`, `"` or `@`; letters
        // and digits only keeps every client and URL happy, and 64 of them are ~380 bits.
        passwordLength: 64,
        excludePunctuation: true,
      },
    });

    const major = Number.parseInt(engineVersion.split('.')[0] ?? '7', 10);
    const replicationGroup = new elasticache.CfnReplicationGroup(scope, 'ReplicationGroup', {
      replicationGroupDescription: 'Presence store',
      engine: 'redis',
      engineVersion,
      cacheNodeType: props.redisNodeType ?? 'cache.t4g.small',
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
            cacheParameterGroupName:
              major >= 7
                ? `default.redis${major}.cluster.on`
                : `default.redis${major}.x.cluster.on`,
            numNodeGroups: props.redisShardCount ?? 1,
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
    return {
      endpoint: { host, port: portAttr, tls: true, cluster, url: `rediss://${host}:${portAttr}` },
      authToken,
      replicationGroup,
      securityGroup,
    };
  }

  /**
   * Acknowledges the AwsSolutions (cdk-nag) findings that are by design, each with its reason,
   * on the narrowest construct. Plain `Validations` acknowledgments: no dependency on cdk-nag,
   * and deployers who do not run it see nothing.
   */
  private acknowledgeNagRules(
    stageName: string,
    restMethods: apigateway.Method[],
    tracingEnabled: boolean,
  ): void {
    const managedPolicies = [
      [
        'AWSLambdaBasicExecutionRole',
        'the CloudWatch Logs write permissions every Lambda function needs, nothing more',
      ],
      [
        'AWSLambdaVPCAccessExecutionRole',
        'the ENI permissions a Lambda function in a VPC needs; AWS keeps the list current as the service evolves',
      ],
    ] as const;
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const fn = this.functions[name];
      for (const [policy, why] of managedPolicies) {
        Validations.of(fn).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
          reason: `AWS managed policy ${policy}: ${why}.`,
        });
      }
      if (tracingEnabled) {
        Validations.of(fn).acknowledge({
          id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          reason:
            'X-Ray PutTraceSegments/PutTelemetryRecords accept no resource narrower than "*".',
        });
      }
      const access = ACCESS[name];
      for (const [method, granted] of [
        ['POST', access.send],
        ['DELETE', access.close],
      ] as const) {
        if (!granted) continue;
        Validations.of(fn).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFlatten(this, this.connectionsArn(stageName, method))}]`,
          reason: `${method} @connections/<connectionId> of this API's own stage: connection ids are only known at run time, so the last segment is a wildcard; the API, stage and method are pinned.`,
        });
      }
    }
    for (const route of this.webSocketApi.node.findAll()) {
      if (route instanceof apigwv2.CfnRoute && route.routeKey !== '$connect') {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason:
            'WebSocket authorization happens once, at $connect (Lambda REQUEST authorizer); API Gateway only routes messages of connections it authorized, and hands their authorizer context to every route.',
        });
      }
    }
    const restAuthorization = restAuthorizationOf(this.restAuthorizer);
    for (const method of restAuthorization === 'cognito' ? [] : restMethods) {
      const why =
        restAuthorization === 'handler'
          ? 'The function verifies the Authorization header itself (signature, iss, exp, token_use=id, app client) and answers 401 before touching any data: unlike a COGNITO_USER_POOLS authorizer it accepts the `Bearer ` prefix PROTOCOL.md requires, refuses access tokens and serves generic OIDC issuers.'
          : 'A Lambda REQUEST authorizer verifies the Authorization header (signature, iss, exp, token_use=id, app client): unlike a COGNITO_USER_POOLS authorizer it accepts the `Bearer ` prefix PROTOCOL.md requires, refuses access tokens and serves generic OIDC issuers.';
      if (restAuthorization === 'handler') {
        Validations.of(method).acknowledge({ id: 'AwsSolutions::AwsSolutions-APIG4', reason: why });
      }
      Validations.of(method).acknowledge({ id: 'AwsSolutions::AwsSolutions-COG4', reason: why });
    }
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions::AwsSolutions-APIG3',
      reason:
        "Every method needs a verified JWT and the stage is throttled; a WAF web ACL is the deployer's choice (associate one with restApi.deploymentStage).",
    });
    if (this.redisReplicationGroup && this.redisAuthToken) {
      Validations.of(this.redisAuthToken).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason:
          'ElastiCache AUTH tokens rotate through ModifyReplicationGroup (AuthTokenUpdateStrategy ROTATE then SET), not through a Secrets Manager rotation function; rotate by updating the secret and redeploying.',
      });
      Validations.of(this.redisReplicationGroup).acknowledge({
        id: 'AwsSolutions::AwsSolutions-AEC5',
        reason:
          "A non-default port is obscurity, not protection: the replication group is reachable only from the functions' security group, over TLS, with an AUTH token.",
      });
    }
  }

  /** The `@connections` ARN of this API's stage for one HTTP method. */
  private connectionsArn(stageName: string, method: 'POST' | 'DELETE'): string {
    return Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.webSocketApi.apiId,
      resourceName: `${stageName}/${method}/@connections/*`,
    });
  }

  /**
   * `execute-api:ManageConnections` on this API's stage only: POST (send a frame) for the
   * functions that send, DELETE (close a socket) for the sweep. Nothing else, no GET.
   */
  private grantManageConnections(stageName: string): void {
    const arn = (method: 'POST' | 'DELETE') => this.connectionsArn(stageName, method);
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const access = ACCESS[name];
      const resources = [
        ...(access.send ? [arn('POST')] : []),
        ...(access.close ? [arn('DELETE')] : []),
      ];
      if (resources.length === 0) continue;
      this.functions[name].addToRolePolicy(
        new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources }),
      );
    }
  }

  /**
   * API Gateway's own 4XX/5XX answers (an authorizer refusal, a throttle) carry no CORS headers,
   * so a browser would see an opaque network error instead of the 401. One allowed origin is
   * named; with several, the request's Origin is echoed (a gateway response cannot pick from a
   * list) — these bodies hold no data, and the Lambda responses keep the strict list.
   */
  private addCorsToGatewayResponses(allowedOrigins: string[]): void {
    const origin =
      allowedOrigins.length === 1 ? `'${allowedOrigins[0]}'` : 'method.request.header.Origin';
    const responseHeaders = { 'Access-Control-Allow-Origin': origin, Vary: "'Origin'" };
    this.restApi.addGatewayResponse('Default4xx', {
      type: apigateway.ResponseType.DEFAULT_4XX,
      responseHeaders,
    });
    this.restApi.addGatewayResponse('Default5xx', {
      type: apigateway.ResponseType.DEFAULT_5XX,
      responseHeaders,
    });
  }
}

/**
 * A token flattened the way cdk-nag names IAM5 findings (`Ref` → `<LogicalId>`, `GetAtt` →
 * `<LogicalId.Attr>`, `Fn::Join` concatenated), so an acknowledgment names exactly one finding.
 */
function nagFlatten(scope: Construct, value: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const obj = node as Record<string, unknown>;
    if (Array.isArray(obj['Fn::Join'])) {
      const [delimiter, items] = obj['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (Array.isArray(obj['Fn::GetAtt'])) {
      const [resource, attribute] = obj['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (obj.Ref !== undefined) return `<${visit(obj.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}

/** Which REST authorization a built authorizer stands for. */
function restAuthorizationOf(
  authorizer: apigateway.Authorizer | undefined,
): 'handler' | 'lambda' | 'cognito' {
  if (authorizer === undefined) return 'handler';
  return authorizer instanceof apigateway.CognitoUserPoolsAuthorizer ? 'cognito' : 'lambda';
}

/** The endpoint of a Redis given as props. */
function givenRedisEndpoint(redis: PresenceRedisConnection): PresenceRedisEndpoint {
  const port = String(redis.port ?? 6379);
  const tls = redis.tls ?? true;
  return {
    host: redis.endpoint,
    port,
    tls,
    cluster: redis.cluster ?? false,
    url: `${tls ? 'rediss' : 'redis'}://${redis.endpoint}:${port}`,
  };
}

/** A number known at synth (not a token) that fails `ok`. */
function bad(value: number | undefined, ok: (n: number) => boolean): value is number {
  return value !== undefined && !Token.isUnresolved(value) && !ok(value);
}

const isPositiveInteger = (n: number) => Number.isInteger(n) && n > 0;

/** Throws one error listing every invalid prop, so a deployer fixes them all at once. */
function validateProps(props: PresenceApiProps): void {
  const problems: string[] = [];
  const timeout = props.presenceTimeoutSeconds ?? 180;
  const interval = props.sweepIntervalSeconds ?? 60;

  if (bad(props.presenceTimeoutSeconds, isPositiveInteger)) {
    problems.push(
      `presenceTimeoutSeconds must be a positive integer, got ${props.presenceTimeoutSeconds}`,
    );
  }
  if (bad(interval, (n) => isPositiveInteger(n) && n % 60 === 0)) {
    problems.push(
      `sweepIntervalSeconds must be a whole number of minutes (60, 120, ...): the schedule runs at most once a minute; got ${interval}`,
    );
  }
  if (!Token.isUnresolved(interval) && !Token.isUnresolved(timeout) && interval >= timeout) {
    problems.push(
      `sweepIntervalSeconds (${interval}) must be below presenceTimeoutSeconds (${timeout}), or users stay online up to ${timeout + interval} s after their last frame`,
    );
  }
  if (bad(props.sweepBatchSize, (n) => isPositiveInteger(n) && n <= 10_000)) {
    problems.push(`sweepBatchSize must be an integer from 1 to 10000, got ${props.sweepBatchSize}`);
  }
  if (bad(props.sweepAnnounceAfter, (n) => isPositiveInteger(n) && n <= 10_000_000)) {
    problems.push(
      `sweepAnnounceAfter must be an integer from 1 to 10000000, got ${props.sweepAnnounceAfter}`,
    );
  }
  if (bad(props.memorySizeMb, (n) => Number.isInteger(n) && n >= 128 && n <= 10240)) {
    problems.push(`memorySizeMb must be an integer from 128 to 10240, got ${props.memorySizeMb}`);
  }
  if (bad(props.functionTimeoutSeconds, (n) => isPositiveInteger(n) && n <= 29)) {
    problems.push(
      `functionTimeoutSeconds must be an integer from 1 to 29 (API Gateway's integration timeout), got ${props.functionTimeoutSeconds}`,
    );
  }
  if (bad(props.sweepFunctionTimeoutSeconds, (n) => isPositiveInteger(n) && n <= 900)) {
    problems.push(
      `sweepFunctionTimeoutSeconds must be an integer from 1 to 900, got ${props.sweepFunctionTimeoutSeconds}`,
    );
  }

  if (props.userPool && props.authIssuerUrl) {
    problems.push('give either userPool (Cognito) or authIssuerUrl (generic OIDC), not both');
  }
  if (!props.userPool && !props.authIssuerUrl) {
    problems.push(
      'an identity provider is required: give userPool (Cognito) or authIssuerUrl (generic OIDC)',
    );
  }
  if (props.userPoolClients && !props.userPool) problems.push('userPoolClients needs userPool');
  if ((props.authJwksUrl || props.authAudience) && !props.authIssuerUrl) {
    problems.push('authJwksUrl and authAudience need authIssuerUrl');
  }
  if (props.authIssuerUrl && !props.authJwksUrl) {
    problems.push(
      'authJwksUrl is required with authIssuerUrl (the URL the issuer publishes its signing keys at)',
    );
  }
  if (props.restAuthorization === 'cognito' && !props.userPool) {
    problems.push('restAuthorization "cognito" needs userPool');
  }
  if (
    props.gatewayTransport !== undefined &&
    props.gatewayTransport !== 'sdk' &&
    props.gatewayTransport !== 'signed-http'
  ) {
    problems.push(
      `gatewayTransport must be 'sdk' or 'signed-http', got "${props.gatewayTransport}"`,
    );
  }
  if (props.redisKeyPrefix !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(props.redisKeyPrefix)) {
    problems.push(
      `redisKeyPrefix must be 1-64 characters of A-Z a-z 0-9 _ . : -, got "${props.redisKeyPrefix}"`,
    );
  }
  for (const origin of props.allowedOrigins) {
    if (Token.isUnresolved(origin) || origin === '*') continue;
    if (!/^[a-z][a-z0-9+.-]*:\/\/[^/\s]+$/i.test(origin)) {
      problems.push(
        `allowedOrigins entries must be origins like https://app.example.com (scheme://host[:port], no path), got "${origin}"`,
      );
    }
  }
  if (props.allowedOrigins.includes('*') && props.allowedOrigins.length > 1) {
    problems.push('allowedOrigins "*" allows every origin: give it alone');
  }

  if (props.redis) {
    const created = [
      'redisNodeType',
      'redisClusterModeEnabled',
      'redisShardCount',
      'redisReplicasPerShard',
      'redisEngineVersion',
    ] as const;
    const misplaced = created.filter((key) => props[key] !== undefined);
    if (misplaced.length > 0) {
      problems.push(
        `${misplaced.join(', ')} configure the Redis the construct creates; remove them or remove redis`,
      );
    }
  } else {
    if (bad(props.redisShardCount, isPositiveInteger)) {
      problems.push(`redisShardCount must be a positive integer, got ${props.redisShardCount}`);
    }
    if (props.redisShardCount !== undefined && !props.redisClusterModeEnabled) {
      problems.push('redisShardCount needs redisClusterModeEnabled');
    }
    if (bad(props.redisReplicasPerShard, (n) => Number.isInteger(n) && n >= 0 && n <= 5)) {
      problems.push(
        `redisReplicasPerShard must be an integer from 0 to 5, got ${props.redisReplicasPerShard}`,
      );
    }
  }

  problems.push(...databaseProblems(props.database));
  if (problems.length > 0) {
    throw new Error(`PresenceApi: invalid props:\n- ${problems.join('\n- ')}`);
  }
}

function databaseProblems(database: PresenceDatabaseConnection): string[] {
  const problems: string[] = [];
  if (!database.proxy && !database.host)
    problems.push('database.host is required without database.proxy');
  if (!database.proxy && !database.credentials) {
    problems.push('database.credentials is required without database.proxy');
  }
  if (database.proxy && !database.username) {
    problems.push(
      'database.username is required with database.proxy (the IAM database user to grant)',
    );
  }
  if (database.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(database.schema)) {
    problems.push(`database.schema must be a plain SQL identifier, got "${database.schema}"`);
  }
  if (database.proxy && database.preparedStatements) {
    problems.push(
      'database.preparedStatements cannot be used with database.proxy (a prepared statement pins the RDS Proxy session)',
    );
  }
  if (database.proxy && database.host) {
    problems.push(
      'give database.host or database.proxy, not both (the functions connect to the proxy endpoint)',
    );
  }
  if (bad(database.port, (n) => Number.isInteger(n) && n > 0 && n < 65536)) {
    problems.push(`database.port must be a TCP port, got ${database.port}`);
  }
  return problems;
}
