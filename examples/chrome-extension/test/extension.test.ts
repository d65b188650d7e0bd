import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalPresence, startLocalPresence } from '@presence/local';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The MV3 example extension, built into dist/ and loaded unpacked with --load-extension into two
// headless Chromium profiles (two user-data dirs): alice and bob, friends in the demo seed. Each
// browses (pages served by request interception, no network) and reads the other's page in the
// extension's popup, which the service worker keeps up to date through @presence/client.

const CHROMIUM = process.env.PRESENCE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const EXTENSION = fileURLToPath(new URL('../dist/', import.meta.url));
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
const available = existsSync(CHROMIUM);
if (!available) {
  const message = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI === 'true')
    throw new Error(`${message}; CI=true: failing instead of skipping`);
  console.warn(`\n!!! SKIPPING the extension test: ${message}\n`);
}

const BOUND = { timeout: 15_000 };
const PAGES: Record<string, string> = {
  'https://github.com/explore': 'Explore GitHub',
  'https://en.wikipedia.org/wiki/Presence_information': 'Presence information - Wikipedia',
  'https://developer.mozilla.org/en-US/': 'MDN Web Docs',
};

interface Profile {
  readonly context: BrowserContext;
  readonly popup: Page;
  readonly browse: Page;
}

describe.skipIf(!available)('the MV3 example extension in headless Chromium', () => {
  let local: LocalPresence;
  let dataDirs: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    local = await startLocalPresence({ port: 0, sweepIntervalSeconds: 0, logger: silent });
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await local?.close();
    await Promise.all(dataDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** A browser profile with the extension, signed in as `userId` through its popup. */
  async function profile(userId: string): Promise<Profile> {
    const dir = await mkdtemp(join(tmpdir(), `presence-ext-${userId}-`));
    dataDirs = [...dataDirs, dir];
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--disable-extensions-except=${EXTENSION}`,
        `--load-extension=${EXTENSION}`,
      ],
    });
    contexts.push(context);
    await context.route('https://**/*', (route) => {
      const url = route.request().url();
      const title = PAGES[url] ?? 'Not found';
      return route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>${title}</title><h1>${title}</h1>`,
      });
    });
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    const extensionId = new URL(worker.url()).host;
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.fill('#server', local.url);
    await popup.fill('#user', userId);
    await popup.click('button[type="submit"]');
    await expectText(popup, '#status', `Connected as ${userId}`);
    const browse = await context.newPage();
    return { context, popup, browse };
  }

  /** Opens `url` in the profile's browsing tab and makes that tab the active one. */
  async function visit(p: Profile, url: string): Promise<void> {
    await p.browse.goto(url);
    await p.browse.bringToFront();
  }

  it('each profile sees the other’s page change, through the service worker and its popup', async () => {
    const alice = await profile('alice');
    const bob = await profile('bob');

    await visit(alice, 'https://github.com/explore');
    await expectText(
      bob.popup,
      'li[data-user-id="alice"]',
      'Alice Martin: Explore GitHub (github.com)',
    );

    await visit(bob, 'https://en.wikipedia.org/wiki/Presence_information');
    await expectText(
      alice.popup,
      'li[data-user-id="bob"]',
      'Bob Nguyen: Presence information - Wikipedia (wikipedia.org)',
    );

    // A tab switch: alice opens MDN in a second tab, then goes back to the first one.
    const second = await alice.context.newPage();
    await second.goto('https://developer.mozilla.org/en-US/');
    await second.bringToFront();
    await expectText(
      bob.popup,
      'li[data-user-id="alice"]',
      'Alice Martin: MDN Web Docs (mozilla.org)',
    );
    await alice.browse.bringToFront();
    await expectText(
      bob.popup,
      'li[data-user-id="alice"]',
      'Alice Martin: Explore GitHub (github.com)',
    );

    // The popup itself is not a web page: looking at it shares nothing.
    await bob.popup.bringToFront();
    await expectText(alice.popup, 'li[data-user-id="bob"]', 'Bob Nguyen: online, activity hidden');

    await mkdir(ARTIFACTS, { recursive: true });
    await alice.popup.screenshot({ path: fileURLToPath(new URL('popup-alice.png', ARTIFACTS)) });

    // Bob closes his browser: alice's popup says so.
    await bob.context.close();
    await expectText(alice.popup, 'li[data-user-id="bob"]', 'Bob Nguyen: offline');
    expect(local.connections).toBe(1);
  });
});

type PageDocument = { querySelector(selector: string): { innerText: string } | null };

/** The visible text of `selector`, whitespace collapsed (runs in the page). */
const visibleText = (selector: string): string | undefined =>
  (globalThis as unknown as { document: PageDocument }).document
    .querySelector(selector)
    ?.innerText.replace(/\s+/g, ' ')
    .trim();

/** Waits (bounded) until the visible text of `selector` is `text`, as a person would read it. */
async function expectText(page: Page, selector: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, want]) =>
        (globalThis as unknown as { document: PageDocument }).document
          .querySelector(sel)
          ?.innerText.replace(/\s+/g, ' ')
          .trim() === want,
      [selector, text] as const,
      // Polled on a timer: requestAnimationFrame does not run in a background tab.
      { ...BOUND, polling: 100 },
    );
  } catch (error) {
    const seen = await page.evaluate(visibleText, selector).catch(() => '(page closed)');
    throw new Error(`${selector}: expected the text "${text}", saw "${seen}"`, { cause: error });
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
