import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPresence, startLocalPresence } from '../src/index.js';

// The demo page in headless Chromium (Debian's `chromium` package, driven by playwright-core):
// two tabs as two friends; one changes page, the other shows it live.

const CHROMIUM = process.env.PRESENCE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../test-artifacts/', import.meta.url);
const available = existsSync(CHROMIUM);
if (!available) {
  const message = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env.CI === 'true')
    throw new Error(`${message}; CI=true: failing instead of skipping`);
  console.warn(`\n!!! SKIPPING the demo page test: ${message}\n`);
}

const BOUND = { timeout: 10_000 };

describe.skipIf(!available)('demo page in headless Chromium', () => {
  let local: LocalPresence;
  let browser: Browser;

  beforeAll(async () => {
    local = await startLocalPresence({ port: 0, sweepIntervalSeconds: 0, logger: silent });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await local?.close();
  });

  it('shows a friend’s page change live, then the friend going offline', async () => {
    // One context (window) per user, so neither tab is a throttled background tab.
    const contexts = await Promise.all(
      [1, 2].map(() => browser.newContext({ viewport: { width: 1100, height: 900 } })),
    );
    const errors: string[] = [];
    const [alice, bob] = await Promise.all(contexts.map((c) => c.newPage()));
    if (alice === undefined || bob === undefined) throw new Error('no pages');
    for (const page of [alice, bob]) page.on('pageerror', (error) => errors.push(error.message));

    await bob.goto(`${local.url}/#user=bob`);
    await bob.waitForSelector('#status[data-state="online"]', BOUND);
    await bob.waitForSelector('li[data-user-id="alice"][data-state="offline"]', BOUND);

    await alice.goto(`${local.url}/#user=alice`);
    await alice.waitForSelector('#status[data-state="online"]', BOUND);
    // Bob learns alice is online from her first frame; connect alone shows her hidden on refresh.
    await alice.fill('#page-url', 'https://github.com/explore');
    await alice.fill('#page-title', 'Explore GitHub');
    await alice.click('#share');

    const title = bob.locator('li[data-user-id="alice"][data-state="online"] .page-title');
    await title.waitFor(BOUND);
    expect(await title.textContent()).toBe('Explore GitHub');
    expect(await bob.locator('li[data-user-id="alice"] .domain').textContent()).toBe('github.com');
    await alice.waitForSelector('#sharing:has-text("Explore GitHub")', BOUND);

    // A sample page, then hiding the activity.
    await alice.click('button.sample:has-text("en.wikipedia.org")');
    await bob.waitForSelector(
      'li[data-user-id="alice"] .page-title:has-text("Presence information - Wikipedia")',
      BOUND,
    );
    await alice.click('#hide');
    await bob.waitForSelector('li[data-user-id="alice"][data-state="hidden"]', BOUND);
    await alice.click('button.sample:has-text("github.com")');
    await bob.waitForSelector('li[data-user-id="alice"][data-state="online"]', BOUND);

    await mkdir(ARTIFACTS, { recursive: true });
    await bob.screenshot({ path: new URL('demo-page.png', ARTIFACTS).pathname, fullPage: true });

    await alice.close();
    await bob.waitForSelector('li[data-user-id="alice"][data-state="offline"]', BOUND);
    expect(errors).toEqual([]);
    await Promise.all(contexts.map((c) => c.close()));
  });
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };
