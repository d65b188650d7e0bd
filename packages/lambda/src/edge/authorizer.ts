import type {
  APIGatewayAuthorizerResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { parseAuthorizerEvent } from './events.js';
import { invoke } from './invocation.js';
import type { RuntimeSource } from './runtime.js';

/** The `$connect` REQUEST authorizer (also usable in front of the REST API v1). */
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context?: Context,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * WebSocket `$connect` REQUEST authorizer: `?Authorization=<jwt>` (or the `Authorization` header)
 * → Allow with context `{ userId }`. A bad or missing token throws exactly `Unauthorized`, the one
 * error text API Gateway turns into 401; anything else would be a 500. So Lambda counts every
 * refused token as a function error: the construct's error alarm leaves this function out and
 * watches `IdentityErrors` (the JWKS cannot be fetched) instead.
 */
export function createAuthorizerHandler(source: RuntimeSource): AuthorizerHandler {
  return invoke<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>(
    source,
    'authorize',
    async (runtime, event, caller) => {
      const { methodArn, token, requestId } = parseAuthorizerEvent(event);
      caller.requestId = requestId;
      const { userId } = await runtime.verifier.verify(token ?? '');
      caller.userId = userId;
      return {
        result: {
          principalId: userId,
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
          },
          context: { userId },
        },
        step: { fields: { allowed: true } },
      };
    },
    async () => {
      throw new Error('Unauthorized');
    },
  );
}
