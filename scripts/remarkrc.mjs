// remark's configuration for `pnpm check:links` (scripts/check-links.mjs): no output, two checks.
import remarkValidateLinks from 'remark-validate-links';
import remarkLinksStayInside from './lib/remark-links-stay-inside.mjs';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');

/**
 * Links that leave the repository but are reported as known instead of failing the check. Empty:
 * the repository stands on its own, so any link out of it fails `pnpm check:links`.
 */
const TOLERATED = [];

export default {
  plugins: [
    // Relative links must resolve, to files and to headings (in the same or another file).
    // `repository`: links to this repository's own GitHub URLs are checked as local files too.
    [remarkValidateLinks, { repository: 'presence-dev/presence', root }],
    [remarkLinksStayInside, { root, tolerated: TOLERATED }],
  ],
};
