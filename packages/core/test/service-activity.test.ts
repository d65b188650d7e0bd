import { describe, expect, it } from 'vitest';
import {
  type ActivityLog,
  ActivityUnavailableError,
  type ConnectionNotifier,
  httpStatusOf,
  type Logger,
  MemoryActivityLog,
  MemoryNotifier,
  PresenceService,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { conn, page, TIMEOUT, world } from './support/service-world.js';

function withLog(
  log?: ActivityLog,
  extra: { logger?: Logger; notifier?: ConnectionNotifier } = {},
) {
  const clock = new FakeClock();
  const activityLog = log ?? new MemoryActivityLog({ clock });
  const w = world({ clock }, { activityLog, ...extra });
  return { ...w, log: activityLog };
}

const kinds = async (log: ActivityLog, userId: string) =>
  (await log.list(userId)).entries.map((e) =>
    e.type === 'update-presence' ? `page ${e.page.url} @${e.at}` : `${e.type} @${e.at}`,
  );

describe('activity history', () => {
  it('records online, each shared page that was sent, and offline at the last activity', async () => {
    const w = withLog();
    const t0 = w.clock.now();
    const first = await w.service.connect(conn('alice', 'a1'));
    expect(first).toEqual({ cameOnline: true, activityFailures: 0 });
    expect(await w.service.connect(conn('alice', 'a2'))).toEqual({
      cameOnline: false,
      activityFailures: 0,
    });
    w.clock.advance(1_000);
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x', 'X'));
    w.clock.advance(1_000);
    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x', 'X'));
    await w.service.updatePresence(conn('alice', 'a1'), page('', ''));
    await w.service.updatePresence(conn('alice', 'a1'), page('chrome://settings', 'S'));
    w.clock.advance(1_000);
    await w.service.disconnect('a1');
    w.clock.advance(5_000);
    await w.service.disconnect('a2');

    // Newest first. The repeat was skipped (not sent, not recorded); hidden pages never are; the
    // offline entry is at the last disconnect, the user's last activity.
    expect(await kinds(w.log, 'alice')).toEqual([
      `offline @${t0 + 8_000}`,
      `page https://github.com/x @${t0 + 1_000}`,
      `online @${t0}`,
    ]);
  });

  it('a swept user gets offline at their last heartbeat, not at the sweep', async () => {
    const w = withLog();
    const t0 = w.clock.now();
    await w.service.connect(conn('alice', 'a1'));
    w.clock.advance(30_000);
    await w.service.heartbeat(conn('alice', 'a1'));
    w.clock.advance(TIMEOUT + 1);

    const report = await w.service.sweep();

    expect(report).toMatchObject({ offline: 1, activityFailures: 0 });
    expect(await kinds(w.log, 'alice')).toEqual([`offline @${t0 + 30_000}`, `online @${t0}`]);
  });

  it('a heartbeat that brings back a user the store lost records online', async () => {
    const w = withLog();
    await w.service.connect(conn('alice', 'a1'));
    await w.store.removeConnection('a1');
    const result = await w.service.heartbeat(conn('alice', 'a1'));
    expect(result).toEqual({ wasRegistered: false, cameOnline: true, activityFailures: 0 });
    expect((await w.log.list('alice')).entries.filter((e) => e.type === 'online')).toHaveLength(2);
  });

  it('a failing log never fails the operation nor stops the frames: a warn line without the URL and a count', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (fields) => warnings.push(fields),
      error() {},
    };
    const failing: ActivityLog = {
      append: async () => {
        throw new ActivityUnavailableError('dynamodb down');
      },
      list: async () => ({ entries: [], nextCursor: null }),
      erase: async () => {},
    };
    const w = withLog(failing, { logger });
    await w.service.connect(conn('bob', 'b1'));
    expect((await w.service.connect(conn('alice', 'a1'))).activityFailures).toBe(1);

    const result = await w.service.updatePresence(
      conn('alice', 'a1'),
      page('https://secret.example/path', 'Secret'),
    );
    const gone = await w.service.disconnect('a1');

    expect(result.activityFailures).toBe(1);
    expect(w.notifier.framesFor('b1')).toHaveLength(2);
    expect(gone).toMatchObject({ userOffline: true, notified: 1, activityFailures: 1 });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({ code: 'activity_unavailable' });
    expect(JSON.stringify(warnings)).not.toMatch(/secret|Secret/);
  });

  it('appends run beside the posts: an append that waits for the fan-out does not hold it up, and is awaited before returning', async () => {
    const clock = new FakeClock();
    const inner = new MemoryNotifier();
    let posted!: () => void;
    const fanOut = new Promise<void>((resolve) => {
      posted = resolve;
    });
    const notifier: ConnectionNotifier = {
      send: async (ids, frame) => {
        posted();
        return inner.send(ids, frame);
      },
      close: (ids) => inner.close(ids),
    };
    let appended = false;
    const log = new MemoryActivityLog({ clock });
    const waiting: ActivityLog = {
      append: async (entry) => {
        // Resolves only once the frame went out: an append awaited before the fan-out would hang.
        if (entry.type === 'update-presence') await fanOut;
        const written = await log.append(entry);
        appended = true;
        return written;
      },
      list: (id, options) => log.list(id, options),
      erase: (id) => log.erase(id),
    };
    const w = world({ clock }, { activityLog: waiting, notifier });
    await w.service.connect(conn('alice', 'a1'));
    appended = false;

    await w.service.updatePresence(conn('alice', 'a1'), page('https://github.com/x'));

    expect(inner.framesFor('a1')).toHaveLength(1);
    expect(appended).toBe(true);
  });

  describe('listActivity / eraseActivity', () => {
    it('read and erase the caller’s own history only', async () => {
      const w = withLog();
      await w.service.connect(conn('alice', 'a1'));
      await w.service.connect(conn('bob', 'b1'));

      const page1 = await w.service.listActivity('alice', { limit: 1 });
      expect(page1.entries.map((e) => e.type)).toEqual(['online']);
      expect(await w.service.listActivity('alice', { userId: 'alice' })).toEqual(page1);
      const stranger = await w.service
        .listActivity('bob', { userId: 'alice' })
        .catch((e: unknown) => e);
      expect(httpStatusOf(stranger)).toBe(403);
      expect(
        httpStatusOf(await w.service.eraseActivity('bob', { userId: 'alice' }).catch((e) => e)),
      ).toBe(403);
      expect((await w.service.listActivity('alice')).entries).toHaveLength(1);

      await w.service.eraseActivity('alice');

      expect((await w.service.listActivity('alice')).entries).toEqual([]);
      expect((await w.service.listActivity('bob')).entries).toHaveLength(1);
    });

    it('answer 404 without an activity log, 400 for a bad id, limit or cursor', async () => {
      const none = world();
      expect(httpStatusOf(await none.service.listActivity('alice').catch((e) => e))).toBe(404);
      expect(httpStatusOf(await none.service.eraseActivity('alice').catch((e) => e))).toBe(404);
      const w = withLog();
      for (const call of [
        () => w.service.listActivity('a/b'),
        () => w.service.listActivity('alice', { limit: 0 }),
        () => w.service.listActivity('alice', { cursor: 'not-a-cursor' }),
        () => w.service.eraseActivity('alice', { userId: '' }),
      ]) {
        expect(httpStatusOf(await call().catch((e: unknown) => e))).toBe(400);
      }
    });
  });

  it('without an activity log nothing is appended and every count is 0', async () => {
    const service = new PresenceService({
      store: world().store,
      graph: world().graph,
      notifier: new MemoryNotifier(),
    });
    expect(await service.connect(conn('alice', 'a1'))).toEqual({
      cameOnline: true,
      activityFailures: 0,
    });
  });
});
