// presence-local demo: a tiny client of the presence API, speaking the same protocol as the
// browser extension (WebSocket frames) and the web client (GET /presence). No framework.

const HEARTBEAT_MS = 60_000;
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
const state = {
  userId: undefined,
  socket: undefined,
  heartbeat: undefined,
  reconnect: undefined,
  wantConnected: false,
  /** userId → { info, page: {url,title,domain}|null, latestPage } */
  friends: new Map(),
};

function log(direction, frame) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${direction} ${JSON.stringify(frame)}`;
  $('log').prepend(item);
  while ($('log').children.length > LOG_LIMIT) $('log').lastElementChild.remove();
}

function setStatus(text, connected) {
  $('status').textContent = text;
  $('status').dataset.state = connected ? 'online' : 'offline';
  for (const id of ['share', 'hide', 'disconnect']) $(id).disabled = !connected;
  $('connect').disabled = connected;
  $('user').disabled = connected;
}

function nameOf(info, userId) {
  const name = [info?.first_name, info?.last_name].filter(Boolean).join(' ');
  return name || userId;
}

function renderFriends() {
  const list = $('friends');
  list.replaceChildren();
  const friends = [...state.friends.entries()].sort(([, a], [, b]) =>
    nameOf(a.info, '').localeCompare(nameOf(b.info, '')),
  );
  $('no-friends').hidden = friends.length > 0;
  let online = 0;
  for (const [userId, friend] of friends) {
    const mode = friend.page === null ? 'offline' : friend.page.url === '' ? 'hidden' : 'online';
    if (mode !== 'offline') online += 1;
    const item = document.createElement('li');
    item.className = `friend ${mode}`;
    item.dataset.userId = userId;
    item.dataset.state = mode;
    const dot = document.createElement('span');
    dot.className = 'dot';
    dot.title = mode;
    const name = document.createElement('strong');
    name.className = 'name';
    name.textContent = nameOf(friend.info, userId);
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
      detail.textContent = 'offline';
    }
    item.append(dot, name, detail);
    list.append(item);
  }
  $('online-count').textContent = `(${online} of ${friends.length} online)`;
}

async function fetchToken(userId) {
  const response = await fetch(`/dev/token/${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`token request failed: HTTP ${response.status}`);
  return (await response.json()).token;
}

async function loadPresence(token) {
  const response = await fetch('/presence', { headers: { Authorization: token } });
  if (!response.ok) throw new Error(`GET /presence failed: HTTP ${response.status}`);
  const body = await response.json();
  state.friends.clear();
  for (const presence of body.presenceArr) {
    state.friends.set(presence.userId, {
      info: body.userInfoMap[presence.userId],
      page: presence.page,
      latestPage: presence.latestPage,
    });
  }
  renderFriends();
}

function send(frame) {
  if (state.socket?.readyState !== WebSocket.OPEN) return;
  state.socket.send(JSON.stringify(frame));
  log('→', frame);
}

function onFrame(event) {
  let frame;
  try {
    frame = JSON.parse(event.data);
  } catch {
    log('← (not JSON!)', String(event.data));
    return;
  }
  log('←', frame);
  if (frame.type === 'update-presence') {
    if (frame.userId === state.userId) {
      $('sharing').textContent = frame.url
        ? `Your friends see: ${frame.title || frame.url} (${frame.domain || 'no domain'})`
        : 'Your friends see: online, activity hidden';
      return;
    }
    const friend = state.friends.get(frame.userId);
    if (friend === undefined) return;
    friend.page = { url: frame.url, title: frame.title, domain: frame.domain };
    friend.latestPage = {
      url: frame.latestUrl,
      title: frame.latestTitle,
      domain: frame.latestDomain,
    };
    renderFriends();
  } else if (frame.type === 'presence-timeout') {
    const friend = state.friends.get(frame.userId);
    if (friend === undefined) return;
    friend.page = null;
    friend.latestPage = null;
    renderFriends();
  }
}

async function connect(userId) {
  state.userId = userId;
  state.wantConnected = true;
  setStatus(`Connecting as ${userId}...`, false);
  $('connect').disabled = true;
  const token = await fetchToken(userId);
  const url = new URL(location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = '/';
  url.hash = '';
  url.search = `?Authorization=${encodeURIComponent(token)}`;
  const socket = new WebSocket(url);
  state.socket = socket;
  socket.addEventListener('message', onFrame);
  socket.addEventListener('open', async () => {
    setStatus(`Connected as ${userId}`, true);
    state.heartbeat = setInterval(() => send({ action: 'heartbeat' }), HEARTBEAT_MS);
    await loadPresence(token).catch((error) => log('!', { error: error.message }));
    const pageUrl = $('page-url').value.trim();
    if (pageUrl) send({ action: 'update-presence', url: pageUrl, title: $('page-title').value });
  });
  socket.addEventListener('close', (event) => {
    clearInterval(state.heartbeat);
    if (state.socket !== socket) return;
    state.socket = undefined;
    setStatus(`Disconnected (${event.code})`, false);
    for (const friend of state.friends.values()) friend.page = null;
    renderFriends();
    // Like the extension: reconnect when the server closed the socket (sweep, restart).
    if (state.wantConnected) {
      state.reconnect = setTimeout(() => connect(userId).catch(onError), 3000);
    }
  });
}

function disconnect() {
  state.wantConnected = false;
  clearTimeout(state.reconnect);
  state.socket?.close(1000);
}

function onError(error) {
  setStatus(`Error: ${error.message}`, false);
}

async function init() {
  const response = await fetch('/dev/users');
  const { users } = await response.json();
  for (const user of users) {
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
      send({ action: 'update-presence', url: sample.url, title: sample.title });
    });
    $('samples').append(button);
  }
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `user=${encodeURIComponent($('user').value)}`;
    connect($('user').value).catch(onError);
  });
  $('disconnect').addEventListener('click', disconnect);
  $('page-form').addEventListener('submit', (event) => {
    event.preventDefault();
    send({
      action: 'update-presence',
      url: $('page-url').value.trim(),
      title: $('page-title').value,
    });
  });
  $('hide').addEventListener('click', () =>
    send({ action: 'update-presence', url: '', title: '' }),
  );
  setStatus('Not connected', false);
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('user');
  if (fromHash && users.some((u) => u.userId === fromHash)) {
    $('user').value = fromHash;
    connect(fromHash).catch(onError);
  }
}

init().catch(onError);
