import { InvalidInputError, PresenceError } from '@presence/core';
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { invoke } from './invocation.js';
import { type RuntimeSource, serviceOf } from './runtime.js';

/** `detail-type` of a friendship accepted or removed in the user service: `detail` is `{ userA, userB }`. */
export const FRIENDSHIP_CHANGED = 'FriendshipChanged';
/** `detail-type` of a user's sharing settings changed (or the user created or deleted): `detail` is `{ userId }`. */
export const SHARING_SETTINGS_CHANGED = 'SharingSettingsChanged';
/** The two `detail-type`s the graph-changed function takes. */
export const GRAPH_CHANGE_DETAIL_TYPES = [FRIENDSHIP_CHANGED, SHARING_SETTINGS_CHANGED] as const;

/** One change of the friend graph, as the user service announces it. */
export type GraphChange =
  | { readonly kind: 'friendship'; readonly userA: string; readonly userB: string }
  | { readonly kind: 'sharing-settings'; readonly userId: string };

/** An EventBridge event of the user service (`source` is the deployer's; only the detail counts). */
export type GraphChangeEvent = EventBridgeEvent<string, unknown>;

/** What the graph-changed handler did with one event. */
export interface GraphChangeResult {
  /** `applied`: the service was told; `dropped`: the event was malformed (logged at warn, not retried). */
  readonly outcome: 'applied' | 'dropped';
  /** The change's kind, when the event was one. */
  readonly kind?: GraphChange['kind'];
}

/** The handler of the user service's friend-graph changes. */
export type GraphChangedHandler = (event: GraphChangeEvent) => Promise<GraphChangeResult>;

/** The event is not a friend-graph change presence understands. Never retried: it would fail again. */
export class InvalidGraphChangeError extends InvalidInputError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidGraphChangeError';
  }
}

const userId = z.string({ error: 'must be a string' }).min(1, 'must be a non-empty string');
const friendshipDetail = z.object({ userA: userId, userB: userId });
const sharingDetail = z.object({ userId });

/** Describes a zod failure by paths and messages only: the values (user ids) stay out of logs. */
function reasonOf(error: z.ZodError): string {
  return error.issues
    .map((issue) => `detail.${issue.path.map(String).join('.') || '(root)'} ${issue.message}`)
    .join('; ');
}

/**
 * Reads one EventBridge event of the user service.
 * @throws InvalidGraphChangeError for an unknown `detail-type` or a `detail` without its user ids
 * (the message names fields, never their values)
 * @example
 * parseGraphChangeEvent({ 'detail-type': 'FriendshipChanged', detail: { userA: 'a', userB: 'b' }, ... });
 * // { kind: 'friendship', userA: 'a', userB: 'b' }
 */
export function parseGraphChangeEvent(event: unknown): GraphChange {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidGraphChangeError('the event is not an object');
  }
  const { 'detail-type': detailType, detail } = event as Record<string, unknown>;
  if (detailType === FRIENDSHIP_CHANGED) {
    const parsed = friendshipDetail.safeParse(detail);
    if (!parsed.success) throw new InvalidGraphChangeError(reasonOf(parsed.error));
    if (parsed.data.userA === parsed.data.userB) {
      throw new InvalidGraphChangeError('detail.userA and detail.userB are the same user');
    }
    return { kind: 'friendship', userA: parsed.data.userA, userB: parsed.data.userB };
  }
  if (detailType === SHARING_SETTINGS_CHANGED) {
    const parsed = sharingDetail.safeParse(detail);
    if (!parsed.success) throw new InvalidGraphChangeError(reasonOf(parsed.error));
    return { kind: 'sharing-settings', userId: parsed.data.userId };
  }
  throw new InvalidGraphChangeError(
    `detail-type must be ${GRAPH_CHANGE_DETAIL_TYPES.join(' or ')}`,
  );
}

/**
 * EventBridge (the user service's bus): a friendship created or removed, or a user's sharing
 * settings changed. Tells the presence service (`friendshipChanged` / `sharingSettingsChanged`),
 * which forgets the friend cache's entries of those users and tells the connections concerned.
 *
 * - A malformed event, or one the service refuses as input (an id over the length limit), is
 *   logged at `warn` (field names and error code, never ids) and dropped: the invocation succeeds,
 *   so it is not retried forever.
 * - A backend that is unavailable (Redis, PostgreSQL, `@connections`) fails the invocation: the
 *   rule's retry policy tries again, and the dead-letter queue keeps what still fails. Both calls
 *   are idempotent, so a retry is safe.
 */
export function createGraphChangedHandler(source: RuntimeSource): GraphChangedHandler {
  return invoke<GraphChangeEvent, GraphChangeResult>(
    source,
    'graph-changed',
    async (runtime, event) => {
      let change: GraphChange;
      try {
        change = parseGraphChangeEvent(event);
        const service = serviceOf(runtime);
        if (change.kind === 'friendship') {
          await service.friendshipChanged(change.userA, change.userB);
        } else {
          await service.sharingSettingsChanged(change.userId);
        }
      } catch (error) {
        if (!PresenceError.isInstance(error) || error.code !== 'invalid_input') throw error;
        runtime.logger.warn(
          { op: 'graph-changed', code: error.code, reason: error.message },
          'graph change event dropped',
        );
        return { result: { outcome: 'dropped' }, step: { status: 400, fields: { dropped: 1 } } };
      }
      return {
        result: { outcome: 'applied', kind: change.kind },
        step: { fields: { kind: change.kind } },
      };
    },
    async (_runtime, error) => {
      throw error;
    },
  );
}
