import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PRESENCE_FUNCTION_NAMES,
  type PresenceApi,
  PresenceFrontDoor,
  type PresenceFunctionName,
} from '../src/cdk/index.js';
import { actionsOf, envOf, logicalIdOf, makePresenceApi, statementsOf } from './cdk-fixtures.js';

// GIVEN the default props with `activityHistory: { retentionDays: 7 }` — WHEN synthesized once —
// THEN the table, its settings, the functions' variables and each function's grants.
let stack: Stack;
let api: PresenceApi;
let template: Template;
beforeAll(() => {
  ({ stack, api } = makePresenceApi({ activityHistory: { retentionDays: 7 } }));
  template = Template.fromStack(stack);
}, 120_000);

const APPENDERS: PresenceFunctionName[] = [
  'connect',
  'heartbeat',
  'update-presence',
  'disconnect',
  'timeout',
  // An unfriending announces an offline transition like a disconnect, and records it the same way.
  'graph-changed',
];
const tableRef = () => ({ Ref: logicalIdOf(stack, api.activityTable!) });
const tableArn = () => ({ 'Fn::GetAtt': [logicalIdOf(stack, api.activityTable!), 'Arn'] });
const dynamoStatements = (name: PresenceFunctionName) =>
  statementsOf(template, stack, api.functions[name]).filter((s) =>
    actionsOf(s).some((a) => a.startsWith('dynamodb:')),
  );

describe('activity history table', () => {
  it('is one on-demand table keyed as @presence/dynamodb lays it out, with its TTL attribute', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'entryId', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'entryId', AttributeType: 'S' },
      ]),
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('has point-in-time recovery, encryption with a KMS key, deletion protection and is retained', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      }),
    });
  });

  it('sets ACTIVITY_TABLE_NAME and ACTIVITY_RETENTION_DAYS on the functions that use it, and no other', () => {
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const env = envOf(template, stack, api.functions[name]);
      if ([...APPENDERS, 'get-activity', 'delete-activity'].includes(name)) {
        expect(env.ACTIVITY_TABLE_NAME, name).toEqual(tableRef());
        expect(env.ACTIVITY_RETENTION_DAYS, name).toBe('7');
      } else {
        expect(env.ACTIVITY_TABLE_NAME, name).toBeUndefined();
        expect(env.ACTIVITY_RETENTION_DAYS, name).toBeUndefined();
      }
    }
  });
});

describe('least privilege on the table', () => {
  it('lets the recording functions PutItem, and nothing else', () => {
    for (const name of APPENDERS) {
      expect(dynamoStatements(name), name).toEqual([
        { Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: tableArn() },
      ]);
    }
  });

  it('lets get-activity Query, and delete-activity Query and BatchWriteItem', () => {
    expect(dynamoStatements('get-activity')).toEqual([
      { Action: 'dynamodb:Query', Effect: 'Allow', Resource: tableArn() },
    ]);
    expect(dynamoStatements('delete-activity')).toEqual([
      {
        Action: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        Effect: 'Allow',
        Resource: tableArn(),
      },
    ]);
  });

  it('grants nothing on the table to the authorizer, $default and the presence reads', () => {
    for (const name of ['authorizer', 'default', 'get-presence', 'get-user-presence'] as const)
      expect(dynamoStatements(name), name).toEqual([]);
  });
});

describe('routes', () => {
  it('serves GET and DELETE /activity on the HTTP API, like GET /presence', () => {
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', {
        Properties: { ApiId: { Ref: logicalIdOf(stack, api.httpApi!) } },
      }),
    ).map((r) => r.Properties as { RouteKey: string; AuthorizationType: string });
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([
      'DELETE /activity',
      'GET /activity',
      'GET /presence',
      'GET /presence/{userId}',
    ]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { 'Fn::GetAtt': [logicalIdOf(stack, api.functions['get-activity']), 'Arn'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: {
        'Fn::GetAtt': [logicalIdOf(stack, api.functions['delete-activity']), 'Arn'],
      },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({ AllowMethods: ['GET', 'OPTIONS', 'DELETE'] }),
    });
  });

  it('on a REST API, behind the same authorizer as GET /presence, with the preflight allowing DELETE', () => {
    const other = makePresenceApi({
      activityHistory: true,
      frontDoor: PresenceFrontDoor.restApi({ authorization: 'cognito' }),
    });
    const rest = Template.fromStack(other.stack);
    const methods = Object.values(rest.findResources('AWS::ApiGateway::Method')).map(
      (m) =>
        m.Properties as { HttpMethod: string; AuthorizationType: string; AuthorizerId?: unknown },
    );
    const presenceGet = methods.filter((m) => m.HttpMethod === 'GET');
    const activity = methods.filter((m) => m.HttpMethod === 'DELETE');
    expect(presenceGet).toHaveLength(3); // /presence, /presence/{userId}, /activity
    expect(activity).toHaveLength(1);
    for (const method of [...presenceGet, ...activity]) {
      expect(method.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(method.AuthorizerId).toEqual(presenceGet[0]?.AuthorizerId);
    }
    rest.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'activity' });
    rest.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'OPTIONS',
      Integration: Match.objectLike({
        IntegrationResponses: [
          Match.objectLike({
            ResponseParameters: Match.objectLike({
              'method.response.header.Access-Control-Allow-Methods': "'GET,OPTIONS,DELETE'",
            }),
          }),
        ],
      }),
    });
  });
});

describe('monitoring', () => {
  it('alarms on failed activity appends only when the history is on', () => {
    expect(api.monitoring?.alarms['activity-failures']).toBeDefined();
    expect(makePresenceApi().api.monitoring?.alarms['activity-failures']).toBeUndefined();
  });
});

describe('validation', () => {
  it('refuses a retention outside 1-3650 days, naming the prop and its variable', () => {
    expect(() => makePresenceApi({ activityHistory: { retentionDays: 0 } })).toThrow(
      /activityHistory\.retentionDays \(ACTIVITY_RETENTION_DAYS\) must be a whole number from 1 to 3650/,
    );
  });
});

describe('without activityHistory', () => {
  it('creates no table and sets no ACTIVITY_* variable (the routes answer 404)', () => {
    const other = makePresenceApi();
    const plain = Template.fromStack(other.stack);
    plain.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    expect(other.api.activityTable).toBeUndefined();
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const env = envOf(plain, other.stack, other.api.functions[name]);
      expect(env.ACTIVITY_TABLE_NAME, name).toBeUndefined();
    }
  });

  it('a destroyable table on request (development stacks)', () => {
    const other = makePresenceApi({
      activityHistory: { removalPolicy: RemovalPolicy.DESTROY },
    });
    Template.fromStack(other.stack).hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
      }),
    });
  });
});
