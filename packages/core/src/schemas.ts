import { z } from 'zod';
import { InvalidFrameError } from './errors.js';
import { DEFAULT_LIMITS, type PresenceLimits } from './limits.js';

/** `{"action":"heartbeat"}`: sent by the extension every 60 s while the socket is open. */
export const heartbeatFrameSchema = z.object({ action: z.literal('heartbeat') });

/** `{"action":"update-presence","url","title"}`: page load, tab switch, window focus. */
export const updatePresenceFrameSchema = z.object({
  action: z.literal('update-presence'),
  url: z.string(),
  title: z.string(),
});

/** Every frame a client may send, told apart by `action`. Unknown keys are ignored. */
export const clientFrameSchema = z.discriminatedUnion('action', [
  heartbeatFrameSchema,
  updatePresenceFrameSchema,
]);

/** A frame a client sends. */
export type ClientFrame = z.infer<typeof clientFrameSchema>;
/** The client's heartbeat frame. */
export type HeartbeatFrame = z.infer<typeof heartbeatFrameSchema>;
/** The client's update-presence frame. */
export type UpdatePresenceFrame = z.infer<typeof updatePresenceFrameSchema>;

/** The actions clients send, which are also the WebSocket route keys. */
export const CLIENT_ACTIONS = ['heartbeat', 'update-presence'] as const;

/** Server → client: a user's page changed. Sent to online friends and the user's own connections. */
export const updatePresenceServerFrameSchema = z.object({
  type: z.literal('update-presence'),
  userId: z.string(),
  url: z.string(),
  title: z.string(),
  domain: z.string(),
  latestUrl: z.string(),
  latestTitle: z.string(),
  latestDomain: z.string(),
});

/**
 * When a user was last active, as the wire carries it (`GET /presence`, `presence-timeout`): an ISO
 * 8601 UTC time (`2024-05-01T10:05:00.000Z`) rounded DOWN to the service's `lastSeenGranularityMs`
 * (default 5 minutes, so exact activity cannot be inferred), or `null` when unknown, past the store's
 * last-seen retention, or last seen is off. An addition to PROTOCOL.md: deployed clients ignore it.
 */
export const lastSeenAtSchema = z.iso.datetime().nullable();

/**
 * Server → client: a friend went offline. `lastSeenAt` (an addition: deployed clients ignore unknown
 * fields) is the friend's last activity, the same value `GET /presence` then shows; the service
 * always sends it, `null` when unknown or off, and when the recipient is no longer a friend. Optional
 * in the schema so that frames of earlier servers still parse.
 */
export const presenceTimeoutFrameSchema = z.object({
  type: z.literal('presence-timeout'),
  userId: z.string(),
  lastSeenAt: lastSeenAtSchema.optional(),
});

/** Server → client: a frame was refused. `code` is a {@link PresenceErrorCode}. */
export const errorFrameSchema = z.object({
  type: z.literal('error'),
  code: z.string(),
  message: z.string(),
});

/** Every frame the server sends. */
export const serverFrameSchema = z.discriminatedUnion('type', [
  updatePresenceServerFrameSchema,
  presenceTimeoutFrameSchema,
  errorFrameSchema,
]);

/** Server frame telling that a user's page changed. */
export type UpdatePresenceServerFrame = z.infer<typeof updatePresenceServerFrameSchema>;
/** Server frame telling that a user went offline. */
export type PresenceTimeoutFrame = z.infer<typeof presenceTimeoutFrameSchema>;
/** Server frame refusing a client frame. */
export type ErrorFrame = z.infer<typeof errorFrameSchema>;
/** A frame the server sends. */
export type ServerFrame = z.infer<typeof serverFrameSchema>;

/** `{url,title,domain}` in REST bodies. */
export const pageViewSchema = z.object({ url: z.string(), title: z.string(), domain: z.string() });

/**
 * One user's presence in `GET /presence`. `page: null` means offline. Pages are shown as their
 * owner's CURRENT sharing rule allows: a page it no longer shares is `{url:"",title:"",domain:""}`
 * (hidden), and a latest page it no longer shares is all `""`, as if never shared.
 *
 * `lastSeenAt` (an addition to PROTOCOL.md; deployed clients ignore it): present on every OFFLINE
 * user, friends and caller alike (see {@link lastSeenAtSchema}: a rounded ISO 8601 time or `null`),
 * and absent on online users, whose last activity is "now" (so the body of online friends is what
 * it was before the addition).
 */
export const presenceSchema = z.object({
  userId: z.string(),
  page: pageViewSchema.nullable(),
  latestPage: pageViewSchema.nullable(),
  lastSeenAt: lastSeenAtSchema.optional(),
});

/** Profile entry of `userInfoMap`, snake_case as the user service names it. */
export const userInfoSchema = z.object({
  user_id: z.string(),
  first_name: z.string(),
  last_name: z.string(),
  profile_image_extension: z.string().nullable(),
});

/** Body of `GET /presence`. */
export const getPresenceResponseSchema = z.object({
  userPresence: presenceSchema,
  presenceArr: z.array(presenceSchema),
  userInfoMap: z.record(z.string(), userInfoSchema),
});

/** Body of `GET /presence/{userId}` when the user is online (offline: empty body). */
export const userPageResponseSchema = z.object({ url: z.string(), title: z.string() });

/** One user's presence in `GET /presence`. */
export type Presence = z.infer<typeof presenceSchema>;
/** A profile as `userInfoMap` carries it. */
export type UserInfo = z.infer<typeof userInfoSchema>;
/** Body of `GET /presence`. */
export type GetPresenceResponse = z.infer<typeof getPresenceResponseSchema>;

/**
 * Parses a raw WebSocket text frame into a client frame.
 * @throws InvalidFrameError when the frame is too large, not JSON, has an unknown action or lacks a field
 */
export function parseClientFrame(
  raw: string,
  limits: PresenceLimits = DEFAULT_LIMITS,
): ClientFrame {
  if (Buffer.byteLength(raw, 'utf8') > limits.maxFrameBytes) {
    throw new InvalidFrameError(`frame is larger than ${limits.maxFrameBytes} bytes`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new InvalidFrameError('frame is not valid JSON', { cause });
  }
  const action = (json as { action?: unknown } | null)?.action;
  if (typeof action !== 'string' || !(CLIENT_ACTIONS as readonly string[]).includes(action)) {
    throw new InvalidFrameError(
      `frame action must be one of ${CLIENT_ACTIONS.map((a) => `"${a}"`).join(', ')}`,
    );
  }
  const parsed = clientFrameSchema.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(frame)');
    throw new InvalidFrameError(
      `"${action}" frame has missing or invalid fields: ${fields.join(', ')}`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

/** The JSON error frame a refused client frame is answered with. */
export function errorFrame(code: string, message: string): ErrorFrame {
  return { type: 'error', code, message };
}
