import { describe, expect, it } from 'vitest';
import { isShareable, type SharingSettings } from '../src/index.js';

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

describe('isShareable', () => {
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
    ['matching is exact, not by suffix', 'www.github.com', allowGithub, false],
    ['no settings share everything', 'facebook.com', undefined, true],
    ['no settings share an empty domain too', '', undefined, true],
  ] as const)('%s', (_what, domain, settings, expected) => {
    expect(isShareable(domain, settings)).toBe(expected);
  });

  it('default_none with an empty allow list shares nothing (the user_table column defaults)', () => {
    const defaults: SharingSettings = {
      shareMode: 'default_none',
      domainAllowList: [],
      domainDenyList: [],
    };
    expect(isShareable('github.com', defaults)).toBe(false);
  });
});
