import { beforeEach, describe, expect, it } from 'vitest';
import { conn, page, type World, world } from './support/service-world.js';

// Issue 14: the latest shared page (and the current one) is shown under the owner's CURRENT
// sharing rule, not the rule in force when it was stored.

const HIDDEN = { url: '', title: '', domain: '' };

describe('the current sharing rule applies to every page shown', () => {
  let w: World;
  beforeEach(async () => {
    w = world();
    await w.service.connect(conn('alice', 'a1'));
    await w.service.connect(conn('carol', 'c1'));
  });

  const denyClinic = () =>
    w.graph.setSharing('carol', {
      shareMode: 'default_all',
      domainAllowList: [],
      domainDenyList: ['Clinic.Example.'],
    });
  const carolSeenBy = async (userId: string) =>
    (await w.service.getPresence(userId)).presenceArr.find((p) => p.userId === 'carol');

  it('GET /presence: a page shared before its domain was denied is hidden, as is the latest page', async () => {
    await w.service.updatePresence(conn('carol', 'c1'), page('https://www.clinic.example/x', 'X'));
    denyClinic();

    expect(await carolSeenBy('alice')).toEqual({
      userId: 'carol',
      page: HIDDEN,
      latestPage: HIDDEN,
    });
    // Her own view follows the same rule.
    const own = await w.service.getPresence('carol');
    expect(own.userPresence).toEqual({ userId: 'carol', page: HIDDEN, latestPage: HIDDEN });
  });

  it('GET /presence: a latest page on a denied domain is all ""; one on another domain stays', async () => {
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/x', 'X'));
    await w.service.updatePresence(conn('carol', 'c1'), page('', ''));
    denyClinic();
    expect(await carolSeenBy('alice')).toEqual({
      userId: 'carol',
      page: HIDDEN,
      latestPage: HIDDEN,
    });

    await w.service.updatePresence(conn('carol', 'c1'), page('https://news.example/n', 'N'));
    await w.service.updatePresence(conn('carol', 'c1'), page('', ''));
    expect(await carolSeenBy('alice')).toEqual({
      userId: 'carol',
      page: HIDDEN,
      latestPage: { url: 'https://news.example/n', title: 'N', domain: 'news.example' },
    });
  });

  it('GET /presence: a current page still allowed beside a latest page now denied', async () => {
    // The latest page moves only with shared pages; a page stored hidden keeps the old latest.
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/x', 'X'));
    w.graph.setSharing('carol', {
      shareMode: 'default_none',
      domainAllowList: ['clinic.example'],
      domainDenyList: [],
    });
    await w.service.updatePresence(conn('carol', 'c1'), page('https://news.example/', 'N'));
    // Stored: current hidden (news.example not allowed), latest clinic.example/x. Switch the rule.
    w.graph.setSharing('carol', {
      shareMode: 'default_none',
      domainAllowList: ['news.example'],
      domainDenyList: [],
    });
    expect(await carolSeenBy('alice')).toEqual({
      userId: 'carol',
      page: HIDDEN,
      latestPage: HIDDEN,
    });
  });

  it('update frames: a hidden update after denying the domain no longer carries latestUrl', async () => {
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/x', 'X'));
    denyClinic();
    w.notifier.clear();

    const { frame } = await w.service.updatePresence(conn('carol', 'c1'), page('', ''));

    expect(frame).toMatchObject({ latestUrl: '', latestTitle: '', latestDomain: '' });
    expect(w.notifier.framesFor('a1')).toEqual([frame]);
  });

  it('GET /presence/{userId}: the current page under the current rule', async () => {
    await w.service.updatePresence(conn('carol', 'c1'), page('https://clinic.example/x', 'X'));
    expect(await w.service.getUserPresence('alice', 'carol')).toEqual({
      url: 'https://clinic.example/x',
      title: 'X',
    });
    denyClinic();
    expect(await w.service.getUserPresence('alice', 'carol')).toEqual({ url: '', title: '' });
    // Her own page is the stored one (read without the graph, so it answers during an outage).
    expect(await w.service.getUserPresence('carol', 'carol')).toEqual({
      url: 'https://clinic.example/x',
      title: 'X',
    });
  });
});
