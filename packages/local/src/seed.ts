import { readFile } from 'node:fs/promises';
import { ConfigError, type FriendGraphSeed } from '@presence/core';

/** The package's `demo/` directory (static page and seed), beside `src/` and `dist/`. */
export const DEMO_DIR = new URL('../demo/', import.meta.url);

/**
 * Reads a {@link FriendGraphSeed} from a JSON file (`{ users: [...], friendships: [...] }`).
 * @throws ConfigError when the file is missing, not JSON or not seed-shaped
 */
export async function loadSeed(file: string | URL): Promise<FriendGraphSeed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`seed file ${String(file)} cannot be read`, { cause });
  }
  let seed: unknown;
  try {
    seed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`seed file ${String(file)} is not valid JSON`, { cause });
  }
  const shaped = seed as Partial<FriendGraphSeed> | null;
  if (!Array.isArray(shaped?.users) || !Array.isArray(shaped?.friendships)) {
    throw new ConfigError(`seed file ${String(file)} must have "users" and "friendships" arrays`);
  }
  return shaped as FriendGraphSeed;
}

/**
 * The demo friend graph: a dozen users, accepted friendships (one row in both directions),
 * pending requests, and sharing settings of both modes. See `demo/seed.json`.
 */
export function demoSeed(): Promise<FriendGraphSeed> {
  return loadSeed(new URL('seed.json', DEMO_DIR));
}
