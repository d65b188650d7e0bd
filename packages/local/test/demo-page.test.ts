import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { type Browser, chromium, type Page } from 'playwright-core';
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
/** Reconnecting after a restart waits out the client's backoff (a random time under 1, 2, 4 s...). */
const RECONNECT = { timeout: 20_000 };

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

  it('shows a friend’s page change live, follows a server restart, then the friend going offline', async () => {
    // One context (window) per user, so neither tab is a throttled background tab.
    const contexts = await Promise.all(
      [1, 2].map(() => browser.newContext({ viewport: { width: 1100, height: 900 } })),
    );
    const errors: string[] = [];
    const [alice, bob] = await Promise.all(contexts.map((c) => c.newPage()));
    if (alice === undefined || bob === undefined) throw new Error('no pages');
    for (const page of [alice, bob]) page.on('pageerror', (error) => errors.push(error.message));
    const aliceRow = 'li[data-user-id="alice"]';

    await bob.goto(`${local.url}/#user=bob`);
    await expectText(bob, '#status', 'Connected as Bob Nguyen');
    await expectText(bob, aliceRow, 'Alice Martin offline');

    await alice.goto(`${local.url}/#user=alice`);
    await expectText(alice, '#status', 'Connected as Alice Martin');
    await alice.fill('#page-url', 'https://github.com/explore');
    await alice.fill('#page-title', 'Explore GitHub');
    await alice.click('#share');

    await expectText(bob, aliceRow, 'Alice Martin Explore GitHub github.com');
    expect(await bob.locator(`${aliceRow} a`).getAttribute('href')).toBe(
      'https://github.com/explore',
    );
    await expectText(alice, '#sharing', 'Your friends see: Explore GitHub (github.com)');
    await expectText(bob, '#online-count', '(1 of 3 online)');

    // A sample page, then hiding the activity, then sharing again.
    await alice.click('button.sample:has-text("en.wikipedia.org")');
    await expectText(bob, aliceRow, 'Alice Martin Presence information - Wikipedia wikipedia.org');
    await alice.click('#hide');
    await expectText(
      bob,
      aliceRow,
      'Alice Martin online, activity hidden (last shared: wikipedia.org)',
    );
    await expectText(alice, '#sharing', 'Your friends see: online, activity hidden');
    await alice.click('button.sample:has-text("github.com")');
    await expectText(bob, aliceRow, 'Alice Martin Explore GitHub github.com');

    // The server goes away and comes back on the same port: both pages say so, reconnect by
    // themselves (fresh tokens from the new server), and alice's page is sent again unasked.
    const port = local.port;
    await local.close();
    await expectText(bob, '#status', 'Connection lost, reconnecting…');
    local = await startLocalPresence({ port, sweepIntervalSeconds: 0, logger: silent });
    await expectText(bob, '#status', 'Connected as Bob Nguyen', RECONNECT);
    await expectText(alice, '#status', 'Connected as Alice Martin', RECONNECT);
    await expectText(bob, aliceRow, 'Alice Martin Explore GitHub github.com', RECONNECT);

    await mkdir(ARTIFACTS, { recursive: true });
    await bob.screenshot({ path: new URL('demo-page.png', ARTIFACTS).pathname, fullPage: true });

    await alice.close();
    // The timeout frame carries lastSeenAt (rounded down to 5 minutes): "Active N min ago".
    await expectMatch(bob, aliceRow, /^Alice Martin offline · Active (just now|[0-4] min ago)$/);
    await expectText(bob, '#online-count', '(0 of 3 online)');
    expect(errors).toEqual([]);
    await Promise.all(contexts.map((c) => c.close()));
  });
});

describe.skipIf(!available)('demo page: the signed-in user’s activity history', () => {
  let local: LocalPresence;
  let browser: Browser;

  beforeAll(async () => {
    local = await startLocalPresence({ port: 0, sweepIntervalSeconds: 0, logger: silent });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await local?.close();
  });

  it('lists the shared pages and the online transition (never the hidden page), erases them, and a friend sees "Active … ago"', async () => {
    const contexts = await Promise.all(
      [1, 2].map(() => browser.newContext({ viewport: { width: 1100, height: 900 } })),
    );
    const errors: string[] = [];
    const [frank, grace] = await Promise.all(contexts.map((c) => c.newPage()));
    if (frank === undefined || grace === undefined) throw new Error('no pages');
    for (const page of [frank, grace]) page.on('pageerror', (error) => errors.push(error.message));
    const frankRow = 'li[data-user-id="frank"]';

    await grace.goto(`${local.url}/#user=grace`);
    await expectMatch(grace, '#status', /^Connected as /);
    await frank.goto(`${local.url}/#user=frank`);
    await expectMatch(frank, '#status', /^Connected as /);
    await frank.click('button.sample:has-text("github.com")');
    await expectMatch(grace, frankRow, /Explore GitHub github\.com$/);
    await frank.click('#hide');
    await expectMatch(grace, frankRow, /online, activity hidden/);
    await frank.click('button.sample:has-text("en.wikipedia.org")');
    await expectMatch(grace, frankRow, /wikipedia\.org$/);

    await expectHistory(frank, [
      'Shared Presence information - Wikipedia (wikipedia.org)',
      'Shared Explore GitHub (github.com)',
      'Came online',
    ]);
    await frank.click('#erase-history');
    await expectHistory(frank, []);
    await expectText(frank, '#history-note', 'No activity recorded.');

    await frank.close();
    await expectMatch(grace, frankRow, / offline · Active (just now|[0-4] min ago)$/);
    expect(errors).toEqual([]);
    await Promise.all(contexts.map((c) => c.close()));
  });
});

/** Refreshes the history list until its entries read `want` (bounded): an append runs beside the frames. */
async function expectHistory(page: Page, want: string[]): Promise<void> {
  await expect
    .poll(
      async () => {
        await page.click('#refresh-history');
        await page.waitForSelector('#history[data-state="loaded"]', {
          ...BOUND,
          state: 'attached',
        });
        return page.locator('#history li .what').allInnerTexts();
      },
      { timeout: 10_000, interval: 100 },
    )
    .toEqual(want);
}

type PageDocument = { querySelector(selector: string): { innerText: string } | null };

/** The visible text of `selector`, whitespace collapsed (runs in the page; a function, not a string, which the page's CSP would refuse). */
const visibleText = (selector: string): string | undefined =>
  (globalThis as unknown as { document: PageDocument }).document
    .querySelector(selector)
    ?.innerText.replace(/\s+/g, ' ')
    .trim();

/** Waits (bounded) until the visible text of `selector` is `text`, as a person would read it. */
async function expectText(
  page: Page,
  selector: string,
  text: string,
  bound = BOUND,
): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, want]) =>
        (globalThis as unknown as { document: PageDocument }).document
          .querySelector(sel)
          ?.innerText.replace(/\s+/g, ' ')
          .trim() === want,
      [selector, text] as const,
      // Polled on a timer: requestAnimationFrame (the default) does not run in a background window.
      { ...bound, polling: 100 },
    );
  } catch (error) {
    const seen = await page.evaluate(visibleText, selector);
    throw new Error(`${selector}: expected the text "${text}", saw "${seen}"`, { cause: error });
  }
}

/** Waits (bounded) until the visible text of `selector` matches `pattern`. */
async function expectMatch(
  page: Page,
  selector: string,
  pattern: RegExp,
  bound = BOUND,
): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, source, flags]) =>
        new RegExp(source, flags).test(
          (globalThis as unknown as { document: PageDocument }).document
            .querySelector(sel)
            ?.innerText.replace(/\s+/g, ' ')
            .trim() ?? '',
        ),
      [selector, pattern.source, pattern.flags] as const,
      { ...bound, polling: 100 },
    );
  } catch (error) {
    const seen = await page.evaluate(visibleText, selector);
    const frames = await page.evaluate(visibleText, '#log');
    throw new Error(`${selector}: expected to match ${pattern}, saw "${seen}" (${frames})`, {
      cause: error,
    });
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
