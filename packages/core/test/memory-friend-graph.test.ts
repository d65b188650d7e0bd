import { describe, expect, it } from 'vitest';
import { ConfigError, type FriendGraphSeed, MemoryFriendGraph } from '../src/index.js';

const user = (userId: string) => ({
  userId,
  firstName: 'F',
  lastName: 'L',
  profileImageExtension: null,
});

describe('MemoryFriendGraph seed validation', () => {
  it.each([
    ['no arrays', {}],
    ['users not an array', { users: 'alice', friendships: [] }],
    ['an empty user id', { users: [user('')], friendships: [] }],
    ['a repeated user id', { users: [user('alice'), user('alice')], friendships: [] }],
    ['a friendship without `to`', { users: [], friendships: [{ from: 'a', accepted: true }] }],
    [
      'a non-boolean accepted',
      { users: [], friendships: [{ from: 'a', to: 'b', accepted: 'yes' }] },
    ],
  ])('rejects %s with ConfigError', (_what, seed) => {
    expect(() => new MemoryFriendGraph(seed as unknown as FriendGraphSeed)).toThrow(ConfigError);
  });

  it('names the offending entry', () => {
    expect(
      () => new MemoryFriendGraph({ users: [user('a'), user('b'), user('a')], friendships: [] }),
    ).toThrow(/users\[2\] repeats user id "a"/);
  });

  it('accepts friendships between users without profiles (rows the user service may hold)', async () => {
    const graph = new MemoryFriendGraph({
      users: [],
      friendships: [{ from: 'a', to: 'b', accepted: true }],
    });
    expect(await graph.friendsOf('a')).toEqual(['b']);
    expect(await graph.profilesOf(['a', 'b'])).toEqual(new Map());
  });

  it('copies the seed: later changes to it do not leak in', async () => {
    const friendships = [{ from: 'a', to: 'b', accepted: true }];
    const allow = ['github.com'];
    const graph = new MemoryFriendGraph({
      users: [
        {
          ...user('a'),
          sharing: { shareMode: 'default_none', domainAllowList: allow, domainDenyList: [] },
        },
      ],
      friendships,
    });
    friendships.push({ from: 'a', to: 'c', accepted: true });
    allow.push('evil.com');
    expect(await graph.friendsOf('a')).toEqual(['b']);
    expect((await graph.sharingSettingsOf('a'))?.domainAllowList).toEqual(['github.com']);
  });

  it('returns fresh friend arrays: mutating one changes nothing', async () => {
    const graph = new MemoryFriendGraph({
      users: [],
      friendships: [{ from: 'a', to: 'b', accepted: true }],
    });
    (await graph.friendsOf('a')).push('x');
    (await graph.friendsOfMany(['a'])).get('a')?.push('y');
    expect(await graph.friendsOf('a')).toEqual(['b']);
  });
});
