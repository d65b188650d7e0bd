/**
 * The synthetic population every phase shares: ids, friend lists and pages are pure functions of
 * an index, so Postgres, Redis and the workers agree without passing lists around.
 *
 * Regular users `0..users-1` form a ring lattice: user i is friends with i±1..i±(friends/2), so
 * everyone has exactly `friends` accepted friends. Hub users (`hub-<k>`) have k friends each (the
 * regular users from a per-hub offset on), for the get-presence and fan-out scaling curves.
 */
export interface Dataset {
  /** Regular users. */
  readonly users: number;
  /** Accepted friends per regular user (even). */
  readonly friends: number;
  /** Friend counts of the hub users. */
  readonly hubSizes: readonly number[];
}

/** A Cognito-style user id (UUID shape, 36 chars) for regular user `i`. */
export function userId(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

/** SQL expression producing {@link userId} of the integer expression `expr`. */
export function userIdSql(expr: string): string {
  return `('00000000-0000-4000-8000-' || lpad((${expr})::text, 12, '0'))`;
}

/** The hub user with `size` friends (UUID shape too). */
export function hubId(size: number): string {
  return `00000000-0000-4000-9000-${String(size).padStart(12, '0')}`;
}

/** First regular user befriended by the hub of `size` (hubs overlap nothing, when users allow). */
export function hubOffset(dataset: Dataset, size: number): number {
  const before = dataset.hubSizes.filter((s) => s < size).reduce((a, b) => a + b, 0);
  return before % dataset.users;
}

/** Friends of the hub of `size`: regular users from its offset on. */
export function hubFriends(dataset: Dataset, size: number): string[] {
  const offset = hubOffset(dataset, size);
  return Array.from({ length: Math.min(size, dataset.users) }, (_, k) =>
    userId((offset + k) % dataset.users),
  );
}

/** Accepted friends of regular user `i` (ring lattice; hub links not included). */
export function friendsOfIndex(dataset: Dataset, i: number): number[] {
  const half = dataset.friends / 2;
  const out: number[] = [];
  for (let k = 1; k <= half; k += 1) {
    out.push((i + k) % dataset.users, (i - k + dataset.users) % dataset.users);
  }
  return out;
}

/**
 * An API Gateway-style connection id (16 chars of base64 alphabet, like `L0SM9cOFvHcCIhw=`) for
 * user `i`'s connection number `n`; `tag` separates populations of different phases.
 */
export function connectionId(i: number, n = 0, tag = 'A'): string {
  return `${tag}${n.toString(36)}${i.toString(36).padStart(8, '0')}`.padEnd(15, 'x').concat('=');
}

/** A realistic shared page of about 150 bytes of JSON (`{"url":...,"title":...}`). */
export function pageOf(i: number): { url: string; title: string } {
  const n = String(i % 100_000).padStart(5, '0');
  return {
    url: `https://www.example-news.com/articles/2024/06/${n}/a-long-headline-slug-of-the-story`,
    title: `Story ${n}: the headline of a story of typical length`,
  };
}
