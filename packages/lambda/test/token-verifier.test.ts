import { httpStatusOf, UnauthorizedError } from '@presence/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTokenVerifier,
  IAT_SKEW_SECONDS,
  parseFunctionConfig,
  stripBearer,
} from '../src/index.js';
import { TestIssuer } from './support/jwks.js';

const ALICE = 'google_117429865182265482928';
const issuer = new TestIssuer();
await issuer.start();
afterAll(() => issuer.stop());

const genericConfig = (audience = issuer.clientId) =>
  parseFunctionConfig('authorizer', {
    AUTH_PROVIDER: 'oidc',
    AUTH_ISSUER: issuer.issuer,
    AUTH_JWKS_URL: issuer.jwksUrl,
    AUTH_AUDIENCE: audience,
    AUTH_USER_ID_CLAIM: 'cognito:username',
  }).identity;

const expectUnauthorized = async (outcome: Promise<unknown>, message?: RegExp) => {
  const error = await outcome.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(UnauthorizedError.isInstance(error)).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
  // The message never quotes the token.
  expect((error as Error).message).not.toMatch(/eyJ/);
};

describe('createTokenVerifier: identity provider outage', () => {
  it('answers 503 (IdentityUnavailableError), not 401, when the JWKS cannot be fetched', async () => {
    // Prepare: a verifier whose JWKS URL points at a closed loopback port
    const verifier = createTokenVerifier(
      parseFunctionConfig('authorizer', {
        AUTH_PROVIDER: 'oidc',
        AUTH_ISSUER: issuer.issuer,
        AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json',
        AUTH_AUDIENCE: issuer.clientId,
        AUTH_USER_ID_CLAIM: 'cognito:username',
      }).identity,
    );
    // Act
    const error = await verifier.verify(issuer.token(ALICE)).catch((e: unknown) => e);
    // Assess
    expect(httpStatusOf(error)).toBe(503);
    expect((error as Error).message).not.toMatch(/eyJ/);
  });
});

describe('createTokenVerifier: generic issuer + JWKS URL', () => {
  const verifier = createTokenVerifier(genericConfig());

  it('accepts a valid ID token and names the user from the configured claim', async () => {
    // Prepare
    const token = issuer.token(ALICE);
    // Act
    const result = await verifier.verify(token);
    // Assess
    expect(result).toEqual({ userId: ALICE });
  });

  it('accepts "Bearer <jwt>" in any case', async () => {
    expect(await verifier.verify(`Bearer ${issuer.token(ALICE)}`)).toEqual({ userId: ALICE });
    expect(await verifier.verify(`bearer   ${issuer.token(ALICE)}`)).toEqual({ userId: ALICE });
  });

  it.each([
    ['missing', () => '', /missing/],
    ['only "Bearer "', () => 'Bearer ', /missing/],
    ['garbage', () => 'garbage.garbage.garbage', /invalid/],
    ['not a JWT at all', () => 'hello', /invalid/],
    ['expired', () => issuer.token(ALICE, { exp: Math.floor(Date.now() / 1000) - 1 }), /expired/],
    [
      'not yet valid',
      () => issuer.token(ALICE, { nbf: Math.floor(Date.now() / 1000) + 3600 }),
      /not valid yet/,
    ],
    [
      'from the wrong issuer',
      () => issuer.token(ALICE, { iss: 'https://evil.example' }),
      /invalid/,
    ],
    ['for the wrong audience', () => issuer.token(ALICE, { aud: 'someone-else' }), /invalid/],
    [
      'an access token (token_use access)',
      () => issuer.token(ALICE, { token_use: 'access' }),
      /token_use/,
    ],
    ['alg none', () => issuer.unsignedToken(ALICE), /invalid/],
    [
      'alg HS256 (key confusion)',
      () => issuer.token(ALICE, {}, { header: { alg: 'HS256' } }),
      /invalid/,
    ],
    [
      'signed by a key not in the JWKS',
      () => issuer.token(ALICE, {}, { key: TestIssuer.foreignKey() }),
      /invalid/,
    ],
    [
      'with a tampered payload',
      () => {
        const [h, , s] = issuer.token(ALICE).split('.');
        const forged = Buffer.from(JSON.stringify(issuer.claims('mallory'))).toString('base64url');
        return `${h}.${forged}.${s}`;
      },
      /invalid/,
    ],
    [
      'without the user id claim',
      () => issuer.token(ALICE, { 'cognito:username': undefined }),
      /cognito:username/,
    ],
    ['whose user id has whitespace', () => issuer.token('alice smith'), /cognito:username/],
    ['without exp (it would never expire)', () => issuer.token(ALICE, { exp: undefined }), /exp/],
    ['with a string exp', () => issuer.token(ALICE, { exp: '9999999999' }), /exp|invalid/],
    [
      'issued in the future (iat beyond the allowed clock skew)',
      () => issuer.token(ALICE, { iat: Math.floor(Date.now() / 1000) + IAT_SKEW_SECONDS + 120 }),
      /future/,
    ],
    ['with a string iat', () => issuer.token(ALICE, { iat: 'yesterday' }), /iat|invalid/],
  ])('refuses a token %s with UnauthorizedError', async (_, token, message) => {
    await expectUnauthorized(verifier.verify(token()), message);
  });

  it('accepts an iat a few seconds ahead (the issuer clock a little fast), and no iat at all', async () => {
    const ahead = issuer.token(ALICE, { iat: Math.floor(Date.now() / 1000) + 5 });
    const without = issuer.token(ALICE, { iat: undefined });
    expect(await verifier.verify(ahead)).toEqual({ userId: ALICE });
    expect(await verifier.verify(without)).toEqual({ userId: ALICE });
  });

  it('refuses a non-string token', async () => {
    await expectUnauthorized(verifier.verify(undefined as unknown as string), /missing/);
  });

  it('skips the audience check when no audience is configured', async () => {
    const any = createTokenVerifier(
      parseFunctionConfig('authorizer', {
        AUTH_PROVIDER: 'oidc',
        AUTH_ISSUER: issuer.issuer,
        AUTH_JWKS_URL: issuer.jwksUrl,
      }).identity,
    );
    const token = issuer.token(ALICE, { aud: 'whatever', sub: 'sub-of-alice' });
    expect(await any.verify(token)).toEqual({ userId: 'sub-of-alice' }); // default claim: sub
  });

  it('fetches the JWKS once per container, shared by every verifier (module scope)', async () => {
    // Prepare
    const fresh = new TestIssuer();
    await fresh.start();
    const config = parseFunctionConfig('authorizer', {
      AUTH_PROVIDER: 'oidc',
      AUTH_ISSUER: fresh.issuer,
      AUTH_JWKS_URL: fresh.jwksUrl,
      AUTH_USER_ID_CLAIM: 'cognito:username',
    }).identity;
    // Act: two "invocations", each with its own verifier, several tokens each
    for (const v of [createTokenVerifier(config), createTokenVerifier(config)]) {
      await v.verify(fresh.token(ALICE));
      await v.verify(fresh.token('bob'));
    }
    // Assess
    expect(fresh.jwksRequests).toBe(1);
    await fresh.stop();
  });
});

describe('createTokenVerifier: Cognito user pool', () => {
  const POOL = 'us-east-1_AbCdEf123';
  const ISS = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
  const cognitoConfig = (clientId?: string) =>
    parseFunctionConfig('authorizer', {
      AUTH_PROVIDER: 'cognito',
      AUTH_COGNITO_USER_POOL_ID: POOL,
      ...(clientId === undefined ? {} : { AUTH_COGNITO_CLIENT_ID: clientId }),
    }).identity;
  const fetched: string[] = [];

  beforeAll(() => {
    // No network in tests: answer the pool's JWKS URL with the test issuer's keys.
    const real = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: string | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.startsWith(ISS)) {
        fetched.push(url);
        return new Response(JSON.stringify(issuer.jwks), { status: 200 });
      }
      return real(input, init);
    });
  });
  afterAll(() => {
    vi.unstubAllGlobals();
  });

  it('accepts a pool ID token for a configured client, user from cognito:username, keys from the pool JWKS', async () => {
    const verifier = createTokenVerifier(cognitoConfig(`other-client,${issuer.clientId}`));
    expect(await verifier.verify(issuer.token(ALICE, { iss: ISS }))).toEqual({ userId: ALICE });
    expect(fetched).toEqual([`${ISS}/.well-known/jwks.json`]);
  });

  it.each([
    [
      'an access token',
      { token_use: 'access', client_id: 'presence-web-client-1a2b3c', aud: undefined },
    ],
    ['another app client', { aud: 'another-client' }],
    ['another pool', { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_ZzZzZz999' }],
    ['an expired token', { exp: Math.floor(Date.now() / 1000) - 10 }],
    ['a token without exp', { exp: undefined }],
    ['a token issued in the future', { iat: Math.floor(Date.now() / 1000) + 3600 }],
  ])('refuses %s', async (_, overrides) => {
    const verifier = createTokenVerifier(cognitoConfig(issuer.clientId));
    await expectUnauthorized(verifier.verify(issuer.token(ALICE, { iss: ISS, ...overrides })));
  });

  it('accepts any app client of the pool when none is configured', async () => {
    const verifier = createTokenVerifier(cognitoConfig());
    expect(await verifier.verify(issuer.token(ALICE, { iss: ISS, aud: 'any-client' }))).toEqual({
      userId: ALICE,
    });
  });
});

describe('stripBearer', () => {
  it.each([
    ['abc.def.ghi', 'abc.def.ghi'],
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer abc', 'abc'],
    ['  BEARER\tabc  ', 'abc'],
    ['Bearer ', ''],
    ['Bearerabc', 'Bearerabc'],
  ])('%j → %j', (input, output) => {
    expect(stripBearer(input)).toBe(output);
  });
});
