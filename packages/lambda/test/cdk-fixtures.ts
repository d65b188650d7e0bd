import {
  App,
  type CfnElement,
  aws_cognito as cognito,
  aws_ec2 as ec2,
  type aws_lambda as lambda,
  Stack,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import {
  PresenceApi,
  type PresenceApiProps,
  PresenceDatabase,
  PresenceIdentity,
} from '../src/cdk/index.js';

/** Account and region are explicit so that nothing is looked up: synth stays offline and deterministic. */
export const ENV = { account: '123456789012', region: 'eu-west-1' } as const;

export const DB_SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:user-service/db-AbCdEf';

/**
 * An App without CDK's built-in CloudFormation schema validation: it adds ~40 s per synth here;
 * the example app (examples/cdk-app) keeps it on, so the template is still checked in CI.
 */
export function newApp(): App {
  return new App({ builtinCloudFormationValidation: false });
}

/** A stack with a VPC, an imported user pool and client, and an imported database secret. */
export function makeStack(app = newApp()) {
  const stack = new Stack(app, 'PresenceStack', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    natGateways: 1,
    flowLogs: { all: { trafficType: ec2.FlowLogTrafficType.REJECT } },
  });
  const userPool = cognito.UserPool.fromUserPoolId(stack, 'UserPool', 'eu-west-1_AbCdEfGhI');
  const userPoolClient = cognito.UserPoolClient.fromUserPoolClientId(
    stack,
    'UserPoolClient',
    '1example23456789',
  );
  const dbSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'DbSecret', DB_SECRET_ARN);
  const dbSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(
    stack,
    'DbSg',
    'sg-0db0000000000000a',
  );
  return { app, stack, vpc, userPool, userPoolClient, dbSecret, dbSecurityGroup };
}

export type Fixture = ReturnType<typeof makeStack>;

/** The props most tests use; `overrides` replaces top-level fields. */
export function baseProps(f: Fixture, overrides: Partial<PresenceApiProps> = {}): PresenceApiProps {
  return {
    vpc: f.vpc,
    identity: PresenceIdentity.cognito(f.userPool, [f.userPoolClient]),
    allowedOrigins: ['https://chat.example.com', 'chrome-extension://abcdefghijklmnop'],
    database: PresenceDatabase.direct({
      host: 'users.cluster-abc.eu-west-1.rds.amazonaws.com',
      databaseName: 'users',
      credentials: f.dbSecret,
      securityGroup: f.dbSecurityGroup,
    }),
    ...overrides,
  };
}

/** A stack holding one PresenceApi built from `baseProps` plus `overrides`. */
export function makePresenceApi(overrides: Partial<PresenceApiProps> = {}) {
  const f = makeStack();
  const api = new PresenceApi(f.stack, 'Presence', baseProps(f, overrides));
  return { ...f, api };
}

type Json = Record<string, unknown>;

/** The CloudFormation logical id of a construct's default resource. */
export function logicalIdOf(stack: Stack, construct: IConstruct): string {
  const element = construct.node.defaultChild ?? construct;
  return stack.getLogicalId(element as CfnElement);
}

/** The environment variables of one function in the template. */
export function envOf(
  template: Template,
  stack: Stack,
  fn: lambda.IFunction,
): Record<string, unknown> {
  const resource = template.toJSON().Resources[logicalIdOf(stack, fn)] as Json;
  const props = resource.Properties as { Environment?: { Variables?: Record<string, unknown> } };
  return props.Environment?.Variables ?? {};
}

/** Every IAM statement attached to a function's role (its inline policies). */
export function statementsOf(template: Template, stack: Stack, fn: lambda.Function): Json[] {
  const roleId = logicalIdOf(stack, fn.role as IConstruct);
  const policies = template.findResources('AWS::IAM::Policy') as Record<
    string,
    { Properties: Json }
  >;
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as Json[]).some((role) => (role as { Ref?: string }).Ref === roleId),
    )
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Json[] }).Statement);
}

/** The actions of a statement, always as an array. */
export function actionsOf(statement: Json): string[] {
  const action = statement.Action as string | string[];
  return Array.isArray(action) ? action : [action];
}

/**
 * A dependency cycle among the template's resources (Ref, Fn::GetAtt, DependsOn), as the list
 * of logical ids around it, or undefined. CloudFormation refuses such a template at deploy; synth
 * does not notice.
 */
export function findCycle(template: Template): string[] | undefined {
  const resources = template.toJSON().Resources as Record<string, Json>;
  const edges = new Map<string, Set<string>>();
  const collect = (node: unknown, out: Set<string>): void => {
    if (Array.isArray(node)) {
      for (const item of node) collect(item, out);
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Json;
      if (typeof obj.Ref === 'string' && obj.Ref in resources) out.add(obj.Ref);
      const getAtt = obj['Fn::GetAtt'];
      if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') out.add(getAtt[0]);
      for (const value of Object.values(obj)) collect(value, out);
    }
  };
  for (const [id, resource] of Object.entries(resources)) {
    const out = new Set<string>();
    collect(resource.Properties, out);
    const dependsOn = resource.DependsOn as string | string[] | undefined;
    for (const dep of dependsOn === undefined ? [] : [dependsOn].flat()) out.add(dep);
    edges.set(id, out);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of edges.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
