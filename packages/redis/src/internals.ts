import { randomBytes } from 'node:crypto';
import type { ScriptClient } from './commands.js';
import type { RedisKeyLayout } from './key-layout.js';
import type { NodePipelines } from './per-node.js';

/** The durations a store was configured with, in ms. */
export interface StoreDurations {
  readonly ttlMs: number;
  readonly outboxLeaseMs: number;
  readonly outboxTtlMs: number;
  readonly lastSeenRetentionMs: number;
}

/** What the store's modules (writes, sweep, outbox, markers) share. */
export interface StoreInternals {
  readonly keys: RedisKeyLayout;
  readonly pipelines: NodePipelines;
  readonly durations: StoreDurations;
  /** The client with the scripts (created lazily when the store owns it). */
  client(): ScriptClient;
  /** True on a Redis Cluster: connection records live in other slots than users. */
  isCluster(): boolean;
  /** A fresh claim token: unique per call (process-random prefix and a counter). */
  nextClaim(): string;
}

/** The scripts' offline configuration as one argument: `"<now> <lease> <outboxTtl> <retention> <claim>"`. */
export function offlineArg(internals: StoreInternals, now: number): string {
  const { outboxLeaseMs, outboxTtlMs, lastSeenRetentionMs } = internals.durations;
  return `${now} ${outboxLeaseMs} ${outboxTtlMs} ${lastSeenRetentionMs} ${internals.nextClaim()}`;
}

/** A claim token generator: `<8 hex chars of this process><counter in base 36>`. */
export function claimTokens(): () => string {
  const prefix = randomBytes(4).toString('hex');
  let counter = 0;
  return () => {
    counter += 1;
    return `${prefix}${counter.toString(36)}`;
  };
}
