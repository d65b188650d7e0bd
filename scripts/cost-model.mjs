#!/usr/bin/env node
// The cost model of docs/cost-model.md: what one month of the presence API costs on AWS for a given
// number of concurrent users, under stated assumptions. Every assumption is a flag, so the numbers
// can be re-run for another traffic shape or another price list:
//
//   node scripts/cost-model.mjs                       # 10k, 100k and 1M concurrent users
//   node scripts/cost-model.mjs --users 250000 --friends-online 25 --front-door rest
//   node scripts/cost-model.mjs --help
//
// Prices are us-east-1 on-demand list prices as this script was written; check the AWS pricing
// pages before relying on them and pass --price-<name> to override any of them.
import { parseArgs } from 'node:util';

const HOURS_PER_MONTH = 730;
const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** Traffic shape: what each user does. Defaults describe the field extension's behaviour. */
const TRAFFIC = {
  'connections-per-user': [1.3, 'open sockets per online user (tabs, browsers, devices)'],
  'heartbeat-seconds': [60, 'heartbeat interval of the clients (the field extension: 60 s)'],
  'updates-per-minute': [
    2,
    'update-presence frames per online user per minute (tab switch, focus)',
  ],
  'unchanged-share': [
    0.5,
    'share of updates that repeat the page every recipient holds (no frame is sent)',
  ],
  'friends-online': [10, 'online friends per online user'],
  'friends-total': [50, 'friends per user (size of GET /presence)'],
  'session-minutes': [60, 'average life of a connection (connect + disconnect per session)'],
  'rest-reads-per-hour': [6, 'GET /presence per online user per hour (popup opened, page load)'],
  'active-users-factor': [10, 'users seen in 30 days per concurrent user (last-seen keys)'],
  'friend-cache-hit': [0, 'friend cache hit ratio (0: cache off, the default)'],
  'activity-history': [1, '1: activity history on (DynamoDB), 0: off'],
  'activity-retention-days': [30, 'how long activity entries are kept'],
  'sweep-seconds': [60, 'timeout sweep interval (timeout / 3)'],
};

/** Work per invocation and per item, from the bench's work counter and duration measurements. */
const WORK = {
  'ms-heartbeat': [4, 'billed ms of a heartbeat (one Redis round trip)'],
  'ms-update-changed': [40, 'billed ms of an update that fans out (query + posts in parallel)'],
  'ms-update-unchanged': [8, 'billed ms of an update that sends nothing'],
  'ms-connect': [8, 'billed ms of $connect'],
  'ms-authorizer': [5, 'billed ms of the $connect authorizer (JWKS cached per container)'],
  'ms-disconnect': [30, 'billed ms of $disconnect (the last one announces)'],
  'ms-get-presence': [25, 'billed ms of GET /presence (one query, one Redis read)'],
  'ms-sweep': [3000, 'billed ms of one sweep run'],
  'memory-mb': [512, 'Lambda memory (the construct default), arm64'],
  'redis-bytes-per-user': [776, 'Redis memory per online user, one connection (bench, Redis 7)'],
  'redis-bytes-per-extra-connection': [150, 'Redis memory per further connection of a user'],
  'redis-bytes-last-seen': [90, 'Redis memory of one last-seen record'],
  'frame-bytes': [350, 'average frame size on the wire'],
  'log-bytes-per-invocation': [
    600,
    'CloudWatch Logs bytes per invocation (START/END/REPORT + one line)',
  ],
  'log-bytes-heartbeat': [350, 'CloudWatch Logs bytes per heartbeat (its own line is at debug)'],
  'custom-metrics': [300, 'EMF metrics (names x dimension sets) published by the functions'],
  alarms: [16, 'CloudWatch alarms the construct creates'],
  'pg-qps-per-replica': [4000, 'indexed friend queries per second one read replica serves'],
  'activity-entry-bytes': [300, 'DynamoDB item size of one activity entry'],
};

/** Prices, USD. */
const PRICES = {
  'price-ws-message-per-million': [1.0, 'WebSocket messages, first 1 billion per month'],
  'price-ws-message-per-million-over': [0.8, 'WebSocket messages beyond 1 billion'],
  'price-ws-connection-minute-per-million': [0.25, 'WebSocket connection minutes'],
  'price-http-api-per-million': [1.0, 'HTTP API requests, first 300 million'],
  'price-http-api-per-million-over': [0.9, 'HTTP API requests beyond 300 million'],
  'price-rest-api-per-million': [3.5, 'REST API requests, first 333 million'],
  'price-rest-api-per-million-over': [2.8, 'REST API requests beyond 333 million'],
  'price-lambda-gb-second': [0.0000133334, 'Lambda arm64 GB-second'],
  'price-lambda-per-million': [0.2, 'Lambda requests'],
  'price-logs-per-gb': [0.5, 'CloudWatch Logs ingestion'],
  'price-metric-month': [0.3, 'CloudWatch custom metric per month'],
  'price-alarm-month': [0.1, 'CloudWatch standard alarm per month'],
  'price-dashboard-month': [3.0, 'CloudWatch dashboard per month'],
  'price-transfer-out-per-gb': [0.09, 'data transfer out to the internet'],
  'price-dynamodb-write-per-million': [0.625, 'DynamoDB on-demand write request units'],
  'price-dynamodb-read-per-million': [0.125, 'DynamoDB on-demand read request units'],
  'price-dynamodb-gb-month': [0.25, 'DynamoDB storage'],
  'price-dynamodb-pitr-gb-month': [0.2, 'DynamoDB point-in-time recovery'],
  'price-rds-replica-hour': [0.24, 'PostgreSQL read replica, db.r7g.large'],
};

/**
 * ElastiCache node types the model picks from: name, usable memory GiB, USD per hour, and the
 * script calls per second one shard of that type serves at about half its CPU (an assumption:
 * burstable nodes are kept well below their baseline).
 */
const NODES = [
  ['cache.t4g.small', 1.37, 0.032, 10_000],
  ['cache.t4g.medium', 3.09, 0.065, 20_000],
  ['cache.r7g.large', 13.07, 0.219, 80_000],
  ['cache.r7g.xlarge', 26.32, 0.437, 100_000],
  ['cache.r7g.2xlarge', 52.82, 0.873, 120_000],
];

const ALL = { ...TRAFFIC, ...WORK, ...PRICES };

function usage() {
  const lines = [
    'Usage: node scripts/cost-model.mjs [--users N]... [--front-door http|rest] [--<assumption> value]...',
    '',
  ];
  for (const [group, table] of [
    ['traffic', TRAFFIC],
    ['work', WORK],
    ['prices', PRICES],
  ]) {
    lines.push(`${group}:`);
    for (const [name, [value, text]] of Object.entries(table))
      lines.push(`  --${name} ${value}  ${text}`);
  }
  return lines.join('\n');
}

function parse(argv) {
  const options = Object.fromEntries(Object.keys(ALL).map((name) => [name, { type: 'string' }]));
  const { values } = parseArgs({
    args: argv,
    options: {
      ...options,
      users: { type: 'string', multiple: true },
      'front-door': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const a = {};
  for (const [name, [fallback]] of Object.entries(ALL)) {
    const raw = values[name];
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0`);
    a[name] = value;
  }
  const frontDoor = values['front-door'] ?? 'http';
  if (frontDoor !== 'http' && frontDoor !== 'rest') throw new Error('--front-door is http or rest');
  const users = (values.users ?? ['10000', '100000', '1000000']).map(Number);
  if (users.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error('--users are whole numbers');
  return { a, frontDoor, users, json: values.json === true };
}

/** Cost of `units` millions under a two-tier price with the tier boundary at `tier` millions. */
function tiered(units, first, over, tier) {
  return Math.min(units, tier) * first + Math.max(0, units - tier) * over;
}

/** One month for `users` concurrent users: the work per second, then the bill by line. */
export function model(users, a, frontDoor) {
  const connections = users * a['connections-per-user'];
  const perSecond = {
    heartbeats: connections / a['heartbeat-seconds'],
    updates: (users * a['updates-per-minute']) / 60,
    connects: connections / (a['session-minutes'] * 60),
    offline: users / (a['session-minutes'] * 60),
    restReads: (users * a['rest-reads-per-hour']) / 3600,
  };
  const changed = perSecond.updates * (1 - a['unchanged-share']);
  const unchanged = perSecond.updates - changed;
  const recipientsPerUpdate = (a['friends-online'] + 1) * a['connections-per-user'];
  const posts =
    changed * recipientsPerUpdate +
    perSecond.offline * a['friends-online'] * a['connections-per-user'];
  const inbound = perSecond.heartbeats + perSecond.updates;
  const sweeps = 1 / a['sweep-seconds'];
  const invocations =
    inbound +
    3 * perSecond.connects /* authorizer, $connect, $disconnect */ +
    perSecond.restReads +
    sweeps;
  const gbSeconds =
    (a['memory-mb'] / 1024 / 1000) *
    (perSecond.heartbeats * a['ms-heartbeat'] +
      changed * a['ms-update-changed'] +
      unchanged * a['ms-update-unchanged'] +
      perSecond.connects * (a['ms-connect'] + a['ms-authorizer'] + a['ms-disconnect']) +
      perSecond.restReads * a['ms-get-presence'] +
      sweeps * a['ms-sweep']);
  const redisOps =
    perSecond.heartbeats +
    2 * perSecond.updates +
    3 * perSecond.connects +
    perSecond.restReads +
    perSecond.offline * 2;
  const redisBytes =
    users * a['redis-bytes-per-user'] +
    (connections - users) * a['redis-bytes-per-extra-connection'] +
    users * a['active-users-factor'] * a['redis-bytes-last-seen'];
  const pgQps =
    perSecond.updates * (1 - a['friend-cache-hit']) + perSecond.restReads + perSecond.offline;

  const month = (rate) => rate * SECONDS_PER_MONTH;
  const millions = (rate) => month(rate) / 1e6;
  const lines = {};
  lines['API Gateway WebSocket messages'] = tiered(
    millions(inbound + posts),
    a['price-ws-message-per-million'],
    a['price-ws-message-per-million-over'],
    1000,
  );
  lines['API Gateway connection minutes'] =
    ((connections * SECONDS_PER_MONTH) / 60 / 1e6) * a['price-ws-connection-minute-per-million'];
  lines[`API Gateway ${frontDoor === 'http' ? 'HTTP' : 'REST'} API`] =
    frontDoor === 'http'
      ? tiered(
          millions(perSecond.restReads),
          a['price-http-api-per-million'],
          a['price-http-api-per-million-over'],
          300,
        )
      : tiered(
          millions(perSecond.restReads),
          a['price-rest-api-per-million'],
          a['price-rest-api-per-million-over'],
          333,
        );
  lines['Lambda requests'] = millions(invocations) * a['price-lambda-per-million'];
  lines['Lambda duration'] = month(gbSeconds) * a['price-lambda-gb-second'];
  const logBytes =
    perSecond.heartbeats * a['log-bytes-heartbeat'] +
    (invocations - perSecond.heartbeats) * a['log-bytes-per-invocation'];
  lines['CloudWatch Logs'] = (month(logBytes) / 1e9) * a['price-logs-per-gb'];
  lines['CloudWatch metrics, alarms, dashboard'] =
    a['custom-metrics'] * a['price-metric-month'] +
    a.alarms * a['price-alarm-month'] +
    a['price-dashboard-month'];
  const redis = elastiCache(redisBytes, redisOps);
  lines[`ElastiCache (${redis.nodes} × ${redis.type})`] = redis.monthly;
  const replicas = Math.max(1, Math.ceil(pgQps / a['pg-qps-per-replica']));
  lines[`PostgreSQL (${replicas} read replica${replicas > 1 ? 's' : ''})`] =
    replicas * a['price-rds-replica-hour'] * HOURS_PER_MONTH;
  const outBytes = posts * a['frame-bytes'] + perSecond.restReads * a['friends-total'] * 400;
  lines['Data transfer out'] = (month(outBytes) / 1e9) * a['price-transfer-out-per-gb'];
  if (a['activity-history'] > 0) {
    const writes = changed + 2 * perSecond.offline; // shared pages, online and offline entries
    const storedGb =
      (writes * a['activity-retention-days'] * 86_400 * a['activity-entry-bytes']) / 1e9;
    lines['DynamoDB activity history'] =
      millions(writes) * a['price-dynamodb-write-per-million'] +
      storedGb * (a['price-dynamodb-gb-month'] + a['price-dynamodb-pitr-gb-month']);
  }
  const total = Object.values(lines).reduce((sum, value) => sum + value, 0);
  return {
    users,
    perSecond: { ...perSecond, posts, invocations, redisOps, pgQps },
    redisGiB: redisBytes / 2 ** 30,
    lines,
    total,
  };
}

/**
 * The cheapest cluster that holds the data at 50 % of its memory and serves the load: for each node
 * type, enough shards for both, one replica per shard (Multi-AZ).
 */
function elastiCache(bytes, opsPerSecond) {
  const gib = bytes / 2 ** 30;
  let best;
  for (const [type, memory, hourly, opsPerShard] of NODES) {
    const shards = Math.max(
      1,
      Math.ceil(gib / (memory * 0.5)),
      Math.ceil(opsPerSecond / opsPerShard),
    );
    // Burstable nodes only for a single small shard: a sharded cluster runs on steady CPU.
    if (shards > 1 && type.startsWith('cache.t')) continue;
    const nodes = shards * 2;
    const monthly = nodes * hourly * HOURS_PER_MONTH;
    if (best === undefined || monthly < best.monthly) best = { type, nodes, monthly };
  }
  return best;
}

const usd = (value) =>
  value >= 100 ? `$${Math.round(value).toLocaleString('en-US')}` : `$${value.toFixed(2)}`;
const rate = (value) =>
  value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);

function markdown(results, frontDoor) {
  const header = `| per month | ${results.map((r) => `${r.users.toLocaleString('en-US')} users`).join(' | ')} |`;
  const rule = `|---|${results.map(() => '---:').join('|')}|`;
  const names = [...new Set(results.flatMap((r) => Object.keys(r.lines)))];
  const generic = (name) => name.replace(/ \(.*\)$/, '');
  const rows = [...new Set(names.map(generic))].map((name) => {
    const cells = results.map((r) => {
      const key = Object.keys(r.lines).find((k) => generic(k) === name);
      const detail = key?.match(/\((.*)\)$/)?.[1];
      return key === undefined ? '–' : `${usd(r.lines[key])}${detail ? ` (${detail})` : ''}`;
    });
    return `| ${name} | ${cells.join(' | ')} |`;
  });
  const total = `| **total** | ${results.map((r) => `**${usd(r.total)}**`).join(' | ')} |`;
  const perUser = `| per concurrent user | ${results.map((r) => usd(r.total / r.users)).join(' | ')} |`;
  const work = [
    ['inbound frames / s', (r) => r.perSecond.heartbeats + r.perSecond.updates],
    ['frames posted / s', (r) => r.perSecond.posts],
    ['Lambda invocations / s', (r) => r.perSecond.invocations],
    ['Redis calls / s', (r) => r.perSecond.redisOps],
    ['PostgreSQL queries / s', (r) => r.perSecond.pgQps],
    ['Redis memory, GiB', (r) => r.redisGiB],
  ].map(([name, f]) => `| ${name} | ${results.map((r) => rate(f(r))).join(' | ')} |`);
  return [
    `Front door for REST: ${frontDoor === 'http' ? 'HTTP API (the default)' : 'REST API'}.`,
    '',
    header,
    rule,
    ...rows,
    total,
    perUser,
    '',
    `| work | ${results.map((r) => `${r.users.toLocaleString('en-US')} users`).join(' | ')} |`,
    rule,
    ...work,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { a, frontDoor, users, json } = parse(process.argv.slice(2));
    const results = users.map((n) => model(n, a, frontDoor));
    console.log(json ? JSON.stringify(results, null, 2) : markdown(results, frontDoor));
  } catch (error) {
    console.error(`cost-model: ${error.message}\n\n${usage()}`);
    process.exit(2);
  }
}
