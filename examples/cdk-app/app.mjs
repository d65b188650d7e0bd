// A CDK app that deploys the presence API into a new VPC, for a user service that already owns
// the Cognito user pool and the PostgreSQL database. `pnpm build` (cdk synth) turns it into a
// CloudFormation template offline: account and region are explicit and nothing is looked up.
//
//   pnpm --filter @presence/example-cdk-app build          # cdk.out/PresenceExample.template.json
//   pnpm cdk deploy -c account=111122223333 -c region=eu-west-1
import { fileURLToPath } from 'node:url';
import {
  PresenceApi,
  PresenceDatabase,
  PresenceIdentity,
  PresenceRedis,
} from '@presence/lambda/cdk';
import {
  App,
  aws_cloudwatch_actions as actions,
  aws_cognito as cognito,
  aws_ec2 as ec2,
  aws_events as events,
  Stack,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  Validations,
} from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Builds the app: one stack, `PresenceExample`, checked by the cdk-nag AwsSolutions pack (an
 * unacknowledged error fails synth).
 * @param {import('aws-cdk-lib').AppProps} [props]
 */
export function buildApp(props) {
  const app = new App(props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  const stack = new Stack(app, 'PresenceExample', {
    description:
      'Presence API (WebSocket + REST) on Lambda, ElastiCache Redis and the user service PostgreSQL',
    env: {
      account: app.node.tryGetContext('account') ?? '123456789012',
      region: app.node.tryGetContext('region') ?? 'eu-west-1',
    },
  });

  // Two AZs named explicitly: no availability-zone lookup at synth.
  const region = stack.region;
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: [`${region}a`, `${region}b`],
    natGateways: 1,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
    flowLogs: { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
  });

  // Owned by the user service: imported by id and name, never created here.
  const userPool = cognito.UserPool.fromUserPoolId(
    stack,
    'UserPool',
    app.node.tryGetContext('userPoolId') ?? `${region}_Example123`,
  );
  const webClient = cognito.UserPoolClient.fromUserPoolClientId(
    stack,
    'WebClient',
    app.node.tryGetContext('userPoolClientId') ?? 'example0client0id0123456789',
  );
  const dbCredentials = secretsmanager.Secret.fromSecretNameV2(
    stack,
    'UserServiceDbCredentials',
    'user-service/postgres',
  );
  const dbSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(
    stack,
    'UserServiceDbSecurityGroup',
    app.node.tryGetContext('dbSecurityGroupId') ?? 'sg-0123456789abcdef0',
  );

  // The user service's EventBridge bus: it puts FriendshipChanged and SharingSettingsChanged there.
  const userEvents = events.EventBus.fromEventBusName(
    stack,
    'UserServiceEvents',
    app.node.tryGetContext('userEventBusName') ?? 'user-service',
  );

  // On-call: every alarm of the construct notifies this topic (subscribe a pager or a chat hook).
  const onCall = new sns.Topic(stack, 'PresenceAlarms', {
    displayName: 'Presence API alarms',
    enforceSSL: true,
  });

  const presence = new PresenceApi(stack, 'Presence', {
    vpc,
    identity: PresenceIdentity.cognito(userPool, [webClient]),
    allowedOrigins: [
      'https://chat.example.com',
      'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
      'http://localhost:4200',
    ],
    database: PresenceDatabase.direct({
      host:
        app.node.tryGetContext('dbHost') ?? 'user-service.cluster-abc.eu-west-1.rds.amazonaws.com',
      databaseName: 'users',
      credentials: dbCredentials,
      securityGroup: dbSecurityGroup,
    }),
    redis: PresenceRedis.elastiCache({ engine: 'valkey' }),
    // Sized for about 20,000 connected users: 333 heartbeats a second plus page updates.
    throttlingRateLimitPerSecond: 1000,
    throttlingBurstLimit: 2000,
    secretsManagerEndpoint: true,
    alarmActions: [new actions.SnsAction(onCall)],
    // Friend lists cached 5 minutes in Redis; the user service's events make a change apply at once.
    friendCacheSeconds: 300,
    graphChanges: { eventBus: userEvents, source: 'com.example.users' },
    // Issue 14: users' own history (shared pages, online/offline) in DynamoDB, kept 30 days;
    // GET /activity reads it and DELETE /activity erases it, the user only.
    activityHistory: { retentionDays: 30 },
  });

  // A secret imported by name has an ARN ending in a random suffix the stack cannot know, so
  // its read grant ends in `-??????`: the deployer's choice of import, acknowledged here.
  for (const name of [
    'update-presence',
    'disconnect',
    'timeout',
    'get-presence',
    'get-user-presence',
    'graph-changed',
  ]) {
    Validations.of(presence.functions[name]).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${region}:${stack.account}:secret:user-service/postgres-??????]`,
      reason:
        'Secret imported by name (fromSecretNameV2): the grant matches its six-character random suffix and nothing else.',
    });
  }
  return app;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  buildApp().synth();
}
