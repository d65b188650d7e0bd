import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_LIMITS, InvalidInputError, MemoryActivityLog } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

describe('MemoryActivityLog', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
    'refuses retentionMs %s with a ConfigError',
    (retentionMs) => {
      expect(() => new MemoryActivityLog({ retentionMs })).toThrow(ConfigError);
    },
  );

  it('applies the limits it is given', async () => {
    const log = new MemoryActivityLog({ limits: { ...DEFAULT_LIMITS, maxUrlLength: 20 } });
    const page = { url: 'https://example.com/long', title: '' };
    await expect(
      log.append({ userId: 'a', at: 1, type: 'update-presence', page }),
    ).rejects.toSatisfy(InvalidInputError.isInstance);
  });

  it('retention defaults to 30 days', async () => {
    const clock = new FakeClock();
    const log = new MemoryActivityLog({ clock });
    await log.append({ userId: 'a', at: clock.now(), type: 'online' });
    clock.advance(30 * 86_400_000 - 1);
    expect((await log.list('a')).entries).toHaveLength(1);
    clock.advance(1);
    expect((await log.list('a')).entries).toHaveLength(0);
  });
});
