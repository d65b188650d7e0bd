import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
  Context,
  ScheduledEvent,
} from 'aws-lambda';

/** The account, region, API id and stage the emulated gateway pretends to be. */
export interface GatewayIdentity {
  readonly accountId: string;
  readonly region: string;
  readonly apiId: string;
  readonly stage: string;
  /** `host:port` clients reached, as API Gateway puts its domain name in events. */
  readonly domainName: string;
}

/** The request facts every API Gateway event repeats. */
export interface RequestFacts {
  readonly headers: Record<string, string>;
  readonly sourceIp: string;
  readonly userAgent: string;
}

/** One live WebSocket connection, as the events of its routes describe it. */
export interface ConnectionFacts extends RequestFacts {
  readonly connectionId: string;
  readonly connectedAt: number;
  /** The authorizer's context, flattened to strings, plus `principalId`. */
  readonly authorizer: Readonly<Record<string, string>>;
}

/** An API Gateway-like connection id: 11 random bytes in base64, e.g. `L0SM9cOFvHcCIhw=`. */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

// Request ids must be unique, not unguessable (connection ids are): a random per-process prefix
// and a counter, since randomBytes per event was 2% of the server's CPU under load.
const REQUEST_ID_PREFIX = randomBytes(5);
let requestCounter = 0;

/** An API Gateway-like request id (11 bytes in base64, ends with `=`), e.g. `FA0SXGZkIAMFv2Q=`. */
function newRequestId(): string {
  requestCounter = (requestCounter + 1) % 2 ** 48;
  const bytes = Buffer.allocUnsafe(11);
  REQUEST_ID_PREFIX.copy(bytes, 0);
  bytes.writeUIntBE(requestCounter, 5, 6);
  return bytes.toString('base64');
}

const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/** `28/Nov/2025:02:11:00 +0000`, the `requestTime` format of API Gateway. */
export function requestTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function multiValue(
  values: Record<string, string> | null,
): Record<string, string[] | undefined> | null {
  if (values === null) return null;
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, [v]]));
}

function methodArn(api: GatewayIdentity, route: string): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${route}`;
}

/** The `$connect` REQUEST authorizer event (identity source `route.request.querystring.Authorization`). */
export function authorizerEvent(
  api: GatewayIdentity,
  request: RequestFacts,
  query: Record<string, string>,
  connectionId: string,
  now: number,
): APIGatewayRequestAuthorizerEvent {
  const context = {
    routeKey: '$connect',
    eventType: 'CONNECT',
    extendedRequestId: newRequestId(),
    requestTime: requestTime(now),
    messageDirection: 'IN',
    stage: api.stage,
    connectedAt: now,
    requestTimeEpoch: now,
    identity: { sourceIp: request.sourceIp, userAgent: request.userAgent },
    requestId: newRequestId(),
    domainName: api.domainName,
    connectionId,
    apiId: api.apiId,
  };
  const event = {
    type: 'REQUEST',
    methodArn: methodArn(api, '$connect'),
    headers: request.headers,
    multiValueHeaders: multiValue(request.headers),
    queryStringParameters: query,
    multiValueQueryStringParameters: multiValue(query),
    stageVariables: {},
    requestContext: context,
  };
  return event as unknown as APIGatewayRequestAuthorizerEvent;
}

function websocketContext(
  api: GatewayIdentity,
  connection: ConnectionFacts,
  routeKey: string,
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT',
  now: number,
): Record<string, unknown> {
  return {
    routeKey,
    ...(eventType === 'MESSAGE' ? { messageId: newRequestId() } : {}),
    eventType,
    extendedRequestId: newRequestId(),
    requestTime: requestTime(now),
    messageDirection: 'IN',
    stage: api.stage,
    connectedAt: connection.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
    requestId: newRequestId(),
    domainName: api.domainName,
    connectionId: connection.connectionId,
    apiId: api.apiId,
    authorizer: { ...connection.authorizer, integrationLatency: 0 },
  };
}

/** The `$connect` route event, with the authorizer's context. */
export function connectEvent(
  api: GatewayIdentity,
  connection: ConnectionFacts,
  query: Record<string, string>,
  now: number,
): APIGatewayProxyWebsocketEventV2 {
  const event = {
    headers: connection.headers,
    multiValueHeaders: multiValue(connection.headers),
    queryStringParameters: query,
    multiValueQueryStringParameters: multiValue(query),
    requestContext: websocketContext(api, connection, '$connect', 'CONNECT', now),
    isBase64Encoded: false,
  };
  return event as unknown as APIGatewayProxyWebsocketEventV2;
}

/** A message route event (`heartbeat`, `update-presence`, `$default`): `body` is the raw text frame. */
export function messageEvent(
  api: GatewayIdentity,
  connection: ConnectionFacts,
  routeKey: string,
  body: string,
  now: number,
): APIGatewayProxyWebsocketEventV2 {
  const event = {
    requestContext: websocketContext(api, connection, routeKey, 'MESSAGE', now),
    body,
    isBase64Encoded: false,
  };
  return event as unknown as APIGatewayProxyWebsocketEventV2;
}

/** The `$disconnect` route event, with the close code and reason API Gateway reports. */
export function disconnectEvent(
  api: GatewayIdentity,
  connection: ConnectionFacts,
  statusCode: number,
  reason: string,
  now: number,
): APIGatewayProxyWebsocketEventV2 {
  const context = websocketContext(api, connection, '$disconnect', 'DISCONNECT', now);
  const event = {
    headers: {
      Host: api.domainName,
      'x-api-key': '',
      'X-Forwarded-For': '',
      'x-restapi': '',
    },
    multiValueHeaders: {
      Host: [api.domainName],
      'x-api-key': [''],
      'X-Forwarded-For': [''],
      'x-restapi': [''],
    },
    requestContext: { ...context, disconnectStatusCode: statusCode, disconnectReason: reason },
    isBase64Encoded: false,
  };
  return event as unknown as APIGatewayProxyWebsocketEventV2;
}

/** The route of a REST request, as API Gateway resolved it. */
export interface RestRoute {
  readonly method: string;
  readonly resource: string;
  readonly path: string;
  readonly pathParameters: Record<string, string> | null;
  readonly query: Record<string, string> | null;
}

function restContext(api: GatewayIdentity, request: RequestFacts, route: RestRoute, now: number) {
  return {
    resourceId: 'local00',
    resourcePath: route.resource,
    httpMethod: route.method,
    extendedRequestId: newRequestId(),
    requestTime: requestTime(now),
    path: `/${api.stage}${route.path}`,
    accountId: api.accountId,
    protocol: 'HTTP/1.1',
    stage: api.stage,
    domainPrefix: api.domainName.split('.')[0] ?? api.domainName,
    requestTimeEpoch: now,
    requestId: randomUUID(),
    identity: {
      cognitoIdentityPoolId: null,
      accountId: null,
      cognitoIdentityId: null,
      caller: null,
      sourceIp: request.sourceIp,
      principalOrgId: null,
      accessKey: null,
      cognitoAuthenticationType: null,
      cognitoAuthenticationProvider: null,
      userArn: null,
      userAgent: request.userAgent,
      user: null,
      apiKey: null,
      apiKeyId: null,
      clientCert: null,
    },
    domainName: api.domainName,
    apiId: api.apiId,
  };
}

/** The REST API's REQUEST authorizer event (identity source `method.request.header.Authorization`). */
export function restAuthorizerEvent(
  api: GatewayIdentity,
  request: RequestFacts,
  route: RestRoute,
  now: number,
): APIGatewayRequestAuthorizerEvent {
  const event = {
    type: 'REQUEST',
    methodArn: methodArn(api, `${route.method}${route.path}`),
    resource: route.resource,
    path: route.path,
    httpMethod: route.method,
    headers: request.headers,
    multiValueHeaders: multiValue(request.headers),
    queryStringParameters: route.query ?? {},
    multiValueQueryStringParameters: multiValue(route.query ?? {}),
    pathParameters: route.pathParameters ?? {},
    stageVariables: {},
    requestContext: restContext(api, request, route, now),
  };
  return event as unknown as APIGatewayRequestAuthorizerEvent;
}

/** A REST API (v1) Lambda proxy event; `authorizer` is the REQUEST authorizer's context. */
export function restEvent(
  api: GatewayIdentity,
  request: RequestFacts,
  route: RestRoute,
  authorizer: Readonly<Record<string, string>> | null,
  now: number,
): APIGatewayProxyEvent {
  const event = {
    resource: route.resource,
    path: route.path,
    httpMethod: route.method,
    headers: request.headers,
    multiValueHeaders: multiValue(request.headers),
    queryStringParameters: route.query,
    multiValueQueryStringParameters: multiValue(route.query),
    pathParameters: route.pathParameters,
    stageVariables: null,
    requestContext: {
      ...restContext(api, request, route, now),
      authorizer: authorizer === null ? null : { ...authorizer, integrationLatency: 0 },
    },
    body: null,
    isBase64Encoded: false,
  };
  return event as unknown as APIGatewayProxyEvent;
}

/** The EventBridge scheduled event of the timeout rule. */
export function scheduledEvent(
  api: GatewayIdentity,
  ruleName: string,
  now: number,
): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: api.accountId,
    time: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: api.region,
    resources: [`arn:aws:events:${api.region}:${api.accountId}:rule/${ruleName}`],
    detail: {},
  };
}

/** A Lambda invocation context whose remaining time counts down from `timeoutMs` in real time. */
export function lambdaContext(
  api: GatewayIdentity,
  functionName: string,
  timeoutMs: number,
): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  const unsupported = () => {
    throw new Error('callback-style completion is not supported by presence-local');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${api.region}:${api.accountId}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** The headers (repeated ones joined with commas, as API Gateway does), source IP and user agent. */
export function requestFactsOf(request: IncomingMessage): RequestFacts {
  const headers: Record<string, string> = {};
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return {
    headers,
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    userAgent: request.headers['user-agent'] ?? '',
  };
}
