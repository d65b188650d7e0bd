import { q, quoteIdentifier, resolveNames, type TableNameOptions } from './names.js';

/** Default channel of {@link changeTriggersSql} and `listenForGraphChanges`. */
export const DEFAULT_CHANGE_CHANNEL = 'presence_friend_graph';

/** Options of {@link changeTriggersSql}: where the tables are, and the channel to notify on. */
export interface ChangeTriggerOptions extends TableNameOptions {
  /** `NOTIFY` channel (an identifier, case-sensitive). @default 'presence_friend_graph' */
  readonly channel?: string;
}

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/**
 * The SQL (idempotent, PostgreSQL 11+) that makes the user service's database announce every change
 * a friend cache must forget, on one `NOTIFY` channel, with a JSON array of user ids as payload:
 * - `friendship_table`: a row inserted, updated (ids or `accepted_at`) or deleted while accepted
 *   before or after → `["<user_id1>","<user_id2>"]` (pending requests are never cached: silent);
 * - `user_table`: a row inserted, deleted, or its sharing columns updated → `["<user_id>"]`.
 *
 * Notifications are sent at commit, in commit order, and only if the transaction commits. Run it
 * once as the tables' owner (the presence role only reads). Two functions
 * (`presence_notify_friendship_change`, `presence_notify_sharing_change`, in the tables' schema)
 * and two triggers (`presence_friendship_changed`, `presence_sharing_changed`).
 * @throws ConfigError for a malformed channel or name
 */
export function changeTriggersSql(options: ChangeTriggerOptions = {}): string {
  const names = resolveNames(options);
  const channel = options.channel ?? DEFAULT_CHANGE_CHANNEL;
  quoteIdentifier(channel, 'channel');
  const schema = names.schema === undefined ? '' : `${q(names.schema)}.`;
  const f = names.friendshipColumns;
  const u = names.userColumns;
  const notify = (...columns: string[]) =>
    `PERFORM pg_notify(${literal(channel)}, json_build_array(${columns.join(', ')})::text);`;
  const friendshipFn = `${schema}${q('presence_notify_friendship_change')}`;
  const sharingFn = `${schema}${q('presence_notify_sharing_change')}`;
  return [
    `-- Announces friend-graph changes on channel ${channel} for presence friend caches.`,
    `CREATE OR REPLACE FUNCTION ${friendshipFn}() RETURNS trigger LANGUAGE plpgsql AS $presence$`,
    'BEGIN',
    `  IF TG_OP <> 'INSERT' THEN`,
    `    IF OLD.${q(f.acceptedAt)} IS NOT NULL THEN`,
    `      ${notify(`OLD.${q(f.userId1)}`, `OLD.${q(f.userId2)}`)}`,
    '    END IF;',
    '  END IF;',
    `  IF TG_OP <> 'DELETE' THEN`,
    `    IF NEW.${q(f.acceptedAt)} IS NOT NULL THEN`,
    `      ${notify(`NEW.${q(f.userId1)}`, `NEW.${q(f.userId2)}`)}`,
    '    END IF;',
    '  END IF;',
    '  RETURN NULL;',
    'END',
    '$presence$;',
    `DROP TRIGGER IF EXISTS ${q('presence_friendship_changed')} ON ${names.friendship.sql};`,
    `CREATE TRIGGER ${q('presence_friendship_changed')}`,
    `  AFTER INSERT OR DELETE OR UPDATE OF ${[f.userId1, f.userId2, f.acceptedAt].map(q).join(', ')}`,
    `  ON ${names.friendship.sql} FOR EACH ROW EXECUTE FUNCTION ${friendshipFn}();`,
    '',
    `CREATE OR REPLACE FUNCTION ${sharingFn}() RETURNS trigger LANGUAGE plpgsql AS $presence$`,
    'BEGIN',
    `  IF TG_OP <> 'INSERT' THEN`,
    `    ${notify(`OLD.${q(u.userId)}`)}`,
    '  END IF;',
    `  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.${q(u.userId)} IS DISTINCT FROM OLD.${q(u.userId)}) THEN`,
    `    ${notify(`NEW.${q(u.userId)}`)}`,
    '  END IF;',
    '  RETURN NULL;',
    'END',
    '$presence$;',
    `DROP TRIGGER IF EXISTS ${q('presence_sharing_changed')} ON ${names.user.sql};`,
    `CREATE TRIGGER ${q('presence_sharing_changed')}`,
    `  AFTER INSERT OR DELETE OR UPDATE OF ${[u.userId, u.shareMode, u.domainAllowArray, u.domainDenyArray].map(q).join(', ')}`,
    `  ON ${names.user.sql} FOR EACH ROW EXECUTE FUNCTION ${sharingFn}();`,
    '',
  ].join('\n');
}
