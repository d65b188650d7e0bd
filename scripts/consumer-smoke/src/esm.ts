// An ES module consumer: every entry point of every public package, imported from the installed
// tarballs. Compiled with skipLibCheck: false, so a type package the published .d.ts files need
// but the consumer does not get fails here (TS2307, TS7016) instead of turning into `any`.

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

/** `true` when T is `any`: what a missing type package turns a public type into under skipLibCheck. */
type IsAny<T> = 0 extends 1 & T ? true : false;

// Public types that come from third-party type packages: none of them may be `any`.
export const typed: [
  IsAny<Parameters<lambda.WebSocketHandler>[0]>,
  IsAny<Awaited<ReturnType<lambda.RestHandler>>>,
  IsAny<NonNullable<postgres.PostgresFriendGraphOptions['pool']>>,
  IsAny<NonNullable<redis.RedisPresenceStoreOptions['client']>>,
  IsAny<lambdaCdk.PresenceApiProps>,
] = [false, false, false, false, false];

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
