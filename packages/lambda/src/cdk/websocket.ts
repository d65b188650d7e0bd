import {
  aws_apigatewayv2 as apigwv2,
  aws_apigatewayv2_authorizers as apigwv2Authorizers,
  aws_apigatewayv2_integrations as apigwv2Integrations,
  aws_cloudwatch as cloudwatch,
  type aws_lambda as lambda,
  aws_logs as logs,
  Stack,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PresenceFunctionName } from '../manifest.js';
import type { PresenceDomain } from './front-door.js';
import { pascal } from './names.js';
import { stageOptions } from './stage.js';

/** What the WebSocket API is built from. */
export interface WebSocketContext {
  readonly functions: Readonly<Record<PresenceFunctionName, lambda.IFunction>>;
  readonly stageName: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: logs.RetentionDays;
  readonly domain: PresenceDomain | undefined;
}

/** The WebSocket API and its stage. */
export interface WebSocketBinding {
  readonly api: apigwv2.WebSocketApi;
  readonly stage: apigwv2.WebSocketStage;
  /** `wss://` URL clients connect to (the custom domain's when given). */
  readonly url: string;
  /** Regional target of the custom domain (a CNAME or alias record points here). */
  readonly domainTarget?: string;
  /** Messages, integration errors and latency for the alarms and the dashboard. */
  readonly metrics: {
    readonly messages: cloudwatch.IMetric;
    readonly integrationErrors: cloudwatch.IMetric;
    readonly executionErrors: cloudwatch.IMetric;
    readonly latencyP99: cloudwatch.IMetric;
  };
}

/**
 * The WebSocket API: `$connect` behind the Lambda REQUEST authorizer on
 * `?Authorization=<raw JWT>` (PROTOCOL.md), `$disconnect`, `$default`, `heartbeat` and
 * `update-presence` routed on `$request.body.action`; an auto-deployed, throttled stage with
 * access logs.
 */
export function createWebSocketApi(scope: Construct): apigwv2.WebSocketApi {
  return new apigwv2.WebSocketApi(scope, 'WebSocketApi', {
    description: 'Presence WebSocket API',
    routeSelectionExpression: '$request.body.action',
  });
}

/**
 * The `@connections` URL of a stage, from the API id, the region and the stage *name*: the
 * functions that post reference the API only, and the API's routes reference the functions, so
 * there is no dependency cycle.
 */
export function callbackUrlOf(api: apigwv2.WebSocketApi, stageName: string): string {
  const stack = Stack.of(api);
  return `https://${api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${stageName}`;
}

/** Adds the routes, on the functions, and the stage. */
export function completeWebSocketApi(
  scope: Construct,
  api: apigwv2.WebSocketApi,
  context: WebSocketContext,
): WebSocketBinding {
  const { functions } = context;
  const integration = (name: PresenceFunctionName) =>
    new apigwv2Integrations.WebSocketLambdaIntegration(
      `${pascal(name)}Integration`,
      functions[name],
    );
  api.addRoute('$connect', {
    integration: integration('connect'),
    authorizer: new apigwv2Authorizers.WebSocketLambdaAuthorizer(
      'ConnectAuthorizer',
      functions.authorizer,
      { identitySource: ['route.request.querystring.Authorization'] },
    ),
  });
  api.addRoute('$disconnect', { integration: integration('disconnect') });
  api.addRoute('$default', { integration: integration('default') });
  api.addRoute('heartbeat', { integration: integration('heartbeat') });
  api.addRoute('update-presence', { integration: integration('update-presence') });
  const { options, domain } = stageOptions(
    scope,
    { logs: 'WebSocketAccessLogs', domain: 'WebSocketDomain' },
    context,
  );
  const stage = new apigwv2.WebSocketStage(scope, 'WebSocketStage', {
    webSocketApi: api,
    ...options,
  });
  const metric = (metricName: string, statistic: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiId: api.apiId, Stage: context.stageName },
      statistic,
    });
  return {
    api,
    stage,
    url: context.domain === undefined ? stage.url : `wss://${context.domain.domainName}`,
    ...(domain === undefined ? {} : { domainTarget: domain.regionalDomainName }),
    metrics: {
      messages: metric('MessageCount', 'Sum'),
      integrationErrors: metric('IntegrationError', 'Sum'),
      executionErrors: metric('ExecutionError', 'Sum'),
      latencyP99: metric('IntegrationLatency', 'p99'),
    },
  };
}
