import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
  Context,
  ScheduledEvent,
} from 'aws-lambda';

/** What a WebSocket route handler answers; a `body` is sent back only on routes with a route response. */
export interface RouteResult {
  readonly statusCode: number;
  readonly body?: string;
}

/**
 * The Lambda handlers the emulated gateway invokes: structurally what `createHandlers` of
 * `@presence/lambda` returns, so a test double can stand in.
 */
export interface GatewayHandlers {
  authorizer(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult>;
  connect(event: APIGatewayProxyWebsocketEventV2): Promise<RouteResult>;
  heartbeat(event: APIGatewayProxyWebsocketEventV2): Promise<RouteResult>;
  updatePresence(event: APIGatewayProxyWebsocketEventV2): Promise<RouteResult>;
  disconnect(event: APIGatewayProxyWebsocketEventV2): Promise<RouteResult>;
  default(event: APIGatewayProxyWebsocketEventV2): Promise<RouteResult>;
  timeout(event: ScheduledEvent, context: Context): Promise<unknown>;
  getPresence(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  getUserPresence(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  getActivity(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
  deleteActivity(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult>;
}
