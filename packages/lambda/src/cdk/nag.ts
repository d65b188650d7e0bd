import {
  type aws_apigateway as apigateway,
  aws_apigatewayv2 as apigwv2,
  type aws_lambda as lambda,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { PRESENCE_FUNCTION_NAMES, type PresenceFunctionName } from '../manifest.js';
import type { FrontDoorBinding } from './front-door.js';
import type { PresenceRedisBinding } from './redis.js';

/** What the acknowledgements name. */
export interface NagContext {
  readonly functions: Readonly<Record<PresenceFunctionName, lambda.IFunction>>;
  /** The `@connections` ARN granted to a function, per method, when it is granted. */
  readonly connectionsArns: (name: PresenceFunctionName) => string[];
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly frontDoor: FrontDoorBinding;
  readonly redis: PresenceRedisBinding;
  readonly tracingEnabled: boolean;
}

const acknowledge = (construct: IConstruct, rule: string, reason: string) =>
  Validations.of(construct).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });

const MANAGED_POLICIES = [
  [
    'AWSLambdaBasicExecutionRole',
    'the CloudWatch Logs write permissions every Lambda function needs, nothing more',
  ],
  [
    'AWSLambdaVPCAccessExecutionRole',
    'the ENI permissions a Lambda function in a VPC needs; AWS keeps the list current as the service evolves',
  ],
] as const;

const HANDLER_VERIFIES =
  'The function verifies the Authorization header itself (signature, iss, exp, iat, token_use=id, app client) and answers 401 before touching any data: unlike a gateway Cognito authorizer it accepts the `Bearer ` prefix PROTOCOL.md requires, refuses access tokens and serves generic OIDC issuers.';

/**
 * Acknowledges the AwsSolutions (cdk-nag) findings that are by design, each with its reason, on
 * the narrowest construct. Plain `Validations` acknowledgements: no dependency on cdk-nag, and
 * deployers who do not run it see nothing. Each one says something true of the synthesized stack:
 * an acknowledgement is only made when its reason holds (the REST stage one only without WAF).
 */
export function acknowledgeNagRules(scope: Construct, context: NagContext): void {
  for (const name of PRESENCE_FUNCTION_NAMES) {
    const fn = context.functions[name];
    for (const [policy, why] of MANAGED_POLICIES) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}]`,
        reason: `AWS managed policy ${policy}: ${why}.`,
      });
    }
    if (context.tracingEnabled) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords accept no resource narrower than "*".',
      });
    }
    for (const arn of context.connectionsArns(name)) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagFlatten(scope, arn)}]`,
        reason:
          "@connections/<connectionId> of this API's own stage: connection ids are only known at run time, so the last segment is a wildcard; the API, stage and method are pinned.",
      });
    }
  }
  for (const route of context.webSocketApi.node.findAll()) {
    if (route instanceof apigwv2.CfnRoute && route.routeKey !== '$connect') {
      acknowledge(
        route,
        'APIG4',
        'WebSocket authorization happens once, at $connect (Lambda REQUEST authorizer); API Gateway only routes messages of connections it authorized, and hands their authorizer context to every route.',
      );
    }
  }
  acknowledgeFrontDoor(context.frontDoor);
  const { redis } = context;
  if (redis.authToken !== undefined && (redis.replicationGroup ?? redis.serverlessCache)) {
    acknowledge(
      redis.authToken,
      'SMG4',
      'ElastiCache AUTH tokens and user passwords rotate through ElastiCache (ModifyReplicationGroup ROTATE then SET, ModifyUser), not through a Secrets Manager rotation function; the functions re-read the secret when Redis refuses the old one.',
    );
  }
  if (redis.replicationGroup !== undefined) {
    acknowledge(
      redis.replicationGroup,
      'AEC5',
      "A non-default port is obscurity, not protection: the replication group is reachable only from the functions' security group, over TLS, with an AUTH token.",
    );
  }
}

function acknowledgeFrontDoor(frontDoor: FrontDoorBinding): void {
  if (frontDoor.httpApi !== undefined && frontDoor.authorization === 'handler') {
    for (const route of frontDoor.httpApi.node.findAll()) {
      if (route instanceof apigwv2.CfnRoute) acknowledge(route, 'APIG4', HANDLER_VERIFIES);
    }
  }
  const restApi = frontDoor.restApi;
  if (restApi === undefined) return;
  if (frontDoor.authorization !== 'cognito') {
    const why =
      frontDoor.authorization === 'handler'
        ? HANDLER_VERIFIES
        : 'A Lambda REQUEST authorizer verifies the Authorization header (signature, iss, exp, iat, token_use=id, app client): unlike a Cognito authorizer it accepts the `Bearer ` prefix PROTOCOL.md requires, refuses access tokens and serves generic OIDC issuers.';
    for (const method of restApi.methods.filter((m) => m.httpMethod !== 'OPTIONS')) {
      if (frontDoor.authorization === 'handler') acknowledge(method, 'APIG4', why);
      acknowledge(method, 'COG4', why);
    }
  }
  if (!frontDoor.waf) {
    acknowledge(
      restApi.deploymentStage as apigateway.Stage,
      'APIG3',
      "Every method needs a verified JWT and the stage is throttled (throttlingRateLimitPerSecond, throttlingBurstLimit); a WAF web ACL is the deployer's choice: PresenceFrontDoor.restApi({ webAclArn }).",
    );
  }
}

/**
 * A token flattened the way cdk-nag names IAM5 findings (`Ref` → `<LogicalId>`, `GetAtt` →
 * `<LogicalId.Attr>`, `Fn::Join` concatenated), so an acknowledgement names exactly one finding.
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
