import { describe, expect, it } from 'vitest';
import {
  ActivityUnavailableError,
  ConfigError,
  ForbiddenError,
  GraphUnavailableError,
  HTTP_STATUS_BY_CODE,
  httpStatusOf,
  IdentityUnavailableError,
  InvalidFrameError,
  InvalidInputError,
  isUnavailable,
  NotFoundError,
  NotifierUnavailableError,
  PresenceError,
  RateLimitedError,
  StoreUnavailableError,
  UnauthorizedError,
} from '../src/index.js';

const MARKER = Symbol.for('@presence/core/error');

/** What an error thrown by another copy of this package looks like to this one. */
function fromAnotherCopy(code: string, message = 'from another copy'): Error {
  const error = new Error(message);
  Object.defineProperty(error, MARKER, { value: true });
  return Object.assign(error, { code });
}

describe('PresenceError', () => {
  it('keeps code, message, name and cause', () => {
    const cause = new Error('ECONNREFUSED 127.0.0.1:6379');
    const error = new StoreUnavailableError('redis is unreachable', { cause });
    expect(error).toBeInstanceOf(PresenceError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('store_unavailable');
    expect(error.name).toBe('StoreUnavailableError');
    expect(error.message).toBe('redis is unreachable');
    expect(error.cause).toBe(cause);
  });

  it('has no cause property when none is given', () => {
    expect('cause' in new InvalidInputError('bad')).toBe(false);
  });

  it('isInstance accepts an error from another copy of the package (a plain object with the marker)', () => {
    const foreign = fromAnotherCopy('forbidden');
    expect(foreign).not.toBeInstanceOf(PresenceError);
    expect(PresenceError.isInstance(foreign)).toBe(true);
    expect(ForbiddenError.isInstance(foreign)).toBe(true);
    expect(NotFoundError.isInstance(foreign)).toBe(false);
    expect(httpStatusOf(foreign)).toBe(403);
    const plain = { [MARKER]: true, code: 'graph_unavailable', message: 'x' };
    expect(PresenceError.isInstance(plain)).toBe(true);
    expect(GraphUnavailableError.isInstance(plain)).toBe(true);
  });

  it('isInstance rejects look-alikes without the marker, or with a non-string code', () => {
    expect(PresenceError.isInstance(Object.assign(new Error('x'), { code: 'forbidden' }))).toBe(
      false,
    );
    expect(PresenceError.isInstance({ [MARKER]: 'yes', code: 'forbidden' })).toBe(false);
    expect(PresenceError.isInstance({ [MARKER]: true, code: 403 })).toBe(false);
    expect(
      PresenceError.isInstance({ [Symbol('@presence/core/error')]: true, code: 'forbidden' }),
    ).toBe(false);
    for (const value of [null, undefined, 'forbidden', 403, new Error('x')]) {
      expect(PresenceError.isInstance(value)).toBe(false);
    }
  });

  it('each subclass recognises only its own code', () => {
    const classes = [
      [InvalidInputError, 'invalid_input'],
      [InvalidFrameError, 'invalid_frame'],
      [UnauthorizedError, 'unauthorized'],
      [ForbiddenError, 'forbidden'],
      [NotFoundError, 'not_found'],
      [RateLimitedError, 'rate_limited'],
      [StoreUnavailableError, 'store_unavailable'],
      [GraphUnavailableError, 'graph_unavailable'],
      [NotifierUnavailableError, 'notifier_unavailable'],
      [IdentityUnavailableError, 'identity_unavailable'],
      [ActivityUnavailableError, 'activity_unavailable'],
      [ConfigError, 'invalid_config'],
    ] as const;
    for (const [Class, code] of classes) {
      const error = new Class('m');
      expect(error.code).toBe(code);
      expect(error.name).toBe(Class.name);
      for (const [Other] of classes) expect(Other.isInstance(error)).toBe(Other === Class);
    }
  });
});

describe('httpStatusOf', () => {
  it.each([
    [new InvalidInputError('x'), 400],
    [new InvalidFrameError('x'), 400],
    [new UnauthorizedError('x'), 401],
    [new ForbiddenError('x'), 403],
    [new NotFoundError('x'), 404],
    [new RateLimitedError('x'), 429],
    [new StoreUnavailableError('x'), 503],
    [new GraphUnavailableError('x'), 503],
    [new NotifierUnavailableError('x'), 503],
    [new IdentityUnavailableError('x'), 503],
    [new ActivityUnavailableError('x'), 503],
    [new ConfigError('x'), 500],
    [new Error('x'), 500],
    [new TypeError('x'), 500],
    ['a string', 500],
    [undefined, 500],
  ])('%s → %i', (error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });

  it('the table covers every code with a 4xx or 5xx status', () => {
    for (const status of Object.values(HTTP_STATUS_BY_CODE)) {
      expect(status >= 400 && status < 600).toBe(true);
    }
    expect(Object.isFrozen(HTTP_STATUS_BY_CODE)).toBe(true);
  });

  it('isUnavailable is true for backend outages only', () => {
    expect(isUnavailable(new StoreUnavailableError('x'))).toBe(true);
    expect(isUnavailable(fromAnotherCopy('notifier_unavailable'))).toBe(true);
    expect(isUnavailable(new ForbiddenError('x'))).toBe(false);
    expect(isUnavailable(new Error('ECONNRESET'))).toBe(false);
  });
});
