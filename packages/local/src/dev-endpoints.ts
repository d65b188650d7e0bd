import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertUserId } from '@presence/core';
import type { LocalIssuer } from './issuer.js';

/** A seed user as `GET /dev/users` lists it. */
export interface DevUser {
  readonly userId: string;
  readonly firstName: string;
  readonly lastName: string;
}

/** Options of {@link createDevEndpoints}. */
export interface DevEndpointsOptions {
  /** Whether the endpoints answer at all; off, `/dev/*` answers 404 saying how to turn them on. */
  readonly enabled: boolean;
  /** Why they are off, for the 404 (e.g. a real database is configured). */
  readonly offReason: string;
  /** The users `GET /dev/users` lists. */
  readonly users: readonly DevUser[];
  /** The issuer `GET /dev/token/{userId}` signs with (`undefined` until it is ready). */
  readonly issuer: () => LocalIssuer | undefined;
}

type Send = (response: ServerResponse, status: number, body: unknown) => void;

/**
 * Whether a `Host` header names this machine's loopback: `localhost`, `127.x.y.z` or `[::1]`,
 * with or without a port. A DNS-rebinding page reaches a loopback server under its own name
 * (`Host: attacker.example:3000`), so a loopback bind alone does not keep it out.
 */
export function isLoopbackHostHeader(host: string | undefined): boolean {
  if (host === undefined) return false;
  const value = host.trim().toLowerCase();
  const name = value.startsWith('[')
    ? value.slice(0, value.indexOf(']') + 1)
    : (value.split(':')[0] ?? '');
  if (name === 'localhost' || name === '[::1]') return true;
  const octets = name.split('.');
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}

/**
 * The development endpoints of `presence-local`: `GET /dev/token/{userId}` (a token for any user
 * id: the demo page's sign-in) and `GET /dev/users` (the seed's users). They answer only requests
 * whose `Host` is a loopback name (403 otherwise), and only when enabled (404 otherwise, saying
 * how to enable them). Resolves false for any other path.
 */
export function createDevEndpoints(options: DevEndpointsOptions, send: Send) {
  return async function handleDev(
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
  ): Promise<boolean> {
    if (path !== '/dev' && !path.startsWith('/dev/')) return false;
    if (!options.enabled) {
      send(response, 404, {
        message: `development endpoints are off (${options.offReason}): start presence-local with --dev-endpoints (devEndpoints: true) to turn them on`,
      });
      return true;
    }
    if (!isLoopbackHostHeader(request.headers.host)) {
      send(response, 403, {
        message:
          'development endpoints answer only requests addressed to a loopback host (Host: localhost, 127.0.0.1 or [::1])',
      });
      return true;
    }
    if (path === '/dev/users') {
      send(response, 200, { users: options.users });
      return true;
    }
    const issuer = options.issuer();
    if (path.startsWith('/dev/token/') && issuer !== undefined) {
      let userId: string;
      try {
        userId = assertUserId(decodeURIComponent(path.slice('/dev/token/'.length)));
      } catch {
        send(response, 400, { message: 'invalid user id' });
        return true;
      }
      const token = await issuer.issueToken(userId);
      send(response, 200, { userId, token, devOnly: 'presence-local development token' });
      return true;
    }
    send(response, 404, { message: 'Not Found' });
    return true;
  };
}
