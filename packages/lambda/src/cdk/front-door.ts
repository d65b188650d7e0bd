import {
  type aws_certificatemanager as acm,
  aws_apigateway as apigateway,
  aws_apigatewayv2 as apigwv2,
  aws_apigatewayv2_authorizers as apigwv2Authorizers,
  aws_apigatewayv2_integrations as apigwv2Integrations,
  type aws_cloudwatch as cloudwatch,
  Duration,
  type aws_lambda as lambda,
  aws_logs as logs,
  Stack,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PresenceIdentity } from './identity.js';
import { stageOptions } from './stage.js';

/** A custom domain name for one of the APIs. */
export interface PresenceDomain {
  /** The domain name, e.g. `presence-api.example.com`. */
  readonly domainName: string;
  /** A regional ACM certificate for it, in the stack's region. */
  readonly certificate: acm.ICertificate;
}

/** Who verifies REST callers' tokens on the REST API (v1). */
export type RestApiAuthorization = 'handler' | 'lambda' | 'cognito';
/** Who verifies REST callers' tokens on the HTTP API (v2). */
export type HttpApiAuthorization = 'handler' | 'jwt';

/** Options of {@link PresenceFrontDoor.httpApi}. */
export interface HttpApiFrontDoorOptions {
  /**
   * `'handler'`: no gateway authorizer; the functions verify `Authorization` (raw or `Bearer`,
   * ID tokens only). `'jwt'`: the HTTP API's JWT authorizer refuses bad tokens before any Lambda
   * runs (it accepts raw and `Bearer` tokens, but also Cognito access tokens, and needs at least
   * one audience); the functions take the user from its claims.
   * @default 'handler'
   */
  readonly authorization?: HttpApiAuthorization;
}

/** Options of {@link PresenceFrontDoor.restApi}. */
export interface RestApiFrontDoorOptions {
  /**
   * `'handler'`: the functions verify the token. `'lambda'`: the `authorizer` function as an
   * uncached REQUEST authorizer (two invocations per request). `'cognito'`: API Gateway's Cognito
   * user pools authorizer (raw ID tokens only; access tokens pass; Cognito identities only).
   * @default 'handler'
   */
  readonly authorization?: RestApiAuthorization;
  /**
   * ARN of a regional AWS WAF web ACL to associate with the stage (WAF attaches to REST APIs,
   * not to HTTP or WebSocket APIs).
   * @default - no web ACL
   */
  readonly webAclArn?: string;
}

/** What the construct hands a front door to build. */
export interface FrontDoorContext {
  readonly getPresence: lambda.IFunction;
  readonly getUserPresence: lambda.IFunction;
  readonly authorizer: lambda.IFunction;
  readonly identity: PresenceIdentity;
  readonly allowedOrigins: readonly string[];
  readonly stageName: string;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly logRetention: logs.RetentionDays;
  readonly tracingEnabled: boolean;
  readonly cloudWatchRole: boolean;
  readonly domain: PresenceDomain | undefined;
  /** `GET /activity` (issue 14's history): behind the same authorization as `GET /presence`. */
  readonly getActivity: lambda.IFunction;
  /** `DELETE /activity`. */
  readonly deleteActivity: lambda.IFunction;
}

/** A built front door. */
export interface FrontDoorBinding {
  /** `https://` URL of the stage (or of the custom domain). */
  readonly url: string;
  /** The REST API (v1). @default - none with the HTTP API */
  readonly restApi?: apigateway.RestApi;
  /** The HTTP API (v2). @default - none with the REST API */
  readonly httpApi?: apigwv2.HttpApi;
  /** The authorization in force. */
  readonly authorization: RestApiAuthorization | HttpApiAuthorization;
  /** The REST API's gateway authorizer, if any. */
  readonly restAuthorizer?: apigateway.Authorizer;
  /** Regional target of the custom domain (a CNAME or alias record points here). */
  readonly domainTarget?: string;
  /** Requests, server errors and latency for the alarms and the dashboard. */
  readonly metrics: {
    readonly requests: cloudwatch.IMetric;
    readonly serverErrorRate: cloudwatch.IMetric;
    readonly latencyP99: cloudwatch.IMetric;
  };
  /** Whether the WAF web ACL is associated. */
  readonly waf: boolean;
}

/**
 * The API that serves `GET /presence` and `GET /presence/{userId}`: an HTTP API (v2) or a REST API
 * (v1). Both answer clients the same (the functions parse both payloads and shape the same
 * responses); the HTTP API costs about a third per request and is the default. The REST API is for
 * a deployment that needs a WAF web ACL (only it takes one), a Lambda or Cognito authorizer, or
 * request validation; see the README's comparison.
 */
export abstract class PresenceFrontDoor {
  /** An HTTP API (v2): the cheaper front door. */
  static httpApi(options: HttpApiFrontDoorOptions = {}): PresenceFrontDoor {
    return new HttpApiFrontDoor(options);
  }

  /** A REST API (v1): WAF, Lambda and Cognito authorizers, request validation. */
  static restApi(options: RestApiFrontDoorOptions = {}): PresenceFrontDoor {
    return new RestApiFrontDoor(options);
  }

  /** The authorization asked for. */
  abstract readonly authorization: RestApiAuthorization | HttpApiAuthorization;
  /** Builds it under `scope`. */
  abstract bind(scope: Construct, context: FrontDoorContext): FrontDoorBinding;
}

class HttpApiFrontDoor extends PresenceFrontDoor {
  readonly authorization: HttpApiAuthorization;
  constructor(options: HttpApiFrontDoorOptions) {
    super();
    this.authorization = options.authorization ?? 'handler';
  }

  bind(scope: Construct, context: FrontDoorContext): FrontDoorBinding {
    const region = Stack.of(scope).region;
    const authorizer =
      this.authorization === 'jwt'
        ? new apigwv2Authorizers.HttpJwtAuthorizer(
            'RestJwtAuthorizer',
            context.identity.issuerFor(region),
            { jwtAudience: context.identity.audiences },
          )
        : undefined;
    const origins = context.allowedOrigins;
    const api = new apigwv2.HttpApi(scope, 'HttpApi', {
      description: 'Presence REST routes (HTTP API)',
      createDefaultStage: false,
      // API Gateway answers preflights and adds the CORS headers to every answer (its own errors
      // too); it ignores the functions' own CORS headers.
      ...(origins.length === 0
        ? {}
        : {
            corsPreflight: {
              allowOrigins: [...origins],
              allowMethods: [
                apigwv2.CorsHttpMethod.GET,
                apigwv2.CorsHttpMethod.OPTIONS,
                apigwv2.CorsHttpMethod.DELETE,
              ],
              allowHeaders: ['Authorization', 'Content-Type'],
              allowCredentials: false,
              maxAge: Duration.minutes(10),
            },
          }),
    });
    const route = (
      path: string,
      fn: lambda.IFunction,
      id: string,
      method: apigwv2.HttpMethod = apigwv2.HttpMethod.GET,
    ) =>
      api.addRoutes({
        path,
        methods: [method],
        integration: new apigwv2Integrations.HttpLambdaIntegration(id, fn),
        ...(authorizer === undefined ? {} : { authorizer }),
      });
    route('/presence', context.getPresence, 'GetPresenceIntegration');
    route('/presence/{userId}', context.getUserPresence, 'GetUserPresenceIntegration');
    route('/activity', context.getActivity, 'GetActivityIntegration');
    route(
      '/activity',
      context.deleteActivity,
      'DeleteActivityIntegration',
      apigwv2.HttpMethod.DELETE,
    );
    const { options, domain } = stageOptions(
      scope,
      { logs: 'RestAccessLogs', domain: 'RestDomain' },
      context,
    );
    const stage = new apigwv2.HttpStage(scope, 'HttpStage', { httpApi: api, ...options });
    return {
      url: context.domain === undefined ? stage.url : `https://${context.domain.domainName}/`,
      httpApi: api,
      authorization: this.authorization,
      ...(domain === undefined ? {} : { domainTarget: domain.regionalDomainName }),
      metrics: {
        requests: stage.metricCount({ statistic: 'Sum' }),
        serverErrorRate: stage.metricServerError({ statistic: 'Average' }),
        latencyP99: stage.metricLatency({ statistic: 'p99' }),
      },
      waf: false,
    };
  }
}

class RestApiFrontDoor extends PresenceFrontDoor {
  readonly authorization: RestApiAuthorization;
  readonly #webAclArn: string | undefined;
  constructor(options: RestApiFrontDoorOptions) {
    super();
    this.authorization = options.authorization ?? 'handler';
    this.#webAclArn = options.webAclArn;
  }

  bind(scope: Construct, context: FrontDoorContext): FrontDoorBinding {
    const origins = [...context.allowedOrigins];
    const api = new apigateway.RestApi(scope, 'RestApi', {
      description: 'Presence REST API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: context.cloudWatchRole,
      deployOptions: {
        stageName: context.stageName,
        accessLogDestination: new apigateway.LogGroupLogDestination(
          new logs.LogGroup(scope, 'RestAccessLogs', { retention: context.logRetention }),
        ),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Errors only, and never request or response bodies (no personal data in logs).
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: context.tracingEnabled,
        throttlingRateLimit: context.throttle.rateLimit,
        throttlingBurstLimit: context.throttle.burstLimit,
      },
      ...(context.domain === undefined
        ? {}
        : {
            domainName: {
              domainName: context.domain.domainName,
              certificate: context.domain.certificate,
              endpointType: apigateway.EndpointType.REGIONAL,
              securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
            },
          }),
      defaultCorsPreflightOptions:
        origins.length > 0
          ? {
              allowOrigins: origins,
              allowMethods: ['GET', 'OPTIONS', 'DELETE'],
              allowHeaders: ['Authorization', 'Content-Type'],
              allowCredentials: false,
              maxAge: Duration.hours(1),
            }
          : undefined,
    });
    const restAuthorizer = this.#authorizer(scope, context);
    const requestValidator = api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const methodOptions = (requestParameters: Record<string, boolean>) => ({
      ...(restAuthorizer
        ? { authorizer: restAuthorizer }
        : { authorizationType: apigateway.AuthorizationType.NONE }),
      requestValidator,
      requestParameters,
    });
    const presence = api.root.addResource('presence');
    presence.addMethod(
      'GET',
      new apigateway.LambdaIntegration(context.getPresence, { allowTestInvoke: false }),
      methodOptions({}),
    );
    presence
      .addResource('{userId}')
      .addMethod(
        'GET',
        new apigateway.LambdaIntegration(context.getUserPresence, { allowTestInvoke: false }),
        methodOptions({ 'method.request.path.userId': true }),
      );
    const activity = api.root.addResource('activity');
    activity.addMethod(
      'GET',
      new apigateway.LambdaIntegration(context.getActivity, { allowTestInvoke: false }),
      methodOptions({
        'method.request.querystring.cursor': false,
        'method.request.querystring.limit': false,
      }),
    );
    activity.addMethod(
      'DELETE',
      new apigateway.LambdaIntegration(context.deleteActivity, { allowTestInvoke: false }),
      methodOptions({}),
    );
    if (origins.length > 0) addCorsToGatewayResponses(api, origins);
    if (this.#webAclArn !== undefined) {
      new wafv2.CfnWebACLAssociation(scope, 'RestWebAcl', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: this.#webAclArn,
      });
    }
    const stage = api.deploymentStage;
    return {
      url: api.domainName === undefined ? api.url : `https://${context.domain?.domainName}/`,
      restApi: api,
      authorization: this.authorization,
      ...(restAuthorizer === undefined ? {} : { restAuthorizer }),
      ...(api.domainName === undefined
        ? {}
        : { domainTarget: api.domainName.domainNameAliasDomainName }),
      metrics: {
        requests: stage.metricCount({ statistic: 'Sum' }),
        serverErrorRate: stage.metricServerError({ statistic: 'Average' }),
        latencyP99: stage.metricLatency({ statistic: 'p99' }),
      },
      waf: this.#webAclArn !== undefined,
    };
  }

  #authorizer(scope: Construct, context: FrontDoorContext): apigateway.Authorizer | undefined {
    const userPool = context.identity.userPool;
    if (this.authorization === 'cognito' && userPool !== undefined) {
      return new apigateway.CognitoUserPoolsAuthorizer(scope, 'RestAuthorizer', {
        cognitoUserPools: [userPool],
        identitySource: apigateway.IdentitySource.header('Authorization'),
      });
    }
    if (this.authorization === 'lambda') {
      return new apigateway.RequestAuthorizer(scope, 'RestAuthorizer', {
        handler: context.authorizer,
        identitySources: [apigateway.IdentitySource.header('Authorization')],
        // Not cached: the policy the authorizer returns names the one method it was asked about.
        resultsCacheTtl: Duration.seconds(0),
      });
    }
    return undefined;
  }
}

/**
 * API Gateway's own 4XX/5XX answers (an authorizer refusal, a throttle) carry no CORS headers, so
 * a browser would see an opaque network error instead of the 401. One allowed origin is named;
 * with several, the request's Origin is echoed (a gateway response cannot pick from a list): these
 * bodies hold no data, and the Lambda responses keep the strict list.
 */
function addCorsToGatewayResponses(api: apigateway.RestApi, origins: string[]): void {
  const origin = origins.length === 1 ? `'${origins[0]}'` : 'method.request.header.Origin';
  const responseHeaders = { 'Access-Control-Allow-Origin': origin, Vary: "'Origin'" };
  api.addGatewayResponse('Default4xx', {
    type: apigateway.ResponseType.DEFAULT_4XX,
    responseHeaders,
  });
  api.addGatewayResponse('Default5xx', {
    type: apigateway.ResponseType.DEFAULT_5XX,
    responseHeaders,
  });
}
