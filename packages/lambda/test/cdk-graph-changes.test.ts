import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aws_events as events, type Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GRAPH_CHANGE_DETAIL_TYPES,
  PRESENCE_FUNCTION_NAMES,
  PresenceApi,
  type PresenceApiProps,
} from '../src/cdk/index.js';
import { GRAPH_CHANGE_DETAIL_TYPES as EDGE_DETAIL_TYPES } from '../src/index.js';
import {
  actionsOf,
  baseProps,
  envOf,
  findCycle,
  logicalIdOf,
  makePresenceApi,
  makeStack,
  newApp,
  statementsOf,
} from './cdk-fixtures.js';

/** A PresenceApi whose user service puts its events on a bus of the same stack. */
function withUserEvents(
  app = newApp(),
  overrides: Partial<PresenceApiProps> = {},
): { stack: Stack; api: PresenceApi; bus: events.EventBus } {
  const f = makeStack(app);
  const bus = new events.EventBus(f.stack, 'UserServiceBus');
  const api = new PresenceApi(
    f.stack,
    'Presence',
    baseProps(f, {
      friendCacheSeconds: 300,
      graphChanges: { eventBus: bus, source: 'com.example.users' },
      ...overrides,
    }),
  );
  return { stack: f.stack, api, bus };
}

// GIVEN a user-service bus and friendCacheSeconds — WHEN synthesized — THEN the rule, its retry
// policy and dead-letter queue, and only the grants they need.
let stack: Stack;
let api: PresenceApi;
let bus: events.EventBus;
let template: Template;
beforeAll(() => {
  ({ stack, api, bus } = withUserEvents());
  template = Template.fromStack(stack);
}, 120_000);

describe('graph changes (EventBridge)', () => {
  it('reads the same detail-types the handler parses', () => {
    expect([...GRAPH_CHANGE_DETAIL_TYPES]).toEqual([...EDGE_DETAIL_TYPES]);
  });

  it("routes the user service's two detail-types of its source on its bus to graph-changed", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalIdOf(stack, bus) },
      EventPattern: {
        source: ['com.example.users'],
        'detail-type': ['FriendshipChanged', 'SharingSettingsChanged'],
      },
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalIdOf(stack, api.functions['graph-changed']), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: {
            Arn: {
              'Fn::GetAtt': [logicalIdOf(stack, api.graphChangesDeadLetterQueue!), 'Arn'],
            },
          },
        },
      ],
    });
    expect(api.graphChangesRule).toBeDefined();
  });

  it('matches any source when none is given', () => {
    const other = withUserEvents(newApp(), {
      graphChanges: { eventBus: undefined as unknown as events.IEventBus },
    });
    // eventBus undefined → the default bus; the pattern has no source
    Template.fromStack(other.stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: Match.absent(),
        'detail-type': ['FriendshipChanged', 'SharingSettingsChanged'],
      },
    });
  });

  it('retries a failed invocation twice within an hour, then keeps the record in the queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalIdOf(stack, api.functions['graph-changed']) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalIdOf(stack, api.graphChangesDeadLetterQueue!), 'Arn'],
          },
        },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('lets EventBridge invoke graph-changed from this rule only, and write to the queue from it only', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack, api.functions['graph-changed']), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, api.graphChangesRule!), 'Arn'] },
    });
    const queuePolicy = Object.values(template.findResources('AWS::SQS::QueuePolicy'))[0] as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
    };
    const statements = queuePolicy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf(stack, api.graphChangesRule!), 'Arn'] },
          },
        },
      }),
    );
    // TLS only
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('grants graph-changed only POST @connections, the secrets and SendMessage on its queue; no other function touches the queue', () => {
    const queueArn = {
      'Fn::GetAtt': [logicalIdOf(stack, api.graphChangesDeadLetterQueue!), 'Arn'],
    };
    for (const name of PRESENCE_FUNCTION_NAMES) {
      const sqs = statementsOf(template, stack, api.functions[name]).filter((s) =>
        actionsOf(s).some((a) => a.startsWith('sqs:')),
      );
      if (name !== 'graph-changed') {
        expect(sqs, name).toEqual([]);
        continue;
      }
      // The on-failure destination's grant (SqsDestination): send, and find the queue.
      expect(sqs).toEqual([
        {
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Effect: 'Allow',
          Resource: queueArn,
        },
      ]);
    }
    const actions = statementsOf(template, stack, api.functions['graph-changed']).flatMap(
      actionsOf,
    );
    expect([...new Set(actions)].sort()).toEqual(
      [
        'execute-api:ManageConnections',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ].sort(),
    );
  });

  it('has no dependency cycle', () => {
    expect(findCycle(template)).toBeUndefined();
  });
});

describe('friendCacheSeconds', () => {
  it('sets PRESENCE_FRIEND_CACHE_SECONDS on the functions whose graph reads it serves and graph-changed only', () => {
    const withCache = PRESENCE_FUNCTION_NAMES.filter(
      (name) => envOf(template, stack, api.functions[name]).PRESENCE_FRIEND_CACHE_SECONDS === '300',
    );
    expect(withCache.sort()).toEqual(
      ['disconnect', 'get-user-presence', 'graph-changed', 'timeout', 'update-presence'].sort(),
    );
  });

  it('is unset by default (the cache is off), and without graphChanges there is no rule nor queue', () => {
    const { stack: plain, api: plainApi } = makePresenceApi();
    const t = Template.fromStack(plain);
    for (const name of PRESENCE_FUNCTION_NAMES) {
      expect(
        envOf(t, plain, plainApi.functions[name]).PRESENCE_FRIEND_CACHE_SECONDS,
      ).toBeUndefined();
    }
    t.resourceCountIs('AWS::SQS::Queue', 0);
    expect(plainApi.graphChangesRule).toBeUndefined();
    t.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: Match.objectLike({ 'detail-type': Match.anyValue() }) },
      0,
    );
  });

  it.each([
    [
      3601,
      /friendCacheSeconds \(PRESENCE_FRIEND_CACHE_SECONDS\) must be a whole number from 0 to 3600/,
    ],
    [1.5, /friendCacheSeconds \(PRESENCE_FRIEND_CACHE_SECONDS\)/],
  ])('refuses %s', (value, message) => {
    expect(() => makePresenceApi({ friendCacheSeconds: value })).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions with graph changes', () => {
  it('passes: no unacknowledged finding', () => {
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    withUserEvents(app);
    const assembly = app.synth();
    const report = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: {
        pluginName: string;
        violations: unknown[];
        suppressedViolations?: { ruleName: string; reason?: string; acknowledgedAt?: string }[];
      }[];
    };
    const aws = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(aws?.violations).toEqual([]);
    for (const v of aws?.suppressedViolations ?? []) {
      expect(v.reason?.length, v.ruleName).toBeGreaterThan(40);
      expect(v.acknowledgedAt).toMatch(/^PresenceStack\/Presence\//);
    }
  }, 120_000);
});
