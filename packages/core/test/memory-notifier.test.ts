import { describe, expect, it } from 'vitest';
import { MemoryNotifier, type ServerFrame } from '../src/index.js';

const timeout: ServerFrame = { type: 'presence-timeout', userId: 'alice' };
const update: ServerFrame = {
  type: 'update-presence',
  userId: 'alice',
  url: 'https://github.com/',
  title: 'GitHub',
  domain: 'github.com',
  latestUrl: 'https://github.com/',
  latestTitle: 'GitHub',
  latestDomain: 'github.com',
};

describe('MemoryNotifier', () => {
  it('delivers to every connection and records each frame in order', async () => {
    const notifier = new MemoryNotifier();
    expect(await notifier.send(['a=', 'b='], update)).toEqual({
      delivered: ['a=', 'b='],
      gone: [],
      failed: [],
    });
    await notifier.send(['a='], timeout);
    expect(notifier.sent).toEqual([
      { connectionId: 'a=', frame: update },
      { connectionId: 'b=', frame: update },
      { connectionId: 'a=', frame: timeout },
    ]);
    expect(notifier.framesFor('a=')).toEqual([update, timeout]);
    expect(notifier.framesFor('b=')).toEqual([update]);
    expect(notifier.framesFor('c=')).toEqual([]);
  });

  it('reports marked connections as gone or failed and records nothing for them', async () => {
    const notifier = new MemoryNotifier();
    notifier.markGone('gone=');
    notifier.markFailing('slow=', 'gone=');
    expect(await notifier.send(['ok=', 'gone=', 'slow='], timeout)).toEqual({
      delivered: ['ok='],
      gone: ['gone='],
      failed: ['slow='],
    });
    expect(notifier.sent.map((s) => s.connectionId)).toEqual(['ok=']);
  });

  it('puts each id of a call in exactly one list, duplicates included', async () => {
    const notifier = new MemoryNotifier();
    notifier.markGone('g=');
    notifier.markFailing('f=');
    const ids = ['a=', 'g=', 'a=', 'f=', 'g=', 'b='];
    const report = await notifier.send(ids, timeout);
    const all = [...report.delivered, ...report.gone, ...report.failed];
    expect(all.sort()).toEqual([...new Set(ids)].sort());
    expect(notifier.framesFor('a=')).toHaveLength(1);
  });

  it('an empty call reports nothing', async () => {
    const notifier = new MemoryNotifier();
    expect(await notifier.send([], timeout)).toEqual({ delivered: [], gone: [], failed: [] });
    expect(await notifier.close([])).toEqual({ delivered: [], gone: [], failed: [] });
  });

  it('close records closed sockets, which are gone afterwards', async () => {
    const notifier = new MemoryNotifier();
    notifier.markGone('dead=');
    notifier.markFailing('slow=');
    expect(await notifier.close(['a=', 'dead=', 'slow='])).toEqual({
      delivered: ['a='],
      gone: ['dead='],
      failed: ['slow='],
    });
    expect(notifier.closed).toEqual(['a=']);
    expect(await notifier.send(['a='], timeout)).toEqual({
      delivered: [],
      gone: ['a='],
      failed: [],
    });
    expect(await notifier.close(['a='])).toEqual({ delivered: [], gone: ['a='], failed: [] });
    expect(notifier.closed).toEqual(['a=']);
  });

  it('clear() forgets records but keeps marks; reset() forgets both', async () => {
    const notifier = new MemoryNotifier();
    notifier.markGone('g=');
    await notifier.send(['a='], timeout);
    await notifier.close(['c=']);
    notifier.clear();
    expect(notifier.sent).toEqual([]);
    expect(notifier.closed).toEqual([]);
    expect((await notifier.send(['g=', 'c='], timeout)).gone).toEqual(['g=', 'c=']);
    notifier.reset();
    expect(await notifier.send(['g=', 'c='], timeout)).toEqual({
      delivered: ['g=', 'c='],
      gone: [],
      failed: [],
    });
  });
});
