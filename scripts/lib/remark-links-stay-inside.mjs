// A remark plugin: every link and image of a Markdown file stays inside the repository. The repo
// is read on its own (and its READMEs in npm tarballs), so a relative link that climbs out of it
// (`../shared/spec/PROTOCOL.md`) or a `file:` URL points at nothing for its readers, even on a
// machine where the target happens to exist. Whether inside links resolve, anchors included, is
// remark-validate-links' job; external http(s) links are never fetched.
import { isAbsolute, relative, resolve } from 'node:path';

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const LINKS = new Set(['link', 'image', 'definition']);

/** Calls `visit` on every node of the tree, depth first. */
function walk(node, visit) {
  visit(node);
  for (const child of node.children ?? []) walk(child, visit);
}

/**
 * The plugin. `options.root` is the repository root (absolute); `options.tolerated` lists links
 * (`{ file, url }`, file relative to the root) reported on stderr as known instead of failing.
 * @param {{ root: string, tolerated?: { file: string, url: string }[] }} options
 */
export default function remarkLinksStayInside(options) {
  const root = options.root;
  const tolerated = options.tolerated ?? [];
  return (tree, file) => {
    const where = relative(root, resolve(file.cwd, file.path));
    walk(tree, (node) => {
      if (!LINKS.has(node.type) || typeof node.url !== 'string') return;
      const url = node.url.trim();
      if (url === '' || url.startsWith('#') || url.startsWith('//')) return;
      const place = { place: node.position, ruleId: 'links-stay-inside', source: 'presence' };
      if (/^file:/i.test(url)) {
        file.message(
          `\`${url}\` points at a local file system: link a path inside the repository`,
          place,
        );
        return;
      }
      if (SCHEME.test(url)) return;
      const path = decodeURIComponent(url.replace(/[?#].*$/, ''));
      const target = path.startsWith('/')
        ? resolve(root, `.${path}`)
        : resolve(file.cwd, file.dirname ?? '.', path);
      const inside = relative(root, target);
      if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
        if (tolerated.some((known) => known.file === where && known.url === url)) {
          const line = node.position?.start.line ?? 0;
          console.error(
            `${where}:${line}  \`${url}\` leaves the repository (known: tolerated until the docs land, see scripts/remarkrc.mjs)`,
          );
          return;
        }
        file.message(
          `\`${url}\` leaves the repository (it resolves to ${target}): link a file inside it`,
          place,
        );
      }
    });
  };
}
