import { getDomain } from 'tldts';

/**
 * Registrable domain (eTLD+1, private suffixes included) of a URL, as the deployed clients compute it
 * with `psl.parse(hostname).domain`; `""` for an empty or unparseable URL, an IP address, or a
 * host with no registrable domain (`localhost`, a bare public suffix).
 * @example registrableDomain('https://foo.github.io/x') // 'foo.github.io'
 */
export function registrableDomain(url: string): string {
  if (url === '') return '';
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return '';
  }
  return domainOfHostname(hostname);
}

/** Registrable domain of an already extracted hostname (see {@link registrableDomain}). */
export function domainOfHostname(hostname: string): string {
  if (hostname === '' || hostname.startsWith('[')) return '';
  // psl gives mDNS `.local` hosts no domain (a rule in its code, not in the suffix list); so do we.
  if (hostname === 'local' || hostname.endsWith('.local')) return '';
  return getDomain(hostname, { allowPrivateDomains: true, detectIp: true }) ?? '';
}
