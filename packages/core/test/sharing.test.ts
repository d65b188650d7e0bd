import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isShareable,
  registrableDomain,
  type SharingSettings,
  sharingListDomain,
  sharingListDomains,
} from '../src/index.js';

const allowGithub: SharingSettings = {
  shareMode: 'default_none',
  domainAllowList: ['github.com', 'foo.github.io'],
  domainDenyList: ['github.com'],
};
const denyFacebook: SharingSettings = {
  shareMode: 'default_all',
  domainAllowList: ['facebook.com'],
  domainDenyList: ['facebook.com'],
};

const denying = (...entries: string[]): SharingSettings => ({
  shareMode: 'default_all',
  domainAllowList: [],
  domainDenyList: entries,
});
const allowing = (...entries: string[]): SharingSettings => ({
  shareMode: 'default_none',
  domainAllowList: entries,
  domainDenyList: [],
});

describe('isShareable: the rule', () => {
  it.each([
    ['default_none shares an allowed domain', 'github.com', allowGithub, true],
    ['default_none shares an allowed private-suffix domain', 'foo.github.io', allowGithub, true],
    ['default_none hides a domain not allowed', 'gitlab.com', allowGithub, false],
    ['default_none ignores the deny list', 'github.com', allowGithub, true],
    ['default_none hides an empty domain', '', allowGithub, false],
    ['default_all hides a denied domain', 'facebook.com', denyFacebook, false],
    ['default_all ignores the allow list', 'facebook.com', denyFacebook, false],
    ['default_all shares anything else', 'github.com', denyFacebook, true],
    ['default_all shares an empty domain (an IP, localhost)', '', denyFacebook, true],
    ['no settings share everything', 'facebook.com', undefined, true],
    ['no settings share an empty domain too', '', undefined, true],
  ] as const)('%s', (_what, domain, settings, expected) => {
    expect(isShareable(domain, settings)).toBe(expected);
  });

  it('default_none with an empty allow list shares nothing (the user_table column defaults)', () => {
    expect(isShareable('github.com', allowing())).toBe(false);
  });
});

describe('isShareable: list entries match pages the way page domains are computed', () => {
  // [what, page URL, settings, shared?]: the page's domain comes from registrableDomain, as in the service.
  it.each([
    ['a deny entry in capitals', 'https://denied.com/x', denying('Denied.COM'), false],
    ['a deny entry with www', 'https://bad.com/', denying('www.bad.com'), false],
    [
      'a deny entry with www, another subdomain',
      'https://mail.bad.com/',
      denying('www.bad.com'),
      false,
    ],
    ['a deny entry with a trailing dot', 'https://bad.com/', denying('bad.com.'), false],
    ['a page with a trailing dot', 'https://bad.com./x', denying('bad.com'), false],
    ['a deny entry with spaces around', 'https://bad.com/', denying('  bad.com\t'), false],
    [
      'a deny entry that is a URL',
      'https://clinic.example/a',
      denying('https://www.clinic.example/appointments?id=1'),
      false,
    ],
    [
      'a deny entry with a path',
      'https://clinic.example/',
      denying('clinic.example/appointments'),
      false,
    ],
    ['a deny entry with a port', 'https://bad.com:8443/', denying('bad.com:8443'), false],
    ['a wildcard deny entry', 'https://example.com/', denying('*.example.com'), false],
    ['a cookie-style deny entry', 'https://www.example.com/', denying('.example.com'), false],
    ['a Unicode deny entry, Unicode page', 'https://bücher.de/', denying('bücher.de'), false],
    [
      'a Unicode deny entry, punycode page',
      'https://xn--bcher-kva.de/',
      denying('BÜCHER.de'),
      false,
    ],
    [
      'a punycode deny entry, Unicode page',
      'https://www.bücher.de/',
      denying('xn--bcher-kva.de'),
      false,
    ],
    ['a multi-label suffix', 'https://www.bbc.co.uk/news', denying('news.bbc.co.uk'), false],
    ['a private suffix stays per site', 'https://bar.github.io/', denying('foo.github.io'), true],
    ['no suffix matching across domains', 'https://notbad.com/', denying('bad.com'), true],
    ['a public suffix entry denies nothing', 'https://foo.github.io/', denying('github.io'), true],
    ['an empty entry denies nothing', 'https://github.com/', denying('', '   '), true],
    ['an empty entry does not deny IP pages', 'http://192.168.1.1/', denying(''), true],
    [
      'an IP entry has no domain (IP pages have none)',
      'http://192.168.1.1/',
      denying('192.168.1.1'),
      true,
    ],
    ['a bare * denies nothing', 'https://github.com/', denying('*'), true],
    ['an allow entry in capitals', 'https://github.com/x', allowing('GitHub.COM'), true],
    [
      'an allow entry shares its subdomains',
      'https://gist.github.com/',
      allowing('github.com'),
      true,
    ],
    [
      'an allow entry with www shares the bare domain',
      'https://github.com/',
      allowing('www.github.com'),
      true,
    ],
    [
      'an allow entry that is a URL shares the domain',
      'https://github.com/other',
      allowing('https://github.com/me'),
      true,
    ],
    [
      'an allow entry does not share other domains',
      'https://notgithub.com/',
      allowing('github.com'),
      false,
    ],
    [
      'a public suffix allow entry shares nothing',
      'https://foo.github.io/',
      allowing('github.io'),
      false,
    ],
    [
      'a malformed allow entry shares nothing',
      'https://github.com/',
      allowing('git hub.com', 'ex*mple.com'),
      false,
    ],
    ['an IP page is never allowed', 'http://10.0.0.1/', allowing('10.0.0.1'), false],
  ] as const)('%s', (_what, url, settings, expected) => {
    expect(isShareable(registrableDomain(url), settings)).toBe(expected);
  });
});

describe('sharingListDomain', () => {
  it.each([
    ['Denied.COM', 'denied.com'],
    ['www.bad.com', 'bad.com'],
    ['bad.com.', 'bad.com'],
    [' \tbad.com\n', 'bad.com'],
    ['https://www.bad.com/path?q=1#x', 'bad.com'],
    ['HTTP://WWW.BAD.COM', 'bad.com'],
    ['bad.com/path', 'bad.com'],
    ['http://user:pw@bad.com:8080/', 'bad.com'],
    ['*.example.com', 'example.com'],
    ['.example.com', 'example.com'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['a.b.foo.github.io', 'foo.github.io'],
    ['www.bbc.co.uk', 'bbc.co.uk'],
    ['', ''],
    ['   ', ''],
    ['*', ''],
    ['*.com', ''],
    ['ex*mple.com', ''],
    ['co.uk', ''],
    ['github.io', ''],
    ['localhost', ''],
    ['printer.local', ''],
    ['192.168.0.1', ''],
    ['[::1]', ''],
    ['not a domain', ''],
    ['chrome://settings', ''],
  ])('%j → %j', (entry, domain) => {
    expect(sharingListDomain(entry)).toBe(domain);
  });

  it('a non-string entry (a malformed settings row) stands for no domain', () => {
    expect(sharingListDomain(42 as unknown as string)).toBe('');
  });

  it('every corpus hostname, written any of five ways in a deny list, hides a page on it', () => {
    const hosts = readFileSync(new URL('./fixtures/hostnames.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .filter((host) => registrableDomain(`https://${host}/`) !== '');
    expect(hosts.length).toBeGreaterThan(300);
    const leaks = hosts.flatMap((host) => {
      const page = registrableDomain(`https://${host}/some/page`);
      const spellings = [
        host.toUpperCase(),
        `${host}.`,
        `www.${host}`,
        `https://${host}/x`,
        ` *.${host} `,
      ];
      return spellings
        .filter((entry) => isShareable(page, denying(entry)))
        .map((entry) => ({ host, entry }));
    });
    expect(leaks).toEqual([]);
  });
});

describe('sharingListDomains: once per settings object', () => {
  it('reads each list once however often the rule is applied, and only the list the mode uses', () => {
    const reads = { allow: 0, deny: 0 };
    const counted = (list: string[], key: keyof typeof reads) =>
      new Proxy(list, {
        get(target, property, receiver) {
          if (property === Symbol.iterator) reads[key] += 1;
          return Reflect.get(target, property, receiver);
        },
      });
    const settings: SharingSettings = {
      shareMode: 'default_all',
      domainAllowList: counted(['github.com'], 'allow'),
      domainDenyList: counted(['Denied.COM', 'www.bad.com'], 'deny'),
    };
    for (let i = 0; i < 1_000; i++) {
      expect(isShareable('denied.com', settings)).toBe(false);
      expect(isShareable('github.com', settings)).toBe(true);
    }
    expect(reads).toEqual({ allow: 0, deny: 1 });
    expect([...sharingListDomains(settings, 'deny')]).toEqual(['denied.com', 'bad.com']);
  });

  it('drops entries with no domain and duplicates', () => {
    const settings = denying('bad.com', 'BAD.com', 'www.bad.com', '', 'co.uk');
    expect([...sharingListDomains(settings, 'deny')]).toEqual(['bad.com']);
  });
});
