import {
  assertUserId,
  IdentityUnavailableError,
  PresenceError,
  UnauthorizedError,
} from '@presence/core';
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import { JwtExpiredError, JwtNotBeforeError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import type { AuthConfig } from '../config/index.js';
import type { TokenVerifier } from '../edge/runtime.js';

/**
 * How far in the future a token's `iat` may be (the issuer's clock ahead of ours) before the token
 * is refused: a token issued later than that was not issued by a correct issuer.
 */
export const IAT_SKEW_SECONDS = 60;

/**
 * Claims rules aws-jwt-verify leaves open: `exp` must be present and numeric (it checks `exp` only
 * when present; PROTOCOL.md requires it), `iat`, when present, numeric and not in the future beyond
 * {@link IAT_SKEW_SECONDS}, and `token_use`, when present, `id` (a Cognito access token is refused
 * on both paths).
 */
function checkClaims(payload: JwtPayload, nowSeconds = Math.floor(Date.now() / 1000)): void {
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) {
    throw new UnauthorizedError('token has no numeric exp');
  }
  if (payload.iat !== undefined) {
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) {
      throw new UnauthorizedError('token iat is not a number');
    }
    if (payload.iat > nowSeconds + IAT_SKEW_SECONDS) {
      throw new UnauthorizedError('token is issued in the future');
    }
  }
  if (payload.token_use !== undefined && payload.token_use !== 'id') {
    throw new UnauthorizedError('token_use must be "id"');
  }
}

const JWKS_TIMEOUT_MS = 3000;

/**
 * Fetches JWKS with the platform `fetch`, so a loopback `http://` JWKS works for local runs and
 * tests (aws-jwt-verify's own fetcher speaks https only). Config only admits https, or http on a
 * loopback host.
 */
const fetcher: Fetcher = {
  async fetch(uri) {
    let response: Response;
    try {
      response = await fetch(uri, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS) });
    } catch (cause) {
      throw new IdentityUnavailableError('the JWKS could not be fetched', { cause });
    }
    if (!response.ok) {
      throw new IdentityUnavailableError(`the JWKS fetch answered HTTP ${response.status}`);
    }
    return response.arrayBuffer();
  },
};

// Module scope: one JWKS cache per Lambda container, shared by every verifier, kept across
// invocations (aws-jwt-verify refetches only on an unknown `kid`, with a penalty box).
const jwksCache = new SimpleJwksCache({ fetcher });

/**
 * A {@link TokenVerifier} on aws-jwt-verify: Cognito ID tokens (`token_use` `id`, `aud` one of the
 * app clients when configured, user id from `cognito:username`), or a generic issuer + JWKS URL +
 * audiences + user-id claim. A token carrying `token_use` other than `id` (a Cognito access token)
 * is refused on both paths. The JWKS is cached at module scope, across invocations.
 * @example const verifier = createTokenVerifier(parseConfig(process.env).auth);
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const verify = build(config);
  return {
    async verify(token) {
      const raw = typeof token === 'string' ? stripBearer(token) : '';
      if (raw === '') throw new UnauthorizedError('token is missing');
      let payload: JwtPayload;
      try {
        payload = await verify(raw);
      } catch (error) {
        // An identity provider outage is ours to report as 503, not the caller's token to refuse.
        if (IdentityUnavailableError.isInstance(error)) throw error;
        throw new UnauthorizedError(reasonOf(error), { cause: error });
      }
      const claim = payload[config.userIdClaim];
      try {
        return { userId: assertUserId(claim, `claim ${config.userIdClaim}`) };
      } catch (error) {
        throw new UnauthorizedError(
          `token claim ${config.userIdClaim} is missing or not a valid user id`,
          { cause: error },
        );
      }
    },
  };
}

function build(config: AuthConfig): (token: string) => Promise<JwtPayload> {
  if (config.kind === 'cognito') {
    const verifier = CognitoJwtVerifier.create(
      {
        userPoolId: config.userPoolId,
        tokenUse: 'id',
        clientId: config.clientIds.length > 0 ? [...config.clientIds] : null,
        customJwtCheck: ({ payload }) => checkClaims(payload),
      },
      { jwksCache },
    );
    return (token) => verifier.verify(token);
  }
  const verifier = JwtVerifier.create(
    {
      issuer: config.issuer,
      jwksUri: config.jwksUrl,
      audience: config.audiences.length > 0 ? [...config.audiences] : null,
      customJwtCheck: ({ payload }) => checkClaims(payload),
    },
    { jwksCache },
  );
  return (token) => verifier.verify(token);
}

/** `Bearer <jwt>` or a raw JWT, trimmed. */
export function stripBearer(value: string): string {
  const trimmed = value.trim();
  // "Bearer" alone (a client with no token) is no token, not the token "Bearer".
  const match = /^bearer(?:\s+([\s\S]*))?$/i.exec(trimmed);
  return match === null ? trimmed : (match[1] ?? '').trim();
}

/** A short reason with no token content in it. */
function reasonOf(error: unknown): string {
  if (error instanceof JwtExpiredError) return 'token is expired';
  if (error instanceof JwtNotBeforeError) return 'token is not valid yet';
  if (PresenceError.isInstance(error)) return error.message;
  return 'token is invalid';
}
