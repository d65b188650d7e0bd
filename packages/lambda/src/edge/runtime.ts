import {
  type Clock,
  ConfigError,
  type ConnectionNotifier,
  type ConnectResult,
  type DisconnectResult,
  type FrameOutcome,
  type Logger,
  type PresenceService,
  type SweepReport,
} from '@presence/core';
import type { Context } from 'aws-lambda';

/** Verifies a bearer token (raw or `Bearer <jwt>`) and names its user. */
export interface TokenVerifier {
  /**
   * @throws UnauthorizedError for any token that is missing, malformed, expired or foreign
   * @throws IdentityUnavailableError when the issuer's keys cannot be fetched (a 503)
   */
  verify(token: string): Promise<{ userId: string }>;
}

/** Something an invocation did that the metrics count (see `compose/metrics.ts`). */
export type InvocationEvent =
  /** How it ended: the status answered (or 500 for a failed invocation) and the error code. */
  | { readonly kind: 'outcome'; readonly status: number; readonly code?: string }
  /** A sweep run's report. */
  | { readonly kind: 'sweep'; readonly report: SweepReport }
  /** A `$connect`'s result (evictions, activity failures). */
  | { readonly kind: 'connect'; readonly result: ConnectResult }
  /** A client frame's outcome (rate-limited frames, evictions, activity failures). */
  | { readonly kind: 'frame'; readonly outcome: FrameOutcome }
  /** A `$disconnect`'s result (a deferred announcement, activity failures). */
  | { readonly kind: 'disconnect'; readonly result: DisconnectResult };

/**
 * Watches invocations for logs, metrics and traces. The handlers call it; the composition root
 * implements it (Powertools in Lambda, nothing in tests).
 */
export interface InvocationObserver {
  /**
   * Runs one invocation of `op`: the logger gets the Lambda context (request id, cold start), a
   * trace subsegment wraps it, and what it did is published as metrics when it ends.
   */
  run<T>(op: string, context: Context | undefined, body: () => Promise<T>): Promise<T>;
  /** Records what the current invocation did. */
  record(event: InvocationEvent): void;
}

/** An observer that watches nothing. */
export const UNOBSERVED: InvocationObserver = Object.freeze({
  run: <T>(_op: string, _context: Context | undefined, body: () => Promise<T>) => body(),
  record() {},
});

/** What the REST handlers need to know about callers and browsers. */
export interface RestSettings {
  /** Origins echoed in `Access-Control-Allow-Origin`; `*` allows any. */
  readonly allowedOrigins: readonly string[];
  /** The claim holding the user id, in a gateway authorizer's claims. */
  readonly userIdClaim: string;
}

/** Everything the handlers need, built once per container by the composition root. */
export interface PresenceRuntime {
  /** The presence service over the function's ports. @default - none: the authorizer verifies tokens only */
  readonly service?: PresenceService;
  /** Verifies tokens (the `$connect` authorizer and the REST fallback). */
  readonly verifier: TokenVerifier;
  /** Structured logger. */
  readonly logger: Logger;
  /** Logs, metrics and traces of each invocation. @default - none */
  readonly observer?: InvocationObserver;
  /** CORS and the user id claim of the REST handlers. */
  readonly rest: RestSettings;
  /** Sends error frames back to a connection. @default - none: rejected frames are only logged */
  readonly notifier?: ConnectionNotifier;
  /** The service's clock; the timeout handler computes its deadline with it. @default - the system clock */
  readonly clock?: Clock;
  /** Closes the clients this runtime built. */
  close(): Promise<void>;
}

/** A runtime, or a function building it once on first invocation (so a bad config fails that invocation). */
export type RuntimeSource = PresenceRuntime | (() => Promise<PresenceRuntime>);

/** Resolves a {@link RuntimeSource} once; a failed build (bad config) fails that invocation and is retried on the next. */
export function resolver(source: RuntimeSource): () => Promise<PresenceRuntime> {
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let pending: Promise<PresenceRuntime> | undefined;
  return () => {
    if (pending === undefined) {
      pending = source();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}

/** The runtime's presence service; a function built without one (the authorizer) cannot serve presence. */
export function serviceOf(runtime: PresenceRuntime): PresenceService {
  if (runtime.service === undefined) {
    throw new ConfigError(
      'this function has no presence service: the event was routed to the wrong function',
    );
  }
  return runtime.service;
}
