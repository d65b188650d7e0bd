import type { ActivityLog } from '../activity-log.js';
import type { Clock } from '../ports.js';

/** What the suite gives the factory: the log must measure retention with exactly these. */
export interface ActivityLogSetup {
  /** The test's driven clock: pass it to the log as its retention clock. */
  readonly clock: Clock;
  /** The retention period to configure, in milliseconds. */
  readonly retentionMs: number;
}

/** A log made for one test, with what to run after it. */
export interface ActivityLogHandle {
  readonly log: ActivityLog;
  /** Runs after the test (delete the table, destroy the client). Without it the suite calls `log.close?.()`. */
  readonly cleanup?: () => Promise<void>;
}

/** Makes a fresh, empty log; called before every test and every property run. */
export type ActivityLogFactory = (
  setup: ActivityLogSetup,
) => Promise<ActivityLog | ActivityLogHandle>;

/** An opened log and the function that disposes of it. */
export interface OpenedActivityLog {
  readonly log: ActivityLog;
  readonly dispose: () => Promise<void>;
}

/** Calls the factory and normalises what it returns. */
export async function openActivityLog(
  makeLog: ActivityLogFactory,
  setup: ActivityLogSetup,
): Promise<OpenedActivityLog> {
  const made = await makeLog(setup);
  if (typeof (made as ActivityLog).append === 'function') {
    const log = made as ActivityLog;
    return { log, dispose: async () => log.close?.() };
  }
  const { log, cleanup } = made as ActivityLogHandle;
  return { log, dispose: cleanup ?? (async () => log.close?.()) };
}
