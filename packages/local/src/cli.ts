#!/usr/bin/env node
import { parseArgs } from 'node:util';
import type { FriendGraphSeed } from '@presence/core';
import { createLocalIssuer, defaultKeyFile, LOCAL_CLIENT_ID } from './issuer.js';
import { DEFAULT_CORS_ORIGINS, type LocalPresence, startLocalPresence } from './local-presence.js';
import { demoSeed, loadSeed } from './seed.js';

const HELP = `presence-local: the whole presence API on one machine (API Gateway emulation + the real Lambda handlers)

Usage:
  presence-local [start] [options]     run the server (in-memory store and demo friend graph by default)
  presence-local token <userId> [--port N] [--host H] [--key-file F] [--expires-in-seconds N]
                                       print a token the server on that host and port accepts
  presence-local --help                this text

Options:
  --port <n>                     TCP port                                       (default 3000)
  --host <addr>                  loopback address to bind: 127.0.0.1, localhost or ::1 (default 127.0.0.1)
  --timeout-seconds <n>          offline after this long without heartbeat/update (default 180)
  --sweep-interval-seconds <n>   run the timeout handler every n s; 0 disables   (default timeout/3)
  --redis-url <url>              use Redis instead of the in-memory store        (env REDIS_URL)
  --database-url <url>           use PostgreSQL instead of the demo friend graph (env DATABASE_URL)
  --seed <file.json>             friend graph seed for the in-memory graph and the demo page
                                                                                 (default demo/seed.json)
  --cors-origin <origin>         allowed CORS origin, repeatable or comma-separated
                                                                                 (default ${DEFAULT_CORS_ORIGINS.join(', ')} + the server's own)
  --key-file <file>              token signing key, shared by the server and \`token\`
                                                                                 (default ${defaultKeyFile()})
  --log-level <level>            debug | info | warn | error                     (env LOG_LEVEL, default info)
  --max-connections-per-user <n> connections one user holds; a new one beyond it closes the user's least
                                 recently seen one            (env PRESENCE_MAX_CONNECTIONS_PER_USER, default 20)
  --delivery <inproc|http>       how the handlers' frames reach the sockets: straight to this server's
                                 sockets, or over HTTP @connections as on AWS     (default inproc)
  --dev-endpoints                serve GET /dev/token/{userId} and GET /dev/users with a real database too
                                 (on by default with the demo graph only; loopback Host headers only)
  --friend-cache-seconds <n>     serve friends and sharing settings from a cache for n s (Redis with
                                 --redis-url, else memory); 0 turns it off (env PRESENCE_FRIEND_CACHE_SECONDS, default 0)
  --listen-graph-changes         LISTEN on --database-url for the user service's friend-graph changes
                                 (the triggers of @presence/postgres changeTriggersSql) and run the
                                 graph-changed handler for each: cache entries forgotten, ex-friends told
  --graph-change-channel <name>  NOTIFY channel of the triggers                   (default presence_friend_graph)
  --no-activity                  no activity history: GET/DELETE /activity answer 404
                                 (default: kept in memory, lost on exit)
  --activity-retention-days <n>  days the in-memory activity history keeps an entry (default 30)
  --activity-table <name>        keep the activity history in this DynamoDB table instead (env
                                 ACTIVITY_TABLE_NAME; AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local)
  --expires-in-seconds <n>       token lifetime for \`token\`                     (default 43200)
  -h, --help                     show this help

Environment passed to the handlers as on Lambda: REDIS_URL, REDIS_KEY_PREFIX, REDIS_CLUSTER, DATABASE_URL,
DB_SCHEMA, DB_SSL, PRESENCE_SWEEP_BATCH_SIZE, PRESENCE_SWEEP_ANNOUNCE_AFTER, PRESENCE_MAX_CONNECTIONS_PER_USER,
PRESENCE_FRAME_RATE_PER_SECOND, PRESENCE_FRAME_RATE_BURST, PRESENCE_FRAME_REFRESH_SECONDS, PRESENCE_LAST_SEEN_DAYS,
PRESENCE_LAST_SEEN_GRANULARITY_SECONDS, LOG_LEVEL, GATEWAY_TRANSPORT (sdk | signed-http: how the handlers
call this server's @connections endpoint with --delivery http), ACTIVITY_TABLE_NAME, ACTIVITY_RETENTION_DAYS.
PRESENCE_LOCAL_HOME moves the key directory.
`;

const PASSED_ENV = [
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'REDIS_CLUSTER',
  'DATABASE_URL',
  'DB_SCHEMA',
  'DB_SSL',
  'PRESENCE_SWEEP_BATCH_SIZE',
  'PRESENCE_SWEEP_ANNOUNCE_AFTER',
  'PRESENCE_MAX_CONNECTIONS_PER_USER',
  'PRESENCE_FRAME_RATE_PER_SECOND',
  'PRESENCE_FRAME_RATE_BURST',
  'PRESENCE_FRAME_REFRESH_SECONDS',
  'PRESENCE_LAST_SEEN_DAYS',
  'PRESENCE_LAST_SEEN_GRANULARITY_SECONDS',
  'LOG_LEVEL',
  'GATEWAY_TRANSPORT',
  'PRESENCE_FRIEND_CACHE_SECONDS',
  'ACTIVITY_TABLE_NAME',
  'ACTIVITY_RETENTION_DAYS',
] as const;

class UsageError extends Error {}

function integer(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${name} must be a whole number >= ${min}, got "${value}"`);
  }
  return Number(value);
}

/** `redis://user:secret@host` → `redis://user:***@host`, for the banner. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'timeout-seconds': { type: 'string' },
      'sweep-interval-seconds': { type: 'string' },
      'redis-url': { type: 'string' },
      'database-url': { type: 'string' },
      seed: { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      'key-file': { type: 'string' },
      'log-level': { type: 'string' },
      'max-connections-per-user': { type: 'string' },
      'expires-in-seconds': { type: 'string' },
      delivery: { type: 'string' },
      'dev-endpoints': { type: 'boolean' },
      'friend-cache-seconds': { type: 'string' },
      'listen-graph-changes': { type: 'boolean' },
      'graph-change-channel': { type: 'string' },
      'no-activity': { type: 'boolean' },
      'activity-retention-days': { type: 'string' },
      'activity-table': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return { values, positionals };
}

function banner(
  local: LocalPresence,
  seed: FriendGraphSeed,
  sweepSeconds: number,
  timeoutSeconds: number,
  redisUrl?: string,
  databaseUrl?: string,
  friendCacheSeconds = 0,
): string {
  const users = seed.users.map((u) => u.userId);
  const store =
    local.storeKind === 'redis'
      ? `Redis ${redact(redisUrl ?? '')}`
      : 'in memory (MemoryPresenceStore)';
  const graph =
    local.graphKind === 'postgres'
      ? `PostgreSQL ${redact(databaseUrl ?? '')}`
      : `in memory (MemoryFriendGraph), ${users.length} demo users`;
  const example = users[0] ?? 'alice';
  return [
    '',
    `presence-local is running on ${local.url}`,
    `  WebSocket     ${local.wsUrl}/?Authorization=<token>`,
    `  REST          GET ${local.url}/presence   GET ${local.url}/presence/{userId}`,
    `  History       ${
      local.activityKind === 'off'
        ? 'off (--no-activity): /activity answers 404'
        : `GET/DELETE ${local.url}/activity  (${local.activityKind === 'dynamodb' ? 'DynamoDB' : 'in memory'})`
    }`,
    `  Demo page     ${local.url}/`,
    `  JWKS          ${local.url}/.well-known/jwks.json  (iss ${local.issuer.issuer}, aud ${LOCAL_CLIENT_ID})`,
    `  @connections  ${local.url}/@connections/{connectionId}  (${
      local.delivery === 'inproc'
        ? 'handlers deliver in process; --delivery http sends through it'
        : `handlers call it with ${local.gatewayTransport === 'sdk' ? 'the AWS SDK client' : 'the signed-HTTP transport'}`
    })`,
    `  Store         ${store}`,
    `  Friend graph  ${graph}`,
    `  Timeout       ${timeoutSeconds} s, sweep ${sweepSeconds > 0 ? `every ${sweepSeconds} s` : 'disabled'}`,
    `  Friend cache  ${friendCacheSeconds > 0 ? `${friendCacheSeconds} s` : 'off'}; graph changes ${local.listeningGraphChanges ? 'from PostgreSQL NOTIFY' : 'not listened to'}`,
    `  Tokens        presence-local token ${example}${local.port === 3000 ? '' : ` --port ${local.port}`}${local.devEndpoints ? `   (or GET ${local.url}/dev/token/${example}, dev only)` : ''}`,
    local.devEndpoints
      ? `  Dev endpoints GET /dev/token/{userId}, GET /dev/users (loopback Host only)`
      : `  Dev endpoints off (${local.graphKind === 'postgres' ? 'a real database is configured' : 'custom friend graph'}): --dev-endpoints turns them on (the demo page needs them)`,
    `  Demo users    ${users.slice(0, 8).join(', ')}${users.length > 8 ? ', ...' : ''}`,
    '',
    'Ctrl-C stops it.',
    '',
  ].join('\n');
}

async function start(values: ReturnType<typeof parse>['values']): Promise<void> {
  const env: Record<string, string | undefined> = {};
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  if (values['log-level'] !== undefined) env.LOG_LEVEL = values['log-level'];
  const maxConnections = integer(values['max-connections-per-user'], 'max-connections-per-user', 1);
  if (maxConnections !== undefined) env.PRESENCE_MAX_CONNECTIONS_PER_USER = String(maxConnections);
  const timeoutSeconds = integer(values['timeout-seconds'], 'timeout-seconds', 10) ?? 180;
  const sweepIntervalSeconds =
    integer(values['sweep-interval-seconds'], 'sweep-interval-seconds', 0) ??
    Math.max(1, Math.round(timeoutSeconds / 3));
  const seed = values.seed === undefined ? await demoSeed() : await loadSeed(values.seed);
  const redisUrl = values['redis-url'] ?? env.REDIS_URL;
  const databaseUrl = values['database-url'] ?? env.DATABASE_URL;
  const delivery = values.delivery ?? 'inproc';
  if (delivery !== 'inproc' && delivery !== 'http') {
    throw new UsageError(`--delivery must be inproc or http, got "${delivery}"`);
  }
  const friendCacheSeconds = integer(values['friend-cache-seconds'], 'friend-cache-seconds', 0);
  const channel = values['graph-change-channel'];
  if (channel !== undefined && values['listen-graph-changes'] !== true) {
    throw new UsageError('--graph-change-channel needs --listen-graph-changes');
  }
  if (values['listen-graph-changes'] === true && databaseUrl === undefined) {
    throw new UsageError('--listen-graph-changes needs --database-url (or DATABASE_URL)');
  }
  if (values['activity-table'] !== undefined) env.ACTIVITY_TABLE_NAME = values['activity-table'];
  const activityRetentionDays = integer(
    values['activity-retention-days'],
    'activity-retention-days',
    1,
  );
  if (activityRetentionDays !== undefined)
    env.ACTIVITY_RETENTION_DAYS = String(activityRetentionDays);
  const corsOrigins = values['cors-origin']
    ?.flatMap((o) => o.split(','))
    .map((o) => o.trim())
    .filter(Boolean);
  const local = await startLocalPresence({
    port: integer(values.port, 'port', 0) ?? 3000,
    host: values.host ?? '127.0.0.1',
    timeoutSeconds,
    sweepIntervalSeconds,
    seed,
    env,
    keyFile: values['key-file'] ?? defaultKeyFile(),
    delivery,
    ...(values['dev-endpoints'] === true ? { devEndpoints: true } : {}),
    ...(friendCacheSeconds === undefined ? {} : { friendCacheSeconds }),
    ...(values['listen-graph-changes'] === true
      ? { listenGraphChanges: channel === undefined ? true : { channel } }
      : {}),
    ...(values['no-activity'] === true ? { activityHistory: false } : {}),
    ...(activityRetentionDays === undefined ? {} : { activityRetentionDays }),
    ...(redisUrl === undefined ? {} : { redisUrl }),
    ...(databaseUrl === undefined ? {} : { databaseUrl }),
    ...(corsOrigins === undefined
      ? {}
      : { corsOrigins: [...DEFAULT_CORS_ORIGINS, ...corsOrigins] }),
  });
  process.stdout.write(
    banner(
      local,
      seed,
      sweepIntervalSeconds,
      timeoutSeconds,
      redisUrl,
      databaseUrl,
      friendCacheSeconds ?? Number(env.PRESENCE_FRIEND_CACHE_SECONDS ?? 0),
    ),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`presence-local: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`presence-local: ${signal}, closing connections...\n`);
    const force = setTimeout(() => {
      process.stderr.write('presence-local: shutdown took over 10 s, exiting\n');
      process.exit(1);
    }, 10_000);
    force.unref();
    local.close().then(
      () => {
        process.stderr.write('presence-local: stopped\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`presence-local: shutdown failed: ${(error as Error).name}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function token(
  values: ReturnType<typeof parse>['values'],
  userId: string | undefined,
): Promise<void> {
  if (userId === undefined || userId === '')
    throw new UsageError('token needs a user id: presence-local token <userId>');
  const port = integer(values.port, 'port', 1) ?? 3000;
  const host = values.host ?? '127.0.0.1';
  const issuer = await createLocalIssuer({
    issuer: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    keyFile: values['key-file'] ?? defaultKeyFile(),
  });
  const expiresInSeconds = integer(values['expires-in-seconds'], 'expires-in-seconds', 1);
  const jwt = await issuer.issueToken(
    userId,
    expiresInSeconds === undefined ? {} : { expiresInSeconds },
  );
  process.stdout.write(`${jwt}\n`);
}

/** Runs the `presence-local` command with `argv` (without node and the script). */
async function main(argv: readonly string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const [command = 'start', ...rest] = positionals;
  if (command === 'start' && rest.length === 0) return start(values);
  if (command === 'token' && rest.length <= 1) return token(values, rest[0]);
  throw new UsageError(`unknown command "${positionals.join(' ')}"`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(
      `presence-local: ${error.message}\nRun presence-local --help for usage.\n`,
    );
    process.exit(2);
  }
  const e = error as { name?: string; message?: string; code?: string };
  // Config and listen errors name the bad value; they carry no token or personal data.
  process.stderr.write(
    `presence-local: ${e.name ?? 'Error'}: ${e.message ?? String(error)}${e.code === 'EADDRINUSE' ? ' (is another presence-local running? try --port)' : ''}\n`,
  );
  process.exit(1);
});
