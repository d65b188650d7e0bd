// The extension's presence code: share the active tab's page, keep friends' presence, relay it to
// the popup. Reconnect, resync, heartbeats and the MV3 keep-alive are @presence/client's job.
import { createPresenceClient } from '@presence/client';

let client;

async function start() {
  client?.close();
  client = undefined;
  const { server = 'http://127.0.0.1:3000', userId } = await chrome.storage.local.get();
  if (!userId) return;
  const api = new URL(server);
  client = createPresenceClient({
    url: `${api.protocol === 'https:' ? 'wss' : 'ws'}://${api.host}/`,
    restUrl: api.origin,
    // Development only: presence-local mints tokens. A real extension returns its ID token here.
    token: async () =>
      (await (await fetch(`${api.origin}/dev/token/${encodeURIComponent(userId)}`)).json()).token,
  });
  for (const type of ['sync', 'update', 'offline', 'self', 'status']) client.on(type, relay);
  await shareActiveTab();
}

const state = () => ({
  status: client?.status ?? 'closed',
  self: client?.self,
  friends: [...(client?.friends.values() ?? [])],
});

function relay() {
  const now = state();
  const online = now.friends.filter((f) => f.page !== null).length;
  chrome.action.setBadgeText({ text: online > 0 ? String(online) : '' });
  chrome.runtime.sendMessage({ type: 'presence', state: now }).catch(() => undefined); // no popup open
}

// Only web pages are shared; anything else (new tab, settings) shows as "activity hidden".
const pageOf = (tab) =>
  /^https?:/.test(tab?.url ?? '') ? { url: tab.url, title: tab.title ?? '' } : null;

async function shareActiveTab() {
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  if (tab !== undefined) client?.setPage(pageOf(tab));
}

chrome.tabs.onActivated.addListener(shareActiveTab);
chrome.windows.onFocusChanged.addListener(shareActiveTab);
chrome.tabs.onUpdated.addListener((_id, change, tab) => {
  if (tab.active && (change.status === 'complete' || change.title !== undefined))
    client?.setPage(pageOf(tab));
});
chrome.storage.onChanged.addListener(start);
chrome.runtime.onMessage.addListener((message, _sender, reply) => {
  if (message?.type === 'get') reply(state());
});
// Wakes a stopped worker once a minute, which runs this file again and reconnects.
chrome.alarms.create('wake', { periodInMinutes: 1 });
chrome.alarms.onAlarm.addListener(() => undefined);
start();
