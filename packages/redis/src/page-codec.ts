import type { Page } from '@presence/core';

/** Largest chunk of a stored url or title, in UTF-8 bytes: Redis' default `hash-max-listpack-value`. */
const CHUNK_BYTES = 64;

/** Splits text into pieces of at most 64 UTF-8 bytes, never inside a code point. */
export function chunkText(text: string): string[] {
  const chunks: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > CHUNK_BYTES) {
      chunks.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/** Joins the chunk fields `<name>0`, `<name>1`, ... of a user hash. */
function joinChunks(fields: Record<string, string>, name: string): string | undefined {
  let text: string | undefined;
  for (let i = 0; ; i++) {
    const chunk = fields[`${name}${i}`];
    if (chunk === undefined) return text;
    text = (text ?? '') + chunk;
  }
}

/** The page stored under the chunk fields `<prefix>u*` / `<prefix>t*`, or `null` when none. */
export function pageOf(fields: Record<string, string>, prefix: '' | 'l'): Page | null {
  const url = joinChunks(fields, `${prefix}u`);
  if (url === undefined || url === '') return null;
  return { url, title: joinChunks(fields, `${prefix}t`) ?? '' };
}

/** The url and title chunks a write sends (no title chunks for a hidden page). */
export function pageChunks(page: Page): { url: string[]; title: string[] } {
  const url = chunkText(page.url);
  return { url, title: url.length === 0 ? [] : chunkText(page.title) };
}

/** The latest page from the field-value pairs the upsert script returns after its header. */
export function latestFromPairs(pairs: readonly unknown[]): Page | null {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) fields[pairs[i] as string] = pairs[i + 1] as string;
  return pageOf(fields, 'l');
}
