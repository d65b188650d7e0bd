/** Int32 slots of the stand-in's SharedArrayBuffer: three request counters and the latency in µs. */
export const SLOT = { post: 0, delete: 1, other: 2, latencyUs: 3 } as const;

/** Number of Int32 slots in {@link SLOT}. */
export const SLOT_COUNT = 4;

/** `workerData` of the stand-in's worker thread. */
export interface StandInWorkerData {
  /** `Int32Array` view of {@link SLOT_COUNT} slots, shared with the main thread. */
  readonly shared: SharedArrayBuffer;
}

/** Messages between the main thread and the stand-in's worker. */
export type WorkerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'close' }
  | { readonly type: 'closed' };
