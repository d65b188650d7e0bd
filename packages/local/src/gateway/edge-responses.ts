import type { Duplex } from 'node:stream';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';

// What API Gateway answers and passes on at its edge, shared by the WebSocket and REST halves.

/** API Gateway passes the authorizer's context values as strings, plus the principal id. */
export function flattenContext(policy: APIGatewayAuthorizerResult): Record<string, string> {
  const flat: Record<string, string> = { principalId: String(policy.principalId) };
  for (const [key, value] of Object.entries(policy.context ?? {})) {
    if (value !== null && value !== undefined) flat[key] = String(value);
  }
  return flat;
}

/** Whether an authorizer policy allows the call: at least one Allow statement and no Deny. */
export function allows(policy: APIGatewayAuthorizerResult | undefined): boolean {
  const statements = policy?.policyDocument?.Statement;
  if (!Array.isArray(statements) || statements.length === 0) return false;
  const denied = statements.some((s) => s.Effect === 'Deny');
  return !denied && statements.some((s) => s.Effect === 'Allow');
}

/** A 2xx status. */
export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Answers a WebSocket upgrade with an HTTP error status and a JSON body, then closes the socket. */
export function refuse(socket: Duplex, status: number, fallback: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ message: REASONS[status] ?? fallback });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? fallback}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** An error's name and code for logs, never its message (it may carry personal data). */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name}(${code})` : error.name;
  }
  return typeof error;
}
