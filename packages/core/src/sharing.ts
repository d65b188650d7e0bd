import { domainOfHostname } from './domain.js';
import type { SharingSettings } from './model.js';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * The registrable domain a sharing-list entry stands for, computed the way page domains are
 * (`registrableDomain`), or `""` when it stands for none (and so matches no page):
 * - case, surrounding whitespace and a trailing dot do not matter: `Denied.COM`, ` bad.com.`;
 * - a subdomain stands for its registrable domain, as pages are matched by theirs: `www.bad.com`
 *   and `*.bad.com` (a leading `*.` or `.` is dropped) both mean `bad.com`;
 * - a URL or a host with a path, port or user info stands for its host's domain:
 *   `https://www.bad.com/x?y`, `bad.com/x`, `bad.com:8080` mean `bad.com` (sharing is decided per
 *   domain, so a path cannot narrow it);
 * - Unicode and punycode are the same domain: `bücher.de` means `xn--bcher-kva.de`, like the URL of
 *   a page on it;
 * - no domain: an empty or blank entry, `*`, a public suffix alone (`co.uk`, `github.io`: list
 *   `you.github.io`), an IP address, `localhost`, `.local` hosts, other wildcards, anything that is
 *   not a host name. Pages on IPs and single-label hosts have no domain either: `default_all` shares
 *   them and `default_none` never does, whatever the lists say.
 * @example sharingListDomain('https://WWW.Bad.com./path') // 'bad.com'
 */
export function sharingListDomain(entry: string): string {
  if (typeof entry !== 'string') return '';
  let text = entry.trim();
  if (text.startsWith('*.')) text = text.slice(2);
  else if (text.startsWith('.')) text = text.slice(1);
  if (text === '' || text.includes('*')) return '';
  let hostname: string;
  try {
    hostname = new URL(SCHEME.test(text) ? text : `http://${text}`).hostname;
  } catch {
    return '';
  }
  return domainOfHostname(hostname);
}

// Raw entry → domain, shared by all settings objects: lists repeat across users and calls.
// Cleared when full, so a stream of distinct entries cannot grow it without bound.
const ENTRY_CACHE_MAX = 10_000;
const entryCache = new Map<string, string>();

function cachedDomain(entry: string): string {
  let domain = entryCache.get(entry);
  if (domain === undefined) {
    domain = sharingListDomain(entry);
    if (entryCache.size >= ENTRY_CACHE_MAX) entryCache.clear();
    entryCache.set(entry, domain);
  }
  return domain;
}

interface NormalisedLists {
  allow?: ReadonlySet<string>;
  deny?: ReadonlySet<string>;
}

// Each settings object's lists are normalised once, the first time they are consulted.
const normalised = new WeakMap<SharingSettings, NormalisedLists>();

function domainSet(list: readonly string[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const entry of list) {
    const domain = cachedDomain(entry);
    if (domain !== '') set.add(domain);
  }
  return set;
}

/**
 * The domains a settings object's list stands for ({@link sharingListDomain} of each entry, those
 * with no domain left out), computed once per settings object (which is treated as immutable).
 */
export function sharingListDomains(
  settings: SharingSettings,
  list: 'allow' | 'deny',
): ReadonlySet<string> {
  let lists = normalised.get(settings);
  if (lists === undefined) {
    lists = {};
    normalised.set(settings, lists);
  }
  if (list === 'allow') {
    lists.allow ??= domainSet(settings.domainAllowList);
    return lists.allow;
  }
  lists.deny ??= domainSet(settings.domainDenyList);
  return lists.deny;
}

/**
 * The extension's sharing rule, applied again on the server: share when the mode is `default_none`
 * and the domain is allowed, or `default_all` and the domain is not denied. `domain` is a page's
 * registrable domain as `registrableDomain(url)` computes it; list entries are normalised to the
 * same form ({@link sharingListDomain}: case, trailing dot, subdomains, URLs, Unicode), once per
 * settings object. Settings `undefined` (the user is unknown to the user service, or the graph keeps
 * no settings) share everything, as the extension already filtered the page. An empty domain (IP,
 * localhost) is never in a list.
 */
export function isShareable(domain: string, settings: SharingSettings | undefined): boolean {
  if (settings === undefined) return true;
  if (settings.shareMode === 'default_all') {
    return domain === '' || !sharingListDomains(settings, 'deny').has(domain);
  }
  return domain !== '' && sharingListDomains(settings, 'allow').has(domain);
}
