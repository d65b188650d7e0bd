import { StoreUnavailableError } from '@presence/core';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

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
