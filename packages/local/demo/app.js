// presence-local demo: a tiny client of the presence API built on @presence/client (served by
// presence-local at /presence-client.js), which speaks the extension's protocol (WebSocket frames)
// and reads GET /presence like the web client: reconnect, resync and heartbeats are its job.
import { createPresenceClient } from '/presence-client.js';

const LOG_LIMIT = 30;

const SAMPLES = [
  { url: 'https://github.com/explore', title: 'Explore GitHub' },
  {
    url: 'https://en.wikipedia.org/wiki/Presence_information',
    title: 'Presence information - Wikipedia',
  },
  { url: 'https://developer.mozilla.org/en-US/docs/Web/API/WebSocket', title: 'WebSocket - MDN' },
  {
    url: 'https://stackoverflow.com/questions/tagged/websocket',
    title: 'Newest websocket questions',
  },
  { url: 'https://www.bbc.co.uk/news', title: 'BBC News' },
];

const $ = (id) => document.getElementById(id);
/** The running client, or undefined when disconnected. */
let client;
/** userId → "First Last" of the demo users (from /dev/users). */
const names = new Map();
/** The signed-in user, or undefined. */
let currentUser;

function log(direction, frame) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${direction} ${JSON.stringify(frame)}`;
  $('log').prepend(item);
  while ($('log').children.length > LOG_LIMIT) $('log').lastElementChild.remove();
}

const STATUS_TEXT = {
  connecting: (name) => `Connecting as ${name}…`,
  open: (name) => `Connected as ${name}`,
  reconnecting: () => 'Connection lost, reconnecting…',
  closed: () => 'Not connected',
};

function setStatus(status, text) {
  const connected = status === 'open';
  $('status').textContent = text;
  $('status').dataset.state = connected ? 'online' : status === 'closed' ? 'offline' : 'pending';
  for (const id of ['share', 'hide', 'refresh-history', 'erase-history'])
    $(id).disabled = !connected;
  $('disconnect').disabled = status === 'closed';
  $('connect').disabled = status !== 'closed';
  $('user').disabled = status !== 'closed';
}

/** "Active 5 min ago" from a `lastSeenAt` (ISO 8601, rounded down by the server), or undefined. */
function activeAgo(lastSeenAt, now = Date.now()) {
  const at = Date.parse(lastSeenAt ?? '');
  if (Number.isNaN(at)) return undefined;
  const minutes = Math.max(0, Math.floor((now - at) / 60_000));
  if (minutes < 1) return 'Active just now';
  if (minutes < 60) return `Active ${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `Active ${hours} h ago`;
  return `Active ${Math.floor(hours / 24)} d ago`;
}

function nameOf(friend) {
  const name = [friend.profile?.firstName, friend.profile?.lastName].filter(Boolean).join(' ');
  return name || names.get(friend.userId) || friend.userId;
}

function renderFriends() {
  const list = $('friends');
  list.replaceChildren();
  const friends = [...(client?.friends.values() ?? [])].sort((a, b) =>
    nameOf(a).localeCompare(nameOf(b)),
  );
  $('no-friends').hidden = friends.length > 0 || client?.self === undefined;
  let online = 0;
  for (const friend of friends) {
    const mode = friend.page === null ? 'offline' : friend.page.url === '' ? 'hidden' : 'online';
    if (mode !== 'offline') online += 1;
    const item = document.createElement('li');
    item.className = `friend ${mode}`;
    item.dataset.userId = friend.userId;
    item.dataset.state = mode;
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.title = mode;
    const name = document.createElement('strong');
    name.className = 'name';
    name.textContent = nameOf(friend);
    const detail = document.createElement('span');
    detail.className = 'page';
    if (mode === 'online') {
      const link = document.createElement('a');
      link.href = friend.page.url;
      link.rel = 'noreferrer noopener';
      link.target = '_blank';
      link.className = 'page-title';
      link.textContent = friend.page.title || friend.page.url;
      const domain = document.createElement('span');
      domain.className = 'domain';
      domain.textContent = friend.page.domain;
      detail.append(link, ' ', domain);
    } else if (mode === 'hidden') {
      detail.textContent = 'online, activity hidden';
      if (friend.latestPage?.url)
        detail.textContent += ` (last shared: ${friend.latestPage.domain || friend.latestPage.url})`;
    } else {
      const ago = activeAgo(friend.lastSeenAt);
      detail.textContent = ago === undefined ? 'offline' : `offline · ${ago}`;
      if (ago !== undefined) detail.title = friend.lastSeenAt;
    }
    item.append(dot, name, ' ', detail);
    list.append(item);
  }
  $('online-count').textContent = client ? `(${online} of ${friends.length} online)` : '';
}

function renderSelf(self) {
  $('sharing').textContent =
    self.page === null
      ? ''
      : self.page.url
        ? `Your friends see: ${self.page.title || self.page.url} (${self.page.domain || 'no domain'})`
        : 'Your friends see: online, activity hidden';
}

async function fetchToken(userId) {
  const response = await fetch(`/dev/token/${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`token request failed: HTTP ${response.status}`);
  return (await response.json()).token;
}

const HISTORY_TEXT = {
  online: () => 'Came online',
  offline: () => 'Went offline',
  'update-presence': (entry) =>
    `Shared ${entry.page.title || entry.page.url} (${entry.page.domain || 'no domain'})`,
};

/** Calls `/activity` as the signed-in user (a fresh development token each time). */
async function activityRequest(method) {
  const token = await fetchToken(currentUser);
  return fetch('/activity?limit=20', { method, headers: { Authorization: `Bearer ${token}` } });
}

async function loadHistory() {
  const list = $('history');
  if (currentUser === undefined) {
    list.replaceChildren();
    $('history-note').textContent = '';
    return;
  }
  list.dataset.state = 'loading';
  try {
    const response = await activityRequest('GET');
    list.replaceChildren();
    if (response.status === 404) {
      $('history-note').textContent = 'Activity history is off on this server (--no-activity).';
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { entries, nextCursor } = await response.json();
    for (const entry of entries) {
      const item = document.createElement('li');
      item.dataset.type = entry.type;
      const time = document.createElement('time');
      time.dateTime = entry.at;
      time.textContent = new Date(entry.at).toLocaleTimeString();
      const what = document.createElement('span');
      what.className = 'what';
      what.textContent = (HISTORY_TEXT[entry.type] ?? (() => entry.type))(entry);
      item.append(time, ' ', what);
      list.append(item);
    }
    $('history-note').textContent =
      entries.length === 0
        ? 'No activity recorded.'
        : nextCursor === null
          ? ''
          : 'Showing the 20 most recent entries.';
  } catch (error) {
    $('history-note').textContent = `History unavailable: ${error.message}`;
  } finally {
    list.dataset.state = 'loaded';
  }
}

async function eraseHistory() {
  $('history').dataset.state = 'loading';
  try {
    const response = await activityRequest('DELETE');
    if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status}`);
    log('→', { eraseHistory: response.status });
  } catch (error) {
    $('history-note').textContent = `Erasing failed: ${error.message}`;
  }
  await loadHistory();
}

function setPage(page) {
  client?.setPage(page);
  log('→', { setPage: page });
}

function connect(userId) {
  client?.close();
  const name = names.get(userId) ?? userId;
  const wsUrl = new URL('/', location.href);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  currentUser = userId;
  const current = createPresenceClient({
    url: wsUrl.href,
    restUrl: location.origin,
    // A development token from presence-local, fetched anew for every connection.
    token: () => fetchToken(userId),
  });
  client = current;
  current.on('status', (status) => {
    if (client !== current) return;
    setStatus(status, STATUS_TEXT[status](name));
    if (status === 'open') loadHistory();
  });
  for (const event of ['sync', 'update', 'offline']) current.on(event, renderFriends);
  current.on('self', renderSelf);
  current.on('frame', (frame) => log('←', frame));
  current.on('error', (error) => {
    log('!', { error: error.code, message: error.message });
    if (error.code === 'unauthorized' || error.code === 'forbidden')
      setStatus('closed', `Not connected: ${error.message}`);
  });
  setStatus(current.status, STATUS_TEXT[current.status](name));
  const pageUrl = $('page-url').value.trim();
  if (pageUrl) current.setPage({ url: pageUrl, title: $('page-title').value });
}

function disconnect() {
  client?.close();
  client = undefined;
  currentUser = undefined;
  loadHistory();
  $('sharing').textContent = '';
  renderFriends();
  setStatus('closed', STATUS_TEXT.closed());
}

async function init() {
  const response = await fetch('/dev/users');
  const { users } = await response.json();
  for (const user of users) {
    names.set(user.userId, `${user.firstName} ${user.lastName}`);
    const option = document.createElement('option');
    option.value = user.userId;
    option.textContent = `${user.firstName} ${user.lastName} (${user.userId})`;
    $('user').append(option);
  }
  for (const sample of SAMPLES) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.textContent = new URL(sample.url).hostname;
    button.addEventListener('click', () => {
      $('page-url').value = sample.url;
      $('page-title').value = sample.title;
      setPage(sample);
    });
    $('samples').append(button);
  }
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `user=${encodeURIComponent($('user').value)}`;
    connect($('user').value);
  });
  $('disconnect').addEventListener('click', disconnect);
  $('page-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setPage({ url: $('page-url').value.trim(), title: $('page-title').value });
  });
  $('hide').addEventListener('click', () => setPage(null));
  $('refresh-history').addEventListener('click', () => loadHistory());
  $('erase-history').addEventListener('click', () => eraseHistory());
  setStatus('closed', STATUS_TEXT.closed());
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('user');
  if (fromHash && users.some((u) => u.userId === fromHash)) {
    $('user').value = fromHash;
    connect(fromHash);
  }
}

init().catch((error) => setStatus('closed', `Error: ${error.message}`));
