import { type ConnectionRef, HIDDEN_PAGE, type Page } from '../model.js';

/** The fixed users of the model-based check. */
export const USERS = ['m-alice', 'm-"bob"', 'm-{carol}'] as const;
/** Each connection belongs to one user for the whole run, as API Gateway ids do. */
export const CONNECTIONS: readonly ConnectionRef[] = [
  { userId: 'm-alice', connectionId: 'mA0=' },
  { userId: 'm-alice', connectionId: 'mA1=' },
  { userId: 'm-alice', connectionId: 'mA2=' },
  { userId: 'm-"bob"', connectionId: 'mB0=' },
  { userId: 'm-"bob"', connectionId: 'mB1=' },
  { userId: 'm-{carol}', connectionId: 'mC0=' },
];

/** The user a model connection id belongs to. */
export function userOf(connectionId: string): string {
  return (CONNECTIONS.find((c) => c.connectionId === connectionId) as ConnectionRef).userId;
}

/** A pending outbox entry of the model. */
export interface ModelEntry {
  readonly lastActivity: number;
  readonly recordedAt: number;
  due: number;
  /** The store's claim token, learnt from the store's answer. */
  claim: string;
}

/** What the model expects a removal to report. */
export interface ModelRemoval {
  readonly userId: string;
  readonly userOffline: boolean;
  readonly lastActivity?: number;
}

/** The reference: the PresenceStore and OfflineOutbox contracts in plain maps. */
export class Model {
  readonly lastSeen = new Map<string, number>();
  readonly users = new Map<
    string,
    { page: Page; latestPage: Page | null; lastActivity: number; fingerprint?: string }
  >();
  readonly outbox = new Map<string, ModelEntry>();
  /** Last activity of users who went offline (the retention never elapses in a run). */
  readonly lastSeenOf = new Map<string, number>();

  constructor(readonly leaseMs: number) {}

  /**
   * Registers or refreshes; returns whether it was known, whether the user came online and what
   * the cap evicted. A new connection forgets the user's frame fingerprint.
   */
  upsert(
    ref: ConnectionRef,
    now: number,
    cap: number | undefined,
  ): { known: boolean; cameOnline: boolean; evicted: string[] } {
    const known = this.lastSeen.has(ref.connectionId);
    this.lastSeen.set(ref.connectionId, now);
    const user = this.users.get(ref.userId);
    const cameOnline = user === undefined;
    if (user === undefined) {
      this.users.set(ref.userId, { page: HIDDEN_PAGE, latestPage: null, lastActivity: now });
      this.outbox.delete(ref.userId);
      this.lastSeenOf.delete(ref.userId);
    } else {
      user.lastActivity = Math.max(user.lastActivity, now);
      if (!known) delete user.fingerprint;
    }
    if (known || cap === undefined) return { known, cameOnline, evicted: [] };
    const others = this.connectionsOf(ref.userId).filter((id) => id !== ref.connectionId);
    const excess = others.length + 1 - cap;
    if (excess <= 0) return { known, cameOnline, evicted: [] };
    const evicted = others
      .sort(
        (a, b) =>
          (this.lastSeen.get(a) as number) - (this.lastSeen.get(b) as number) ||
          (a < b ? -1 : a > b ? 1 : 0),
      )
      .slice(0, excess);
    for (const id of evicted) this.lastSeen.delete(id);
    return { known, cameOnline, evicted };
  }

  /** Removes a connection; records the outbox entry (without its claim yet) when the user goes offline. */
  remove(
    connectionId: string,
    now: number,
    activity: number | undefined,
  ): ModelRemoval | undefined {
    if (!this.lastSeen.delete(connectionId)) return undefined;
    const userId = userOf(connectionId);
    const user = this.users.get(userId);
    if (user !== undefined && activity !== undefined) {
      user.lastActivity = Math.max(user.lastActivity, activity);
    }
    if (this.connectionsOf(userId).length > 0) return { userId, userOffline: false };
    this.users.delete(userId);
    const lastActivity = user?.lastActivity ?? now;
    this.outbox.set(userId, { lastActivity, recordedAt: now, due: now + this.leaseMs, claim: '' });
    this.lastSeenOf.set(userId, lastActivity);
    return { userId, userOffline: true, lastActivity };
  }

  connectionsOf(userId: string): string[] {
    return CONNECTIONS.filter((c) => c.userId === userId && this.lastSeen.has(c.connectionId)).map(
      (c) => c.connectionId,
    );
  }

  /** Users whose entry is claimable at `now`. */
  claimable(now: number): string[] {
    return [...this.outbox].filter(([, entry]) => entry.due <= now).map(([userId]) => userId);
  }
}
