import {
  ACTIVITY_TYPES,
  type ActivityEntry,
  type ActivityRecord,
  type ActivityType,
  ActivityUnavailableError,
  isActivityId,
} from '@presence/core';
import { ACTIVITY_ATTRIBUTES as A } from './table.js';

/** An activity item as the document client writes and reads it. */
export type ActivityItem = Record<string, unknown>;

/** The item of one entry, with its TTL (epoch seconds, rounded up: never before the entry expires). */
export function toItem(id: string, record: ActivityRecord, retentionMs: number): ActivityItem {
  const item: ActivityItem = {
    [A.userId]: record.userId,
    [A.entryId]: id,
    [A.at]: record.at,
    [A.type]: record.type,
    [A.expiresAt]: Math.ceil((record.at + retentionMs) / 1000),
  };
  if (record.type === 'update-presence') {
    item[A.url] = record.page.url;
    item[A.title] = record.page.title;
    item[A.domain] = record.page.domain;
  }
  return item;
}

function corrupt(field: string): ActivityUnavailableError {
  return new ActivityUnavailableError(`activity table holds an item with a malformed ${field}`);
}

/**
 * The entry an item holds.
 * @throws ActivityUnavailableError for an item this adapter did not write (a malformed attribute)
 */
export function toEntry(item: ActivityItem): ActivityEntry {
  const id = item[A.entryId];
  const at = item[A.at];
  const type = item[A.type];
  if (!isActivityId(id)) throw corrupt(A.entryId);
  if (typeof at !== 'number' || !Number.isSafeInteger(at)) throw corrupt(A.at);
  if (!ACTIVITY_TYPES.includes(type as ActivityType)) throw corrupt(A.type);
  if (type !== 'update-presence') return { id, at, type: type as 'online' | 'offline' };
  const url = item[A.url];
  const title = item[A.title] ?? '';
  const domain = item[A.domain] ?? '';
  if (typeof url !== 'string' || typeof title !== 'string' || typeof domain !== 'string') {
    throw corrupt('page');
  }
  return { id, at, type, page: { url, title, domain } };
}
