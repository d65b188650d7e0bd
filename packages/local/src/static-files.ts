import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { DEMO_DIR } from './seed.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** The demo page's files: a fixed list, so no path from a request ever reaches the file system. */
const FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
};

/** The demo page imports `@presence/client` from here: the installed package's ESM entry. */
const CLIENT_PATH = '/presence-client.js';

/** Serves one of the demo page's files; resolves false when `path` is not one of them. */
export async function serveDemoFile(path: string, response: ServerResponse): Promise<boolean> {
  const name = path === CLIENT_PATH ? 'presence-client.js' : FILES[path];
  if (name === undefined) return false;
  const body = await readFile(
    path === CLIENT_PATH
      ? createRequire(import.meta.url).resolve('@presence/client')
      : new URL(name, DEMO_DIR),
  );
  response.writeHead(200, {
    'Content-Type': TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': 'no-cache',
    'Content-Security-Policy':
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'",
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
  return true;
}
