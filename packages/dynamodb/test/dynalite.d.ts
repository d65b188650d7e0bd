declare module 'dynalite' {
  import type { Server } from 'node:http';

  /** Options of a dynalite server (see its readme). */
  interface DynaliteOptions {
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    path?: string;
  }

  /** An in-memory DynamoDB implementation on LevelDB: an http.Server to `listen()` on. */
  export default function dynalite(options?: DynaliteOptions): Server;
}
