import { aws_apigatewayv2 as apigwv2, aws_logs as logs } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PresenceDomain } from './front-door.js';

/**
 * What an API Gateway v2 stage (WebSocket or HTTP) of the presence API always has: auto-deploy,
 * throttling, JSON access logs in a log group of their own, and the custom domain when one is
 * given (a regional domain name, TLS 1.2, mapped to the stage).
 */
export function stageOptions(
  scope: Construct,
  ids: { readonly logs: string; readonly domain: string },
  context: {
    readonly stageName: string;
    readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
    readonly logRetention: logs.RetentionDays;
    readonly domain: PresenceDomain | undefined;
  },
): { options: apigwv2.StageOptions & { stageName: string }; domain?: apigwv2.DomainName } {
  const domain =
    context.domain === undefined
      ? undefined
      : new apigwv2.DomainName(scope, ids.domain, {
          domainName: context.domain.domainName,
          certificate: context.domain.certificate,
          securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
        });
  return {
    options: {
      stageName: context.stageName,
      autoDeploy: true,
      throttle: context.throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(
          new logs.LogGroup(scope, ids.logs, { retention: context.logRetention }),
        ),
      },
      ...(domain === undefined ? {} : { domainMapping: { domainName: domain } }),
    },
    ...(domain === undefined ? {} : { domain }),
  };
}
