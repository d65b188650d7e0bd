import { readFileSync } from 'node:fs';
import psl from 'psl';
import { describe, expect, it } from 'vitest';
import { domainOfHostname, registrableDomain } from '../src/index.js';

const HOSTNAMES = readFileSync(new URL('./fixtures/hostnames.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** What the clients compute: `psl.parse(hostname).domain`, `""` when psl has none or errors. */
function pslDomain(hostname: string): string {
  const parsed = psl.parse(hostname);
  return parsed.error === undefined ? (parsed.domain ?? '') : '';
}

/**
 * Hosts where psl 1.15.0 and tldts 7.6.0 answer differently because they ship different versions
 * of the Public Suffix List data (not a difference in how the list is applied). Each entry pins
 * both answers, so a dependency update that changes either one shows up here.
 */
const PSL_VERSION_SKEW: Readonly<Record<string, { psl: string; tldts: string }>> = {
  // blogspot.co.uk and glitch.me were removed from the list after psl's snapshot.
  'myblog.blogspot.co.uk': { psl: 'myblog.blogspot.co.uk', tldts: 'blogspot.co.uk' },
  'myapp.glitch.me': { psl: 'myapp.glitch.me', tldts: 'glitch.me' },
  // surge.sh was added to the list after psl's snapshot.
  'mysite.surge.sh': { psl: 'surge.sh', tldts: 'mysite.surge.sh' },
  // *.bd and *.kh wildcards were replaced by explicit second-level suffixes (com.bd, com.kh, ...).
  'x.y.example.bd': { psl: 'y.example.bd', tldts: 'example.bd' },
  'x.y.example.kh': { psl: 'y.example.kh', tldts: 'example.kh' },
};

const COMPARED = HOSTNAMES.filter((h) => !(h in PSL_VERSION_SKEW));

describe('registrableDomain / domainOfHostname agree with psl', () => {
  it('the corpus is large and varied enough to mean something', () => {
    expect(HOSTNAMES.length).toBeGreaterThanOrEqual(400);
    expect(new Set(HOSTNAMES).size).toBe(HOSTNAMES.length);
    expect(COMPARED.filter((h) => pslDomain(h) !== '').length).toBeGreaterThanOrEqual(350);
  });

  it('domainOfHostname(host) === psl.parse(host).domain for every corpus hostname', () => {
    const mismatches = COMPARED.map((host) => ({
      host,
      psl: pslDomain(host),
      ours: domainOfHostname(host),
    })).filter((r) => r.psl !== r.ours);
    expect(mismatches).toEqual([]);
  });

  it('registrableDomain(`https://${host}/`) === psl on the URL hostname, wherever psl has a domain', () => {
    const mismatches = COMPARED.flatMap((host) => {
      const url = `https://${host}/`;
      const expected = pslDomain(new URL(url).hostname);
      if (expected === '') return [];
      const ours = registrableDomain(url);
      return ours === expected ? [] : [{ host, psl: expected, ours }];
    });
    expect(mismatches).toEqual([]);
  });

  it.each(Object.entries(PSL_VERSION_SKEW))(
    'known PSL version skew on %s is exactly as pinned',
    (host, { psl: expectedPsl, tldts }) => {
      expect(HOSTNAMES).toContain(host);
      expect(pslDomain(host)).toBe(expectedPsl);
      expect(domainOfHostname(host)).toBe(tldts);
    },
  );

  it.each(['example.local', 'a.b.local', 'local'])(
    '%s under mDNS .local gets no domain, as psl special-cases it in code',
    (host) => {
      expect(pslDomain(host)).toBe('');
      expect(domainOfHostname(host)).toBe('');
    },
  );
});

describe('registrableDomain: hosts with no registrable domain give ""', () => {
  it.each([
    ['the empty string', ''],
    ['IPv4', 'http://127.0.0.1/'],
    ['IPv4 with port', 'https://192.168.1.20:8443/admin'],
    ['IPv4 out of range is not a URL', 'https://256.1.1.1/'],
    ['IPv4 in hex, normalised by URL', 'http://0x7f.0.0.1/'],
    ['IPv4 as one number', 'http://2130706433/'],
    ['IPv6 loopback', 'http://[::1]:8080/'],
    ['IPv6', 'https://[2001:db8::1]/x'],
    ['IPv4-mapped IPv6', 'https://[::ffff:10.0.0.1]/'],
    ['localhost', 'http://localhost:4200/'],
    ['a single-label host', 'http://intranet/wiki'],
    ['a bare TLD', 'https://com/'],
    ['a bare multi-level public suffix', 'https://co.uk/'],
    ['a bare private suffix', 'https://github.io/'],
    ['a bare private suffix with a trailing dot', 'https://herokuapp.com./'],
    ['not a URL', 'not a url'],
    ['a relative path', '/presence'],
    ['a host without a scheme', 'example.com'],
    ['mailto:', 'mailto:alice@example.com'],
    ['file:', 'file:///etc/passwd'],
    ['chrome:', 'chrome://extensions'],
    ['chrome-extension:', 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/popup.html'],
    ['about:', 'about:blank'],
    ['data:', 'data:text/html,hi'],
    ['javascript:', 'javascript:alert(1)'],
    ['view-source:', 'view-source:https://example.com/'],
    ['blob:', 'blob:https://example.com/550e8400-e29b-41d4-a716-446655440000'],
    ['garbage', 'https://%%%/'],
    ['a space in the host', 'https://exa mple.com/'],
  ])('%s', (_what, url) => {
    expect(registrableDomain(url)).toBe('');
  });
});

describe('domainOfHostname: hostnames with no registrable domain give ""', () => {
  it.each([
    '',
    '127.0.0.1',
    '10.0.0.255',
    '::1',
    '[::1]',
    '2001:db8::1',
    'localhost',
    'intranet',
    'com',
    'co.uk',
    'github.io',
    'blogspot.com',
    '.',
    '..',
    'a..b.com',
    '-bad-.com',
  ])('%j', (hostname) => {
    expect(domainOfHostname(hostname)).toBe('');
  });
});

describe('registrableDomain: URL details do not change the answer', () => {
  it.each([
    ['https://user:pw@sub.example.co.uk:8443/p?q=1#h', 'example.co.uk'],
    ['HTTPS://WWW.EXAMPLE.COM/PATH', 'example.com'],
    ['https://www.google.com./', 'google.com'],
    ['https://bücher.ch/', 'xn--bcher-kva.ch'],
    ['https://例え.jp/', 'xn--r8jz45g.jp'],
    ['http://foo.github.io/x', 'foo.github.io'],
    ['wss://echo.example.org/socket', 'example.org'],
  ])('%s → %s', (url, domain) => {
    expect(registrableDomain(url)).toBe(domain);
  });
});
