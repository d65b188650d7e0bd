import type { aws_cognito as cognito } from 'aws-cdk-lib';
import type { GroupEnv } from '../config/index.js';

/** Options of {@link PresenceIdentity.cognito}. */
export interface CognitoIdentityOptions {
  /**
   * Claim that holds the user id (`AUTH_USER_ID_CLAIM`).
   * @default 'cognito:username'
   */
  readonly userIdClaim?: string;
}

/** Options of {@link PresenceIdentity.oidc}. */
export interface OidcIdentityOptions {
  /** Expected `iss` of the tokens (`AUTH_ISSUER`). */
  readonly issuerUrl: string;
  /** Where the issuer publishes its signing keys (`AUTH_JWKS_URL`), https. */
  readonly jwksUrl: string;
  /**
   * Accepted `aud` values (`AUTH_AUDIENCE`).
   * @default - the audience is not checked
   */
  readonly audiences?: string[];
  /**
   * Claim that holds the user id (`AUTH_USER_ID_CLAIM`).
   * @default 'sub'
   */
  readonly userIdClaim?: string;
}

/**
 * Who issues the tokens the API accepts: a Cognito user pool, or any OIDC issuer. One or the
 * other, never both: the choice is the factory you call.
 * @example PresenceIdentity.cognito(userPool, [webClient])
 * @example PresenceIdentity.oidc({ issuerUrl: 'https://id.example.com', jwksUrl: 'https://id.example.com/jwks.json' })
 */
export abstract class PresenceIdentity {
  /**
   * Cognito ID tokens of `userPool` (`token_use` `id`); `clients` are the accepted `aud` values.
   * @param clients app clients whose tokens are accepted; none accepts any client of the pool
   */
  static cognito(
    userPool: cognito.IUserPool,
    clients: cognito.IUserPoolClient[] = [],
    options: CognitoIdentityOptions = {},
  ): PresenceIdentity {
    return new CognitoIdentity(userPool, clients, options);
  }

  /** ID tokens of any OIDC issuer, verified against its JWKS. */
  static oidc(options: OidcIdentityOptions): PresenceIdentity {
    return new OidcIdentity(options);
  }

  /** The `identity` variables of the functions that verify tokens. */
  abstract readonly env: GroupEnv<'identity'>;
  /** The user pool, for a gateway Cognito or JWT authorizer. @default - none (OIDC) */
  abstract readonly userPool: cognito.IUserPool | undefined;
  /** The accepted audiences of a gateway JWT authorizer. */
  abstract readonly audiences: string[];
  /** The issuer of a gateway JWT authorizer (`https://cognito-idp.<region>.amazonaws.com/<poolId>`). */
  abstract issuerFor(region: string): string;
}

class CognitoIdentity extends PresenceIdentity {
  readonly env: GroupEnv<'identity'>;
  readonly audiences: string[];
  constructor(
    readonly userPool: cognito.IUserPool,
    clients: cognito.IUserPoolClient[],
    options: CognitoIdentityOptions,
  ) {
    super();
    this.audiences = clients.map((client) => client.userPoolClientId);
    this.env = {
      AUTH_PROVIDER: 'cognito',
      AUTH_COGNITO_USER_POOL_ID: userPool.userPoolId,
      ...(clients.length === 0 ? {} : { AUTH_COGNITO_CLIENT_ID: this.audiences.join(',') }),
      ...(options.userIdClaim === undefined ? {} : { AUTH_USER_ID_CLAIM: options.userIdClaim }),
    };
  }

  issuerFor(region: string): string {
    return `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}

class OidcIdentity extends PresenceIdentity {
  readonly env: GroupEnv<'identity'>;
  readonly userPool = undefined;
  readonly audiences: string[];
  readonly #issuer: string;
  constructor(options: OidcIdentityOptions) {
    super();
    this.#issuer = options.issuerUrl;
    this.audiences = options.audiences ?? [];
    this.env = {
      AUTH_PROVIDER: 'oidc',
      AUTH_ISSUER: options.issuerUrl,
      AUTH_JWKS_URL: options.jwksUrl,
      ...(this.audiences.length === 0 ? {} : { AUTH_AUDIENCE: this.audiences.join(',') }),
      ...(options.userIdClaim === undefined ? {} : { AUTH_USER_ID_CLAIM: options.userIdClaim }),
    };
  }

  issuerFor(): string {
    return this.#issuer;
  }
}
