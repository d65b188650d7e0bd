import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PRESENCE_FUNCTION_NAMES,
  type PresenceApi,
  type PresenceFunctionName,
} from '../src/cdk/index.js';
import {
  actionsOf,
  DB_SECRET_ARN,
  envOf,
  findCycle,
  logicalIdOf,
  makePresenceApi,
  statementsOf,
} from './cdk-fixtures.js';

// GIVEN the default props (Cognito pool + client, two CORS origins, a direct PostgreSQL with an
// imported credentials secret and security group, no Redis given) — WHEN synthesized once —
// THEN each test checks one intent of the template.
let stack: Stack;
let api: PresenceApi;
let template: Template;
beforeAll(() => {
  ({ stack, api } = makePresenceApi());
  template = Template.fromStack(stack);
}, 120_000);

const fnId = (name: PresenceFunctionName) => logicalIdOf(stack, api.functions[name]);
const wsApiRef = () => ({ Ref: logicalIdOf(stack, api.webSocketApi) });

const REDIS_FUNCTIONS: PresenceFunctionName[] = [
  'connect',
  'heartbeat',
  'update-presence',
  'disconnect',
  'timeout',
  'get-presence',
  'get-user-presence',
];
const DB_FUNCTIONS: PresenceFunctionName[] = [
  'update-presence',
  'disconnect',
  'timeout',
  'get-presence',
  'get-user-presence',
];
const SENDING_FUNCTIONS: PresenceFunctionName[] = [
  'heartbeat',
  'update-presence',
  'disconnect',
  'default',
  'timeout',
];

describe('Lambda functions', () => {
  it('creates the nine functions on Node.js 24, ARM64, from the prebuilt bundles', () => {
    template.resourceCountIs('AWS::Lambda::Function', 9);
    expect(Object.keys(api.functions).sort()).toEqual([...PRESENCE_FUNCTION_NAMES].sort());
    for (const name of PRESENCE_FUNCTION_NAMES) {
      expect(template.toJSON().Resources[fnId(name)].Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Code: { S3Bucket: expect.any(String), S3Key: expect.stringMatching(/\.zip$/) },
      });
    }
  });

  it('gives request functions 512 MB and 10 s, and the sweep 60 s', () => {
    const resources = template.toJSON().Resources;
    for (const name of PRESENCE_FUNCTION_NAMES) {
      expect(resources[fnId(name)].Properties).toMatchObject({
        MemorySize: 512,
        Timeout: name === 'timeout' ? 60 : 10,
      });
    }
  });

  it('puts every function in the VPC private subnets with the functions security group', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      VpcConfig: {
        SubnetIds: [
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') },
          { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2') },
        ],
        SecurityGroupIds: [
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceSecurityGroup'), 'GroupId'] },
        ],
      },
    });
  });

  it('sends every function log to its own log group kept one month', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^Presence.*Logs') } },
    });
    // 9 function log groups + WebSocket and REST access logs (+ the fixture VPC's flow log has none).
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 11);
  });

  it('does not trace by default', () => {
    template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
  });
});

describe('environment variables', () => {
  it('sets the configuration every handler reads, and nothing unset', () => {
    const env = envOf(template, stack, api.functions['update-presence']);
    expect(env).toEqual({
      PRESENCE_TIMEOUT_SECONDS: '180',
      PRESENCE_SWEEP_BATCH_SIZE: '500',
      LOG_LEVEL: 'info',
      REDIS_URL: {
        'Fn::Join': [
          '',
          [
            'rediss://',
            {
              'Fn::GetAtt': [
                expect.stringMatching(/^PresenceRedisReplicationGroup/),
                'PrimaryEndPoint.Address',
              ],
            },
            ':',
            {
              'Fn::GetAtt': [
                expect.stringMatching(/^PresenceRedisReplicationGroup/),
                'PrimaryEndPoint.Port',
              ],
            },
          ],
        ],
      },
      REDIS_CLUSTER: 'false',
      REDIS_AUTH_SECRET_ARN: { Ref: expect.stringMatching(/^PresenceRedisAuthToken/) },
      DB_HOST: 'users.cluster-abc.eu-west-1.rds.amazonaws.com',
      DB_PORT: '5432',
      DB_NAME: 'users',
      DB_SECRET_ARN: DB_SECRET_ARN,
      DB_SSL: 'verify-full',
      AUTH_COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEfGhI',
      AUTH_COGNITO_CLIENT_ID: '1example23456789',
      CORS_ALLOWED_ORIGINS: 'https://chat.example.com,chrome-extension://abcdefghijklmnop',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      WEBSOCKET_CALLBACK_URL: {
        'Fn::Join': [
          '',
          ['https://', wsApiRef(), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/prod'],
        ],
      },
    });
  });

  it('gives every function the same configuration; the RDS CA bundle only to the database users', () => {
    const reference = envOf(template, stack, api.functions['update-presence']);
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const { NODE_EXTRA_CA_CERTS, ...env } = envOf(template, stack, api.functions[name]);
      const { NODE_EXTRA_CA_CERTS: _, ...expected } = reference;
      expect(env).toEqual(expected);
      expect(NODE_EXTRA_CA_CERTS !== undefined).toBe(DB_FUNCTIONS.includes(name));
    }
  });

  it('never puts a secret value in the environment: secrets go by ARN only', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const env = envOf(template, stack, api.functions[name]);
      const serialized = JSON.stringify(env);
      // A dynamic reference would be resolved into plaintext at deploy.
      expect(serialized).not.toMatch(/resolve:secretsmanager|resolve:ssm/);
      for (const [key, value] of Object.entries(env)) {
        expect(key).not.toMatch(/PASSWORD|PASSWD|AUTH_TOKEN|SECRET$/);
        if (typeof value === 'string') {
          // Nothing shaped like a generated password (long, mixed letters and digits, no dots or slashes).
          expect(value).not.toMatch(/^(?=.*\d)(?=.*[a-z])(?=.*[A-Z])[A-Za-z\d]{16,}$/);
        }
      }
      expect(env.DB_SECRET_ARN).toBe(DB_SECRET_ARN);
      expect(env.REDIS_AUTH_SECRET_ARN).toEqual({ Ref: logicalIdOf(stack, api.redisAuthToken!) });
    }
  });
});

describe('WebSocket API', () => {
  it('routes on the action field', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('has exactly the five routes, each on its function', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const keys = Object.values(routes).map((r) => r.Properties.RouteKey);
    expect(keys.sort()).toEqual([
      '$connect',
      '$default',
      '$disconnect',
      'heartbeat',
      'update-presence',
    ]);
    const integrations = template.toJSON().Resources;
    const targetOf = (routeKey: string) => {
      const route = Object.values(routes).find((r) => r.Properties.RouteKey === routeKey);
      const integrationId = route?.Properties.Target['Fn::Join'][1][1].Ref as string;
      return JSON.stringify(integrations[integrationId].Properties.IntegrationUri);
    };
    const expected: Record<string, PresenceFunctionName> = {
      $connect: 'connect',
      $disconnect: 'disconnect',
      $default: 'default',
      heartbeat: 'heartbeat',
      'update-presence': 'update-presence',
    };
    for (const [routeKey, fn] of Object.entries(expected)) {
      expect(targetOf(routeKey)).toContain(`"${fnId(fn)}"`);
    }
  });

  it('authorizes $connect, and only $connect, with the authorizer function on ?Authorization=', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.Authorization'],
      AuthorizerUri: Match.anyValue(),
    });
    const authorizer = template.findResources('AWS::ApiGatewayV2::Authorizer');
    expect(JSON.stringify(Object.values(authorizer)[0]?.Properties.AuthorizerUri)).toContain(
      `"${fnId('authorizer')}"`,
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('ConnectAuthorizer') },
    });
    for (const routeKey of ['$disconnect', '$default', 'heartbeat', 'update-presence']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        AuthorizationType: 'NONE',
      });
    }
  });

  it('deploys an auto-deployed "prod" stage with access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceWebSocketAccessLogs'), 'Arn'],
        },
        Format: Match.stringLikeRegexp('requestId'),
      },
    });
  });
});

describe('REST API', () => {
  const methodOf = (pathPart: string, httpMethod: string) => {
    const resources = template.findResources('AWS::ApiGateway::Resource', {
      Properties: { PathPart: pathPart },
    });
    const [resourceId] = Object.keys(resources);
    const methods = template.findResources('AWS::ApiGateway::Method', {
      Properties: { HttpMethod: httpMethod, ResourceId: { Ref: resourceId } },
    });
    expect(Object.keys(methods)).toHaveLength(1);
    return Object.values(methods)[0]?.Properties;
  };

  it('serves GET /presence and GET /presence/{userId} from their functions (Lambda proxy)', () => {
    for (const [pathPart, fn] of [
      ['presence', 'get-presence'],
      ['{userId}', 'get-user-presence'],
    ] as const) {
      const method = methodOf(pathPart, 'GET');
      expect(method.Integration).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
      });
      expect(JSON.stringify(method.Integration.Uri)).toContain(`"${fnId(fn)}"`);
    }
    expect(methodOf('{userId}', 'GET').RequestParameters).toEqual({
      'method.request.path.userId': true,
    });
  });

  it('leaves token verification to the functions by default (raw or Bearer, PROTOCOL.md)', () => {
    for (const pathPart of ['presence', '{userId}']) {
      expect(methodOf(pathPart, 'GET')).toMatchObject({ AuthorizationType: 'NONE' });
    }
    template.resourceCountIs('AWS::ApiGateway::Authorizer', 0);
    expect(api.restAuthorizer).toBeUndefined();
  });

  it('answers CORS preflights for the allowed origins only', () => {
    for (const pathPart of ['presence', '{userId}']) {
      const options = methodOf(pathPart, 'OPTIONS');
      expect(options.AuthorizationType).toBe('NONE');
      expect(options.Integration.Type).toBe('MOCK');
      const response = options.Integration.IntegrationResponses[0];
      expect(
        response.ResponseParameters['method.response.header.Access-Control-Allow-Methods'],
      ).toBe("'GET,OPTIONS'");
      expect(
        response.ResponseParameters['method.response.header.Access-Control-Allow-Headers'],
      ).toBe("'Authorization,Content-Type'");
      // Several origins: the first is the default, the template swaps in the request's Origin
      // when it is one of the others.
      expect(
        response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'],
      ).toBe("'https://chat.example.com'");
      expect(response.ResponseTemplates['application/json']).toContain(
        '#if($origin == "chrome-extension://abcdefghijklmnop")',
      );
    }
  });

  it('adds CORS headers to API Gateway errors, so a browser sees the 4xx/5xx', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': 'method.request.header.Origin',
          'gatewayresponse.header.Vary': "'Origin'",
        },
      });
    }
  });

  it('validates requests and logs access (JSON) and errors, never bodies', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: {
        DestinationArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceRestAccessLogs'), 'Arn'],
        },
        Format: Match.stringLikeRegexp('"requestId"'),
      },
      MethodSettings: [
        Match.objectLike({
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          HttpMethod: '*',
          ResourcePath: '/*',
        }),
      ],
    });
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('timeout sweep', () => {
  it('runs the timeout function every minute without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [fnId('timeout'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId('timeout'), 'Arn'] },
    });
  });
});

describe('permissions', () => {
  const connectionsArn = (method: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':execute-api:eu-west-1:123456789012:',
        wsApiRef(),
        `/prod/${method}/@connections/*`,
      ],
    ],
  });

  it('grants ManageConnections on this API stage @connections only, POST to senders, DELETE to the sweep', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const manage = statementsOf(template, stack, api.functions[name]).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('execute-api:')),
      );
      const expected = [
        ...(SENDING_FUNCTIONS.includes(name) ? [connectionsArn('POST')] : []),
        ...(name === 'timeout' ? [connectionsArn('DELETE')] : []),
      ];
      if (expected.length === 0) {
        expect(manage, name).toEqual([]);
      } else {
        expect(manage, name).toEqual([
          {
            Action: 'execute-api:ManageConnections',
            Effect: 'Allow',
            Resource: expected.length === 1 ? expected[0] : expected,
          },
        ]);
      }
    }
  });

  it('lets only the Redis users read the Redis AUTH secret, and only the database users the DB secret', () => {
    const redisSecret = { Ref: logicalIdOf(stack, api.redisAuthToken!) };
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const reads = statementsOf(template, stack, api.functions[name])
        .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
        .map((s) => s.Resource);
      expect(reads, name).toEqual([
        ...(REDIS_FUNCTIONS.includes(name) ? [redisSecret] : []),
        ...(DB_FUNCTIONS.includes(name) ? [DB_SECRET_ARN] : []),
      ]);
    }
  });

  it('grants nothing on "*" and nothing beyond secrets and @connections', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      for (const statement of statementsOf(template, stack, api.functions[name])) {
        expect(statement.Resource).not.toBe('*');
        for (const action of actionsOf(statement)) {
          expect(action).toMatch(
            /^(secretsmanager:(GetSecretValue|DescribeSecret)|execute-api:ManageConnections)$/,
          );
        }
      }
    }
  });
});

describe('Redis (created)', () => {
  it('creates an encrypted, authenticated, Multi-AZ replication group in the VPC', () => {
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis',
      EngineVersion: '7.1',
      CacheNodeType: 'cache.t4g.small',
      Port: 6379,
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AuthToken: {
        'Fn::Join': [
          '',
          [
            '{{resolve:secretsmanager:',
            { Ref: logicalIdOf(stack, api.redisAuthToken!) },
            ':SecretString:::}}',
          ],
        ],
      },
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      CacheSubnetGroupName: { Ref: Match.stringLikeRegexp('^PresenceRedisSubnetGroup') },
      SecurityGroupIds: [
        { 'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceRedisSecurityGroup'), 'GroupId'] },
      ],
      ClusterMode: Match.absent(),
    });
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet1') },
        { Ref: Match.stringLikeRegexp('^VpcPrivateSubnet2') },
      ],
    });
  });

  it('generates the AUTH token in Secrets Manager without the characters ElastiCache forbids', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 64 },
    });
  });

  it('lets only the functions in, on the Redis port, and nothing out', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Presence Redis'),
      SecurityGroupEgress: [
        Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
      ],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceRedisSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceSecurityGroup'), 'GroupId'],
      },
    });
  });

  it('exposes the endpoint', () => {
    expect(api.redisEndpoint).toMatchObject({ tls: true, cluster: false });
    expect(api.redisReplicationGroup).toBeDefined();
    expect(api.redisSecurityGroup).toBeDefined();
  });
});

describe('PostgreSQL network path', () => {
  it('lets the functions into the database security group on its port', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      GroupId: 'sg-0db0000000000000a',
      SourceSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^PresenceSecurityGroup'), 'GroupId'],
      },
    });
  });
});

describe('outputs and handles', () => {
  it('outputs the WebSocket and REST URLs', () => {
    template.hasOutput('*', {
      Value: {
        'Fn::Join': [
          '',
          ['wss://', wsApiRef(), '.execute-api.eu-west-1.', { Ref: 'AWS::URLSuffix' }, '/prod'],
        ],
      },
    });
    template.hasOutput('*', {
      Value: {
        'Fn::Join': [
          '',
          Match.arrayWith([
            'https://',
            { Ref: logicalIdOf(stack, api.restApi) },
            '.execute-api.eu-west-1.',
          ]),
        ],
      },
    });
  });

  it('exposes the APIs, the stage and the security groups', () => {
    expect(api.webSocketStage.stageName).toBe('prod');
    expect(api.securityGroups).toHaveLength(1);
    expect(api.connections.securityGroups).toEqual(api.securityGroups);
    expect(api.restApi.deploymentStage).toBeDefined();
    expect(api.webSocketUrl).toBe(api.webSocketStage.url);
  });
});

describe('deployability', () => {
  it('has no dependency cycle (functions reference the API id, never the stage resource)', () => {
    expect(findCycle(template)).toBeUndefined();
  });
});
