import type { FriendGraphSeed } from '@presence/core';

/** Cognito usernames as the user service stores them (federated and native). */
export const ALICE = 'google_117429865182265482928';
export const BOB = '3f1c2a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c';
export const CAROL = 'carol.lopez';
/** Nobody's friend. */
export const DAVE = 'dave';
/** Alice sent Erin a request that is still pending: not friends. */
export const ERIN = 'erin';

/**
 * Alice–Bob accepted in both directions (two rows: deduplicated), Carol–Alice accepted, Alice→Erin
 * pending, Dave a stranger. Alice shares everything but bank.com; Bob shares only mozilla.org pages.
 */
export const SEED: FriendGraphSeed = {
  users: [
    {
      userId: ALICE,
      firstName: 'Alice',
      lastName: 'Martin',
      profileImageExtension: 'png',
      sharing: { shareMode: 'default_all', domainAllowList: [], domainDenyList: ['bank.com'] },
    },
    {
      userId: BOB,
      firstName: 'Bob',
      lastName: 'Nguyen',
      profileImageExtension: null,
      sharing: { shareMode: 'default_none', domainAllowList: ['mozilla.org'], domainDenyList: [] },
    },
    { userId: CAROL, firstName: 'Carol', lastName: 'Lopez', profileImageExtension: 'jpg' },
    { userId: DAVE, firstName: 'Dave', lastName: 'Smith', profileImageExtension: null },
    { userId: ERIN, firstName: 'Erin', lastName: 'Kim', profileImageExtension: null },
  ],
  friendships: [
    { from: ALICE, to: BOB, accepted: true },
    { from: BOB, to: ALICE, accepted: true },
    { from: CAROL, to: ALICE, accepted: true },
    { from: ALICE, to: ERIN, accepted: false },
  ],
};
