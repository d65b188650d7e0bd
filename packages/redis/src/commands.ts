import {
  InvalidInputError,
  PresenceError,
  type PresenceLimits,
  StoreUnavailableError,
} from '@presence/core';
import type { Cluster, Redis } from 'ioredis';
import { DELETE_IF_EQUAL_LUA, DETACH_LUA, RECORD_LUA, REMOVE_LUA } from './scripts/detach.js';
import { MARK_LUA, MARK_RECONCILED_LUA } from './scripts/markers.js';
import { ACK_LUA, CLAIM_LUA } from './scripts/outbox.js';
import { LIVE_CONNECTIONS_LUA } from './scripts/reads.js';
import { SWEEP_LUA } from './scripts/sweep.js';
import { UPSERT_LUA } from './scripts/upsert.js';

/** An ioredis client of either kind. */
export type Client = Redis | Cluster;
type Reply = unknown;
type Args = (string | number)[];

/** The store's Lua scripts as client commands (registered by {@link defineScripts}). */
export interface ScriptCommands {
  presenceUpsertV3Cluster(...args: Args): Promise<Reply>;
  presenceUpsertV3Single(...args: Args): Promise<Reply>;
  presenceRemoveV2(...args: Args): Promise<Reply>;
  presenceDetachV2(...args: Args): Promise<Reply>;
  presenceDeleteIfEqualV1(...args: Args): Promise<Reply>;
  presenceRecordV1(...args: Args): Promise<Reply>;
  presenceSweepV2(...args: Args): Promise<Reply>;
  presenceLiveConnectionsV2(...args: Args): Promise<Reply>;
  presenceClaimV1(...args: Args): Promise<Reply>;
  presenceAckV1(...args: Args): Promise<Reply>;
  presenceMarkV1(...args: Args): Promise<Reply>;
  presenceMarkReconciledV1(...args: Args): Promise<Reply>;
}

/** A client with the store's scripts. */
export type ScriptClient = Client & ScriptCommands;

const defined = new WeakSet<object>();

/** Registers the scripts on a client once (ioredis sends EVALSHA and reloads on NOSCRIPT). */
export function defineScripts(client: Client): ScriptClient {
  if (!defined.has(client)) {
    const define = (name: keyof ScriptCommands, lua: string, numberOfKeys?: number) =>
      client.defineCommand(name, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
    define('presenceUpsertV3Cluster', UPSERT_LUA, 2);
    define('presenceUpsertV3Single', UPSERT_LUA, 3);
    define('presenceRemoveV2', REMOVE_LUA, 1);
    define('presenceDetachV2', DETACH_LUA, 2);
    define('presenceDeleteIfEqualV1', DELETE_IF_EQUAL_LUA, 1);
    define('presenceRecordV1', RECORD_LUA, 1);
    define('presenceSweepV2', SWEEP_LUA, 1);
    // Variable key count: the first argument is the number of keys.
    define('presenceLiveConnectionsV2', LIVE_CONNECTIONS_LUA);
    define('presenceClaimV1', CLAIM_LUA, 2);
    define('presenceAckV1', ACK_LUA, 2);
    define('presenceMarkV1', MARK_LUA, 1);
    define('presenceMarkReconciledV1', MARK_RECONCILED_LUA, 1);
    defined.add(client);
  }
  return client as ScriptClient;
}

/** A driver error as a {@link StoreUnavailableError} (presence errors pass through). */
export function unavailable(operation: string, error: unknown): PresenceError {
  if (PresenceError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreUnavailableError(`Redis ${operation} failed: ${reason}`, { cause: error });
}

/** @throws InvalidInputError unless `value` is a finite number */
export function assertTime(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidInputError(`${field} must be a finite number of milliseconds`);
  }
  return value;
}

/** @throws InvalidInputError unless `value` is a positive integer */
export function assertLimit(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new InvalidInputError(`${what} must be a positive integer, got ${value}`);
  }
  return value as number;
}

/**
 * The store needs only a non-empty string of bounded length: ids are written after the first space
 * of a member or record, or after the `}` of a key, so any character is safe. (Core's stricter
 * `assertUserId` is the service's business; the conformance suite uses ids with spaces.)
 */
export function checkUserId(value: unknown, limits: PresenceLimits): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidInputError('userId must be a non-empty string');
  }
  if (value.length > limits.maxUserIdLength) {
    throw new InvalidInputError(`userId is longer than ${limits.maxUserIdLength} characters`);
  }
  return value;
}

/** True when `check` does not throw. */
export function isValid(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}
