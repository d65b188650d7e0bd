import type { SharingSettings } from './model.js';

/**
 * The extension's sharing rule, applied again on the server: share when the mode is `default_none`
 * and the domain is allowed, or `default_all` and the domain is not denied. Settings `undefined`
 * (the user is unknown to the user service, or the graph keeps no settings) share everything, as
 * the extension already filtered the page. An empty domain (IP, localhost) is never in a list.
 */
export function isShareable(domain: string, settings: SharingSettings | undefined): boolean {
  if (settings === undefined) return true;
  if (settings.shareMode === 'default_all') return !settings.domainDenyList.includes(domain);
  return domain !== '' && settings.domainAllowList.includes(domain);
}
