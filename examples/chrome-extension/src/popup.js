// The popup: settings, then the friends the service worker relays, as a person reads them.
const $ = (id) => document.getElementById(id);
const STATUS = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Not connected',
};

function describe(friend) {
  if (friend.page === null) return 'offline';
  if (friend.page.url === '') return 'online, activity hidden';
  return `${friend.page.title || friend.page.url} (${friend.page.domain || 'no domain'})`;
}

function render(state) {
  if (state === undefined) return;
  const who = state.self ? ` as ${state.self.userId}` : '';
  $('status').textContent = `${STATUS[state.status]}${state.status === 'open' ? who : ''}`;
  const name = (f) => (f.profile ? `${f.profile.firstName} ${f.profile.lastName}` : f.userId);
  const friends = [...state.friends].sort((a, b) => name(a).localeCompare(name(b)));
  $('friends').replaceChildren(
    ...friends.map((f) => {
      const item = document.createElement('li');
      item.dataset.userId = f.userId;
      item.className = f.page === null ? 'offline' : 'online';
      item.textContent = `${name(f)}: ${describe(f)}`;
      return item;
    }),
  );
}

chrome.runtime.onMessage.addListener((message) => {
  if (message?.type === 'presence') render(message.state);
});
const stored = await chrome.storage.local.get();
if (stored.server) $('server').value = stored.server;
if (stored.userId) $('user').value = stored.userId;
$('settings').addEventListener('submit', (event) => {
  event.preventDefault();
  chrome.storage.local.set({ server: $('server').value.trim(), userId: $('user').value.trim() });
});
render(await chrome.runtime.sendMessage({ type: 'get' }));
