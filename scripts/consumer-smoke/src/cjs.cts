// A CommonJS consumer: every entry point through require(). Dual entries resolve their `require`
// types (.d.cts); the ESM-only ones (@presence/core/testing, @presence/client) are loaded with
// require() of an ES module, which Node >= 20.19 does and TypeScript's node20 mode models.

import * as client from '@presence/client';
import * as core from '@presence/core';
import * as coreTesting from '@presence/core/testing';
import * as dynamodb from '@presence/dynamodb';
import * as lambda from '@presence/lambda';
import * as lambdaCdk from '@presence/lambda/cdk';
import * as local from '@presence/local';
import * as postgres from '@presence/postgres';
import * as redis from '@presence/redis';
import * as redisTesting from '@presence/redis/testing';

/** `true` when T is `any`. */
type IsAny<T> = 0 extends 1 & T ? true : false;

export const typed: [
  IsAny<Parameters<lambda.WebSocketHandler>[0]>,
  IsAny<NonNullable<postgres.PostgresFriendGraphOptions['pool']>>,
  IsAny<NonNullable<redis.RedisPresenceStoreOptions['client']>>,
] = [false, false, false];

export const entries = [
  core,
  coreTesting,
  dynamodb,
  lambda,
  lambdaCdk,
  local,
  postgres,
  redis,
  redisTesting,
  client,
];
