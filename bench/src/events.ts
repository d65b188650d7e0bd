import { randomUUID } from 'node:crypto';

const API_ID = 'a1b2c3d4e5';
const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;
const STAGE = 'prod';
// Request ids: UUID-shaped and unique per event, from a random per-process prefix and a counter,
// because two randomUUID() calls per event were a measurable share of a heartbeat's CPU in this
// process (the event is built by API Gateway in AWS, not by the Lambda).
const ID_PREFIX = randomUUID().slice(0, 24);
let idCounter = 0;
function nextRequestId(): string {
  idCounter = (idCounter + 1) % 0x1000000000000;
  return ID_PREFIX + idCounter.toString(16).padStart(12, '0');
}

// `requestTime` changes once a second; formatting it per event cost as much as the ids.
let timeSecond = -1;
let timeText = '';
function requestTimeOf(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== timeSecond) {
    timeSecond = second;
    timeText = new Date(second * 1000).toUTCString();
  }
  return timeText;
}

// The shape of a Cognito ID token; never verified on these routes (the authorizer ran at $connect).
const FAKE_JWT = `eyJraWQiOiJiZW5jaCIsImFsZyI6IlJTMjU2In0.${Buffer.from('{"cognito:username":"bench"}').toString('base64url')}.c2lnbmF0dXJl`;

/**
 * A WebSocket route event as API Gateway sends it to a Lambda integration after the `$connect`
 * REQUEST authorizer allowed the connection with context `{ userId }`.
 */
export function webSocketEvent(
  route: '$connect' | '$disconnect' | 'heartbeat' | 'update-presence',
  userId: string,
  connectionId: string,
  body?: string,
): Record<string, unknown> {
  const now = Date.now();
  const eventType =
    route === '$connect' ? 'CONNECT' : route === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  const requestContext: Record<string, unknown> = {
    routeKey: route,
    eventType,
    extendedRequestId: nextRequestId(),
    requestTime: requestTimeOf(now),
    messageDirection: 'IN',
    stage: STAGE,
    connectedAt: now - 60_000,
    requestTimeEpoch: now,
    identity: {
      sourceIp: '203.0.113.7',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0',
    },
    requestId: nextRequestId(),
    domainName: DOMAIN,
    connectionId,
    apiId: API_ID,
    authorizer: { userId, principalId: userId, integrationLatency: 12 },
  };
  if (eventType === 'MESSAGE') requestContext.messageId = `${connectionId.slice(0, 8)}msg=`;
  if (eventType === 'DISCONNECT') {
    requestContext.disconnectStatusCode = 1001;
    requestContext.disconnectReason = 'Going away';
  }
  const event: Record<string, unknown> = { requestContext, isBase64Encoded: false };
  if (route === '$connect') {
    event.headers = {
      Host: DOMAIN,
      Origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
      'Sec-WebSocket-Version': '13',
    };
    event.queryStringParameters = { Authorization: FAKE_JWT };
  }
  if (body !== undefined) event.body = body;
  return event;
}

/**
 * A REST API (v1) Lambda proxy event for `GET /presence` or `GET /presence/{userId}` behind
 * API Gateway's Cognito user-pool authorizer (claims in `requestContext.authorizer.claims`).
 */
export function restEvent(callerId: string, targetId?: string): Record<string, unknown> {
  const path = targetId === undefined ? '/presence' : `/presence/${encodeURIComponent(targetId)}`;
  const resource = targetId === undefined ? '/presence' : '/presence/{userId}';
  const headers = {
    Accept: 'application/json',
    Authorization: FAKE_JWT,
    Host: DOMAIN,
    origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop',
    'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0',
    'X-Forwarded-For': '203.0.113.7',
  };
  return {
    resource,
    path,
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: targetId === undefined ? null : { userId: targetId },
    stageVariables: null,
    requestContext: {
      resourceId: 'abc123',
      resourcePath: resource,
      httpMethod: 'GET',
      requestId: nextRequestId(),
      accountId: '123456789012',
      apiId: API_ID,
      stage: STAGE,
      path: `/${STAGE}${path}`,
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.now(),
      identity: { sourceIp: '203.0.113.7', userAgent: 'Mozilla/5.0' },
      authorizer: {
        claims: {
          sub: callerId,
          'cognito:username': callerId,
          token_use: 'id',
          aud: 'bench-client-id',
          iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench0001',
        },
      },
    },
    body: null,
    isBase64Encoded: false,
  };
}

/** The EventBridge scheduled event of the timeout rule. */
export function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/presence-timeout'],
    detail: {},
  };
}

/** A Lambda context with `remainingMs` left (a 5-minute function by default). */
export function lambdaContext(remainingMs = 300_000): Record<string, unknown> {
  const deadline = Date.now() + remainingMs;
  return {
    functionName: 'presence-timeout',
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}
