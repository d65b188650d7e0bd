import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_FRIENDS,
  DEFAULT_MAX_RESPONSE_BYTES,
  type FriendGraphSeed,
  httpStatusOf,
  MemoryFriendGraph,
  MemoryNotifier,
  MemoryPresenceStore,
  type Page,
  PresenceService,
  type PresenceStore,
  SIZE_CHECK_FRIENDS,
  TooManyFriendsError,
} from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';
import { override } from './support/service-world.js';

// GET /presence grows with the friend list. Sizes are measured here (bytes of the JSON body, no
// timing) and the limit checked: Lambda answers at most 6 MB.

const LAMBDA_RESPONSE_CAP = 6_000_000;
/** The largest JSON one friend adds, as SIZE_CHECK_FRIENDS's documentation computes it. */
const WORST_BYTES_PER_FRIEND = 6_326;

interface Hub {
  readonly service: PresenceService;
  readonly reads: { presence: number };
}

/** A caller `hub` with `friends` friends, the first `online` of them on `pageOf(i)`. */
async function hub(
  friends: number,
  options: {
    online: number;
    pageOf?: (i: number) => Page;
    idOf?: (i: number) => string;
    name?: string;
    maxFriends?: number;
    maxResponseBytes?: number;
  },
): Promise<Hub> {
  const idOf = options.idOf ?? ((i: number) => `friend-${i}`);
  const name = options.name ?? 'Name';
  const seed: FriendGraphSeed = {
    users: [
      { userId: 'hub', firstName: name, lastName: name, profileImageExtension: 'png' },
      ...Array.from({ length: friends }, (_, i) => ({
        userId: idOf(i),
        firstName: name,
        lastName: name,
        profileImageExtension: 'jpeg',
      })),
    ],
    friendships: Array.from({ length: friends }, (_, i) => ({
      from: 'hub',
      to: idOf(i),
      accepted: true,
    })),
  };
  const clock = new FakeClock();
  const memory = new MemoryPresenceStore({ clock });
  for (let i = 0; i < options.online; i++) {
    const ref = { userId: idOf(i), connectionId: `C${i}=` };
    await memory.setPage(ref, options.pageOf?.(i) ?? { url: '', title: '' }, true, clock.now());
  }
  const reads = { presence: 0 };
  const store = override<PresenceStore>(memory, {
    presenceOf: async (ids: readonly string[]) => {
      reads.presence += 1;
      return memory.presenceOf(ids);
    },
  });
  const service = new PresenceService({
    store,
    graph: new MemoryFriendGraph(seed),
    notifier: new MemoryNotifier(),
    clock,
    ...(options.maxFriends === undefined ? {} : { maxFriends: options.maxFriends }),
    ...(options.maxResponseBytes === undefined
      ? {}
      : { maxResponseBytes: options.maxResponseBytes }),
  });
  return { service, reads };
}

const bodyBytes = async (h: Hub) =>
  Buffer.byteLength(JSON.stringify(await h.service.getPresence('hub')), 'utf8');

/** A page like the bench's: a 115-byte URL and a 35-byte title. */
const typical = (i: number): Page => ({
  url: `https://www.example-news-site.com/section/2024/05/01/${String(i).padStart(8, '0')}-an-article-about-something-interesting.html`,
  title: `An article about something, no. ${String(i).padStart(3, '0')}`.slice(0, 35),
});

describe('GET /presence for large friend lists', () => {
  it('refuses more than maxFriends friends with a typed 413, reading nothing from the store', async () => {
    const over = await hub(DEFAULT_MAX_FRIENDS + 1, { online: 0 });
    const error = await over.service.getPresence('hub').catch((e: unknown) => e);
    expect(TooManyFriendsError.isInstance(error)).toBe(true);
    expect(httpStatusOf(error)).toBe(413);
    expect((error as Error).message).toMatch(/5001 friends.*at most 5000/);
    expect(over.reads.presence).toBe(0);

    const at = await hub(DEFAULT_MAX_FRIENDS, { online: 0 });
    expect((await at.service.getPresence('hub')).presenceArr).toHaveLength(DEFAULT_MAX_FRIENDS);
  });

  const { maxUrlLength, maxTitleLength, maxUserIdLength } = DEFAULT_LIMITS;
  const host = 'a-long-registrable-domain-name-of-sixty-three-characters-abcdefg.com';
  const maximal = (i: number): Page => {
    const start = `https://${host}/${i}/`;
    return {
      url: start + 'p'.repeat(maxUrlLength - start.length),
      title: 't'.repeat(maxTitleLength),
    };
  };

  it('up to SIZE_CHECK_FRIENDS friends, a body of maximal pages, ids and names stays under the documented bound', async () => {
    const h = await hub(SIZE_CHECK_FRIENDS, {
      online: SIZE_CHECK_FRIENDS,
      idOf: (i) => `${i}-`.padEnd(maxUserIdLength, 'x'),
      name: 'n'.repeat(64),
      pageOf: maximal,
    });

    const bytes = await bodyBytes(h);

    expect(bytes).toBeLessThanOrEqual((SIZE_CHECK_FRIENDS + 1) * WORST_BYTES_PER_FRIEND);
    expect(bytes).toBeLessThan(LAMBDA_RESPONSE_CAP);
  });

  it('above SIZE_CHECK_FRIENDS, a body over maxResponseBytes is refused with a typed 413 (never a crash), a smaller one answered', async () => {
    // 1,200 friends on maximal pages: about 7 MB once escaped, over the default 6 MB.
    const large = await hub(1_200, { online: 1_200, pageOf: maximal });
    const error = await large.service.getPresence('hub').catch((e: unknown) => e);
    expect(TooManyFriendsError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`1200 friends would be \\d+ bytes.*at most ${DEFAULT_MAX_RESPONSE_BYTES}`),
    );

    // The same friends on typical pages: answered.
    const typicalHub = await hub(1_000, { online: 1_000, pageOf: typical });
    expect((await typicalHub.service.getPresence('hub')).presenceArr).toHaveLength(1_000);
  });

  it('5,000 friends on typical pages fit in a Lambda response; 20,000 online do not and are refused', async () => {
    const measure = { maxFriends: 20_000, maxResponseBytes: 100_000_000 };
    const five = await hub(5_000, { online: 5_000, pageOf: typical, ...measure });
    const twenty = await hub(20_000, { online: 20_000, pageOf: typical, ...measure });
    const twentyOffline = await hub(20_000, { online: 0, ...measure });

    const sizes = {
      fiveOnline: await bodyBytes(five),
      twentyOnline: await bodyBytes(twenty),
      twentyOffline: await bodyBytes(twentyOffline),
    };

    expect(sizes.fiveOnline).toBeLessThan(LAMBDA_RESPONSE_CAP);
    expect(sizes.twentyOnline).toBeGreaterThan(LAMBDA_RESPONSE_CAP);
    expect(sizes.twentyOffline).toBeLessThan(LAMBDA_RESPONSE_CAP);
    // Online friends grow linearly: four times the friends, four times the body (±1%).
    expect(sizes.twentyOnline / sizes.fiveOnline).toBeGreaterThan(3.96);
    expect(sizes.twentyOnline / sizes.fiveOnline).toBeLessThan(4.04);
    // With the default response limit, the 20,000 online friends get a typed 413, not a crash.
    const refused = await hub(20_000, { online: 20_000, pageOf: typical, maxFriends: 20_000 });
    const error = await refused.service.getPresence('hub').catch((e: unknown) => e);
    expect(TooManyFriendsError.isInstance(error)).toBe(true);
  }, 60_000);
});
