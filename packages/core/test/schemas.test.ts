import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  errorFrame,
  InvalidFrameError,
  parseClientFrame,
  serverFrameSchema,
} from '../src/index.js';

function frameError(raw: string, limits = DEFAULT_LIMITS): InvalidFrameError {
  try {
    parseClientFrame(raw, limits);
  } catch (error) {
    if (error instanceof InvalidFrameError) return error;
    throw error;
  }
  throw new Error(`parseClientFrame accepted ${raw}`);
}

describe('parseClientFrame', () => {
  it('parses a heartbeat', () => {
    expect(parseClientFrame('{"action":"heartbeat"}')).toEqual({ action: 'heartbeat' });
  });

  it('parses an update-presence frame, hidden pages included', () => {
    expect(
      parseClientFrame('{"action":"update-presence","url":"https://github.com/","title":"GitHub"}'),
    ).toEqual({ action: 'update-presence', url: 'https://github.com/', title: 'GitHub' });
    expect(parseClientFrame('{"action":"update-presence","url":"","title":""}')).toEqual({
      action: 'update-presence',
      url: '',
      title: '',
    });
  });

  it('ignores extra keys', () => {
    expect(parseClientFrame('{"action":"heartbeat","tabId":7,"extra":{"a":1}}')).toEqual({
      action: 'heartbeat',
    });
    expect(
      parseClientFrame('{"action":"update-presence","url":"u","title":"t","favicon":"f"}'),
    ).toEqual({ action: 'update-presence', url: 'u', title: 't' });
  });

  it('rejects a frame over maxFrameBytes, counting UTF-8 bytes', () => {
    const limits = { ...DEFAULT_LIMITS, maxFrameBytes: 64 };
    const fits = `{"action":"update-presence","url":"","title":"${'a'.repeat(15)}"}`;
    expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(64);
    expect(parseClientFrame(fits, limits)).toMatchObject({ action: 'update-presence' });
    const multibyte = `{"action":"update-presence","url":"","title":"${'é'.repeat(15)}"}`;
    expect(multibyte.length).toBeLessThanOrEqual(64);
    expect(frameError(multibyte, limits).message).toMatch(/larger than 64 bytes/);
    expect(frameError(' '.repeat(DEFAULT_LIMITS.maxFrameBytes + 1)).message).toMatch(/larger/);
  });

  it.each([
    ['not JSON', 'heartbeat'],
    ['truncated JSON', '{"action":"heartbeat"'],
    ['empty', ''],
  ])('rejects %s', (_what, raw) => {
    expect(frameError(raw).message).toBe('frame is not valid JSON');
  });

  it.each([
    ['an unknown action', '{"action":"subscribe"}'],
    ['no action', '{"url":"u","title":"t"}'],
    ['a non-string action', '{"action":1}'],
    ['JSON null', 'null'],
    ['a JSON array', '[{"action":"heartbeat"}]'],
    ['a JSON string', '"heartbeat"'],
  ])('rejects %s with the list of actions', (_what, raw) => {
    expect(frameError(raw).message).toMatch(/"heartbeat", "update-presence"/);
  });

  it.each([
    ['url', '{"action":"update-presence","title":"t"}'],
    ['title', '{"action":"update-presence","url":"u"}'],
    ['url', '{"action":"update-presence","url":null,"title":"t"}'],
    ['title', '{"action":"update-presence","url":"u","title":5}'],
  ])('rejects an update-presence frame with a missing or invalid %s, naming it', (field, raw) => {
    const error = frameError(raw);
    expect(error.code).toBe('invalid_frame');
    expect(error.message).toContain(field);
    expect(error.cause).toBeDefined();
  });

  it('never echoes the frame content in the error message', () => {
    const secret = 'https://private.example.com/secret-token-abc';
    expect(frameError(`{"action":"update-presence","url":"${secret}"}`).message).not.toContain(
      'secret',
    );
  });
});

describe('errorFrame', () => {
  it('builds a JSON error frame the server frame schema accepts', () => {
    const frame = errorFrame('invalid_frame', 'frame is not valid JSON');
    expect(frame).toEqual({
      type: 'error',
      code: 'invalid_frame',
      message: 'frame is not valid JSON',
    });
    expect(serverFrameSchema.parse(frame)).toEqual(frame);
  });
});
