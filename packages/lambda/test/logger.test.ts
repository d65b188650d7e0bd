import { StoreUnavailableError } from '@presence/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, createPowertoolsLogger } from '../src/index.js';
import { captureStdout } from './support/emf.js';

describe('createLogger', () => {
  const capture = (level?: 'debug' | 'info' | 'warn' | 'error') => {
    const lines: string[] = [];
    return {
      lines,
      logger: createLogger({ ...(level ? { level } : {}), write: (line) => lines.push(line) }),
    };
  };

  it('writes one JSON line per entry with level, time, msg and the fields', () => {
    // Prepare
    const { lines, logger } = capture();
    // Act
    logger.info({ op: 'connect', userId: 'alice', latencyMs: 3 }, 'connect');
    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      msg: 'connect',
      op: 'connect',
      userId: 'alice',
      latencyMs: 3,
    });
  });

  it('drops entries below the level (info by default)', () => {
    const byDefault = capture();
    byDefault.logger.debug({}, 'hidden');
    byDefault.logger.warn({}, 'shown');
    const quiet = capture('error');
    quiet.logger.warn({}, 'hidden');
    quiet.logger.error({}, 'shown');
    expect(byDefault.lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
    expect(quiet.lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
  });

  it('keeps fields from overwriting level, time and msg', () => {
    const { lines, logger } = capture();
    logger.info({ level: 'error', msg: 'forged', time: 0 }, 'real');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'info', msg: 'real' });
  });

  it('serializes presence errors by name and code, their driver cause by name and code only', () => {
    // Prepare
    const driver = Object.assign(new Error('connect ECONNREFUSED 10.0.0.12:6379'), {
      code: 'ECONNREFUSED',
    });
    const error = new StoreUnavailableError('Redis touch failed', { cause: driver });
    const { lines, logger } = capture();
    // Act
    logger.error({ op: 'heartbeat', error }, 'heartbeat failed');
    // Assess
    expect(JSON.parse(lines[0] as string).error).toEqual({
      name: 'StoreUnavailableError',
      code: 'store_unavailable',
      message: 'Redis touch failed',
      cause: { name: 'Error', code: 'ECONNREFUSED' },
    });
  });

  it('survives fields that cannot be serialized', () => {
    const { lines, logger } = capture();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    logger.warn({ loop }, 'cyclic');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      level: 'warn',
      msg: 'cyclic',
      unserializable: true,
    });
  });
});

describe('createPowertoolsLogger (the Lambda functions logger, behind the same port)', () => {
  const context = (requestId: string) =>
    ({
      functionName: 'PresenceStack-HeartbeatFunction',
      functionVersion: '$LATEST',
      invokedFunctionArn:
        'arn:aws:lambda:eu-west-1:123456789012:function:PresenceStack-HeartbeatFunction',
      memoryLimitInMB: '512',
      awsRequestId: requestId,
    }) as Context;

  it('adds the request id, the cold start (first invocation only) and the trace id to every line', () => {
    // Prepare
    vi.stubEnv(
      '_X_AMZN_TRACE_ID',
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    );
    // Lambda says how the container started; only an on-demand start is a cold start.
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const stdout = captureStdout();
    const logger = createPowertoolsLogger({ level: 'info', serviceName: 'presence-test' });
    // Act
    logger.addContext(context('req-1'));
    logger.info({ op: 'heartbeat', userId: 'alice', status: 200 }, 'heartbeat');
    logger.addContext(context('req-2'));
    logger.info({ op: 'heartbeat', userId: 'alice', status: 200 }, 'heartbeat');
    const lines = stdout.lines();
    stdout.restore();
    vi.unstubAllEnvs();
    // Assess
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'heartbeat',
      service: 'presence-test',
      function_request_id: 'req-1',
      cold_start: true,
      xray_trace_id: '1-5759e988-bd862e3fe1be46a994272793',
      op: 'heartbeat',
      userId: 'alice',
      status: 200,
    });
    expect(lines[1]).toMatchObject({ function_request_id: 'req-2', cold_start: false });
  });

  it('drops debug lines at info, unless the invocation is sampled', () => {
    const stdout = captureStdout();
    const quiet = createPowertoolsLogger({ level: 'info', sampleRate: 0 });
    quiet.addContext(context('req-q'));
    quiet.debug({ op: 'heartbeat' }, 'debug line');
    const sampled = createPowertoolsLogger({ level: 'info', sampleRate: 1 });
    sampled.addContext(context('req-s'));
    sampled.debug({ op: 'heartbeat' }, 'debug line');
    const lines = stdout.lines().filter((l) => l.message === 'debug line');
    stdout.restore();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ function_request_id: 'req-s', sampling_rate: 1 });
  });

  it('writes presence errors by name and code, their driver cause by name and code only', () => {
    const stdout = captureStdout();
    const driver = Object.assign(new Error('connect ECONNREFUSED 10.0.0.12:6379'), {
      code: 'ECONNREFUSED',
    });
    createPowertoolsLogger().error(
      {
        op: 'heartbeat',
        error: new StoreUnavailableError('Redis touch failed', { cause: driver }),
      },
      'heartbeat failed',
    );
    const [line] = stdout.lines();
    stdout.restore();
    expect(line?.error).toEqual({
      name: 'StoreUnavailableError',
      code: 'store_unavailable',
      message: 'Redis touch failed',
      cause: { name: 'Error', code: 'ECONNREFUSED' },
    });
    expect(JSON.stringify(line)).not.toContain('10.0.0.12');
  });
});
