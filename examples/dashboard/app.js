/* global document, window, sessionStorage, graphqlWs */
/**
 * Metergraph live alarm dashboard: plain browser JavaScript, no build step.
 *
 * Talks to /graphql on its own origin (serve.mjs forwards it to the API): queries and mutations
 * over HTTP POST, the collectionAlarms subscription over graphql-ws on the same path.
 */

const GRAPHQL_PATH = '/graphql';
/** Rows shown at most; the newest first. */
const MAX_ROWS = 50;
/** A quiet full reload picks up what the subscription does not push (repeats, others' actions). */
const RELOAD_EVERY_MS = 60_000;
/** Refresh the access token this long before it expires. */
const REFRESH_AHEAD_MS = 60_000;
/** A new row stays highlighted this long. */
const HIGHLIGHT_MS = 4_000;
/** A ping without a pong for this long means the connection is dead. */
const PONG_TIMEOUT_MS = 5_000;
/** Roles the server lets acknowledge alarms (it checks again on every request). */
const CAN_ACKNOWLEDGE = new Set(['ADMIN', 'STATION_MANAGER']);
const SEVERITIES = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'];
const SESSION_KEY = 'metergraph.dashboard.session';

const USER_FIELDS = 'username displayName role orgUnit { name }';
const SESSION_FIELDS = `accessToken refreshToken expiresAt user { ${USER_FIELDS} }`;
const ALARM_FIELDS = 'id type severity status message lastAt count meter { assetNo } orgUnit { name code }';
const ACTIVE = 'statuses: [OPEN, ACKNOWLEDGED]';

const LOGIN = `mutation Login($username: String!, $password: String!) {
  login(input: { username: $username, password: $password }) { ${SESSION_FIELDS} }
}`;
const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshToken(input: { refreshToken: $refreshToken }) { ${SESSION_FIELDS} }
}`;
const LOGOUT = `mutation Logout($refreshToken: String!) { logout(input: { refreshToken: $refreshToken }) { ok } }`;
const DASHBOARD = `query Dashboard {
  alarms(first: ${MAX_ROWS}, filter: { ${ACTIVE} }) { totalCount nodes { ${ALARM_FIELDS} } }
  open: alarms(first: 0, filter: { statuses: [OPEN] }) { totalCount }
  ${SEVERITIES.map((s) => `${s}: alarms(first: 0, filter: { ${ACTIVE}, severities: [${s}] }) { totalCount }`).join('\n  ')}
}`;
const ACKNOWLEDGE = `mutation Acknowledge($id: ID!) { acknowledgeAlarm(input: { id: $id }) { alarm { id status } } }`;
const LIVE = `subscription LiveAlarms { collectionAlarms { ${ALARM_FIELDS} } }`;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------------------------------------
// State

/** @type {{ accessToken: string, refreshToken: string, expiresAt: string, user: any } | null} */
let session = null;
/** @type {Map<string, any>} alarms by id, each with `seq` when it came from the subscription */
const alarms = new Map();
const counts = { total: 0, open: 0, CRITICAL: 0, MAJOR: 0, MINOR: 0, WARNING: 0 };
let liveSeq = 0;
let loaded = false;
/** @type {Map<string, HTMLTableRowElement>} */
const rows = new Map();
let refreshTimer;
let reloadTimer;
let refreshing;
let live;

// ---------------------------------------------------------------------------------------------
// GraphQL over HTTP

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function post(query, variables, token) {
  let response;
  try {
    response = await window.fetch(GRAPHQL_PATH, {
      method: 'POST',
      // application/json is also what the server's CSRF prevention asks for.
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('Cannot reach the server. Check your network connection.', 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} ${response.statusText}`.trim(), 'HTTP');
  }
  if (body.errors?.length) {
    const [first] = body.errors;
    throw new ApiError(first.message || 'Request failed', first.extensions?.code);
  }
  if (!response.ok || !body.data) throw new ApiError(`The server answered ${response.status}`, 'HTTP');
  return body.data;
}

/** Runs an operation as the signed-in user, renewing the access token once if it was refused. */
async function gql(query, variables = {}) {
  const token = await accessToken();
  try {
    return await post(query, variables, token);
  } catch (error) {
    if (error.code !== 'UNAUTHENTICATED' || !session) throw error;
    return post(query, variables, await renew());
  }
}

// ---------------------------------------------------------------------------------------------
// Session

function saveSession(next) {
  session = next;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ refreshToken: next.refreshToken }));
  window.clearTimeout(refreshTimer);
  const wait = Math.max(5_000, Date.parse(next.expiresAt) - Date.now() - REFRESH_AHEAD_MS);
  refreshTimer = window.setTimeout(() => {
    // The socket was authorised with the old token: reconnect with the new one.
    renew()
      .then(() => restartLive())
      .catch(() => undefined);
  }, wait);
}

/** A token that is valid for a while yet. */
async function accessToken() {
  if (!session) throw new ApiError('Not signed in', 'UNAUTHENTICATED');
  if (Date.parse(session.expiresAt) - Date.now() > 30_000) return session.accessToken;
  return renew();
}

/** Exchanges the (single-use) refresh token; concurrent callers share one exchange. */
function renew() {
  if (!refreshing) {
    const refreshToken = session?.refreshToken;
    refreshing = (async () => {
      if (!refreshToken) throw new ApiError('Not signed in', 'UNAUTHENTICATED');
      try {
        const data = await post(REFRESH, { refreshToken });
        saveSession(data.refreshToken);
        return data.refreshToken.accessToken;
      } catch (error) {
        if (error.code !== 'NETWORK') endSession('Your session has ended. Please sign in again.');
        throw error;
      }
    })().finally(() => {
      refreshing = undefined;
    });
  }
  return refreshing;
}

function endSession(message) {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  window.clearTimeout(refreshTimer);
  window.clearInterval(reloadTimer);
  stopLive();
  alarms.clear();
  rows.clear();
  $('alarm-rows').replaceChildren();
  loaded = false;
  showLogin(message);
}

// ---------------------------------------------------------------------------------------------
// Views

function showLogin(message) {
  $('dashboard-view').hidden = true;
  $('login-view').hidden = false;
  document.title = 'Sign in · Metergraph alarms';
  showLoginError(message);
  $('login-button').disabled = false;
  $('login-button').textContent = 'Sign in';
  ($('username').value ? $('password') : $('username')).focus();
}

function showLoginError(message) {
  $('login-error').textContent = message || '';
  $('login-error').hidden = !message;
}

function showDashboard() {
  const { user } = session;
  $('login-view').hidden = true;
  $('dashboard-view').hidden = false;
  $('password').value = '';
  $('user').replaceChildren(
    el('strong', {}, user.displayName || user.username),
    el('span', { class: 'muted' }, ` · ${label(user.role)}${user.orgUnit ? ` · ${user.orgUnit.name}` : ''}`),
  );
  $('user').title = `Signed in as ${user.username}`;
  setConnection('connecting');
  render();
}

function showBanner(message) {
  $('banner-text').textContent = message;
  $('banner').hidden = false;
}

function hideBanner() {
  $('banner').hidden = true;
}

/** @param {'connecting' | 'live' | 'reconnecting' | 'offline'} state */
function setConnection(state) {
  const text = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };
  $('connection').dataset.state = state;
  $('connection-text').textContent = text[state];
  $('connection').title =
    state === 'live' ? 'New alarms appear as they are raised' : 'New alarms will appear once the connection is back';
}

// ---------------------------------------------------------------------------------------------
// Alarms

/** Loads the newest active alarms and the counters, keeping what arrived live in the meantime. */
async function loadAlarms() {
  const since = liveSeq;
  const data = await gql(DASHBOARD);
  const fresh = new Set(data.alarms.nodes.map((a) => a.id));
  for (const [id, alarm] of alarms) {
    if (!fresh.has(id) && !(alarm.seq > since)) alarms.delete(id);
  }
  for (const node of data.alarms.nodes) alarms.set(node.id, { ...alarms.get(node.id), ...node });
  const lateLive = [...alarms.values()].filter((a) => a.seq > since && !fresh.has(a.id));
  counts.total = data.alarms.totalCount + lateLive.length;
  counts.open = data.open.totalCount + lateLive.filter((a) => a.status === 'OPEN').length;
  for (const s of SEVERITIES) counts[s] = data[s].totalCount + lateLive.filter((a) => a.severity === s).length;
  loaded = true;
  render();
}

/** Set while the banner shows a failed reload, so that the next good one can clear it. */
let reloadFailed = false;

function reloadQuietly() {
  loadAlarms().then(
    () => {
      if (reloadFailed) hideBanner();
      reloadFailed = false;
    },
    (error) => {
      if (!session) return;
      reloadFailed = true;
      showBanner(`Could not refresh the alarm list: ${error.message}`);
    },
  );
}

function received(alarm) {
  const known = alarms.get(alarm.id);
  alarms.set(alarm.id, { ...known, ...alarm, seq: ++liveSeq, highlightUntil: Date.now() + HIGHLIGHT_MS });
  if (!known) {
    counts.total++;
    if (alarm.status === 'OPEN') counts.open++;
    if (alarm.severity in counts) counts[alarm.severity]++;
    const where = alarm.orgUnit ? ` at ${alarm.orgUnit.name}` : '';
    $('announcer').textContent = `New ${label(alarm.severity)} alarm: ${label(alarm.type)}${where}`;
  }
  render();
}

async function acknowledge(id, button) {
  button.disabled = true;
  button.textContent = 'Acknowledging…';
  try {
    const data = await gql(ACKNOWLEDGE, { id });
    const alarm = alarms.get(id);
    if (alarm) {
      if (alarm.status === 'OPEN' && data.acknowledgeAlarm.alarm.status !== 'OPEN') counts.open--;
      alarm.status = data.acknowledgeAlarm.alarm.status;
    }
    render();
  } catch (error) {
    showBanner(`Could not acknowledge the alarm: ${error.message}`);
    button.disabled = false;
    button.textContent = 'Acknowledge';
    // It may have been acknowledged or closed by someone else meanwhile.
    if (error.code === 'BAD_USER_INPUT' || error.code === 'NOT_FOUND') reloadQuietly();
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

/** METER_COVER_OPEN -> "Meter cover open" */
function label(value) {
  const text = String(value).toLowerCase().replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

function when(iso) {
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  return el('time', { datetime: iso, title: full.format(date) }, (today ? timeOnly : dateTime).format(date));
}

function sorted() {
  return [...alarms.values()]
    .sort((a, b) => Date.parse(b.lastAt) - Date.parse(a.lastAt) || (b.seq ?? 0) - (a.seq ?? 0))
    .slice(0, MAX_ROWS);
}

function rowFor(alarm, canAck) {
  const key = [alarm.status, alarm.count, alarm.lastAt, alarm.message, canAck].join('|');
  let row = rows.get(alarm.id);
  if (!row) {
    row = el('tr', { 'data-alarm-id': alarm.id });
    rows.set(alarm.id, row);
  }
  row.dataset.severity = alarm.severity;
  row.dataset.status = alarm.status;
  if (row.dataset.key !== key) {
    row.dataset.key = key;
    const action =
      canAck && alarm.status === 'OPEN'
        ? el('button', { type: 'button', class: 'ack', 'data-ack': alarm.id }, 'Acknowledge')
        : null;
    row.replaceChildren(
      el('td', {}, el('span', { class: `severity severity-${alarm.severity}` }, label(alarm.severity))),
      el(
        'td',
        { class: 'alarm' },
        el('div', { class: 'alarm-type' }, label(alarm.type)),
        el('div', { class: 'alarm-message' }, alarm.message),
      ),
      el('td', { class: 'mono' }, alarm.meter?.assetNo ?? '—'),
      el('td', {}, alarm.orgUnit?.name ?? '—'),
      el('td', { class: 'nowrap' }, when(alarm.lastAt)),
      el('td', { class: 'num' }, String(alarm.count)),
      el('td', {}, el('span', { class: `status status-${alarm.status}` }, label(alarm.status))),
      el('td', { class: 'action' }, action),
    );
  }
  const highlight = (alarm.highlightUntil ?? 0) > Date.now();
  if (highlight && !row.classList.contains('fresh')) {
    row.classList.add('fresh');
    window.setTimeout(() => row.classList.remove('fresh'), alarm.highlightUntil - Date.now());
  }
  return row;
}

function render() {
  if (!session) return;
  const canAck = CAN_ACKNOWLEDGE.has(session.user.role);
  const list = sorted();
  const tbody = $('alarm-rows');
  const wanted = list.map((alarm) => rowFor(alarm, canAck));
  // Keyed update: rows already on the page stay put (and keep their highlight); new ones slot in.
  let cursor = tbody.firstElementChild;
  for (const row of wanted) {
    if (row === cursor) {
      cursor = cursor.nextElementSibling;
    } else {
      tbody.insertBefore(row, cursor);
    }
  }
  while (cursor) {
    const next = cursor.nextElementSibling;
    rows.delete(cursor.dataset.alarmId);
    cursor.remove();
    cursor = next;
  }
  for (const id of rows.keys()) if (!alarms.has(id)) rows.delete(id);

  $('empty').hidden = !loaded || list.length > 0;
  for (const s of SEVERITIES) $(`count-${s}`).textContent = loaded ? String(counts[s]) : '–';
  const shown = list.length < counts.total ? ` · showing the newest ${list.length}` : '';
  $('alarms-summary').textContent = loaded ? `${counts.total} active · ${counts.open} open${shown}` : 'Loading…';
  document.title = `${loaded && counts.open ? `(${counts.open}) ` : ''}Alarms · Metergraph`;
}

// ---------------------------------------------------------------------------------------------
// Live updates over graphql-ws

function startLive() {
  if (!window.graphqlWs) {
    setConnection('offline');
    showBanner('Live updates are unavailable: the graphql-ws client could not be loaded from the server.');
    return;
  }
  const url = new URL(GRAPHQL_PATH, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  let everConnected = false;
  let socket;
  let pongTimer;
  const client = graphqlWs.createClient({
    url: url.href,
    // Asked again on every (re)connection, so a renewed token is used.
    connectionParams: async () => ({ authorization: `Bearer ${await accessToken()}` }),
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: (retries) =>
      new Promise((resolve) =>
        window.setTimeout(resolve, Math.min(1_000 * 2 ** retries, 15_000) + Math.random() * 1_000),
      ),
    keepAlive: 10_000,
    on: {
      connecting: () => setConnection(everConnected ? 'reconnecting' : 'connecting'),
      connected: (ws) => {
        socket = ws;
        everConnected = true;
        setConnection('live');
        // Whatever was raised while we were not listening is in the list.
        reloadQuietly();
      },
      closed: () => {
        window.clearTimeout(pongTimer);
        if (live?.client === client) setConnection('reconnecting');
      },
      ping: (fromServer) => {
        if (fromServer) return;
        pongTimer = window.setTimeout(() => {
          if (socket?.readyState === window.WebSocket.OPEN) client.terminate();
        }, PONG_TIMEOUT_MS);
      },
      pong: (fromServer) => {
        if (fromServer) window.clearTimeout(pongTimer);
      },
    },
  });
  const current = { client, dispose: () => {} };
  current.dispose = client.subscribe(
    { query: LIVE },
    {
      next: (result) => {
        if (result.data?.collectionAlarms) received(result.data.collectionAlarms);
      },
      error: (error) => {
        if (live !== current) return;
        const message = Array.isArray(error) ? error.map((e) => e.message).join('; ') : error?.reason || error?.message;
        setConnection('reconnecting');
        if (message) showBanner(`Live updates stopped: ${message}. Retrying…`);
        window.setTimeout(() => live === current && restartLive(), 5_000);
      },
      complete: () => {
        if (live === current) window.setTimeout(() => live === current && restartLive(), 1_000);
      },
    },
  );
  live = current;
}

function stopLive() {
  const current = live;
  live = undefined;
  if (current) {
    current.dispose();
    current.client.dispose();
  }
}

function restartLive() {
  if (!session) return;
  stopLive();
  startLive();
}

// ---------------------------------------------------------------------------------------------
// Wiring

async function enter(next) {
  saveSession(next);
  showDashboard();
  startLive();
  window.clearInterval(reloadTimer);
  reloadTimer = window.setInterval(reloadQuietly, RELOAD_EVERY_MS);
  try {
    await loadAlarms();
  } catch (error) {
    if (session) showBanner(`Could not load alarms: ${error.message}`);
  }
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (!username || !password) {
    showLoginError('Enter your username and password.');
    return;
  }
  const button = $('login-button');
  button.disabled = true;
  button.textContent = 'Signing in…';
  showLoginError('');
  try {
    const data = await post(LOGIN, { username, password });
    await enter(data.login);
  } catch (error) {
    showLoginError(error.message);
    $('password').select();
  } finally {
    button.disabled = false;
    button.textContent = 'Sign in';
  }
});

$('logout').addEventListener('click', () => {
  const refreshToken = session?.refreshToken;
  endSession('');
  if (refreshToken) post(LOGOUT, { refreshToken }).catch(() => undefined);
});

$('alarm-rows').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-ack]');
  if (button && !button.disabled) acknowledge(button.dataset.ack, button);
});

$('banner-close').addEventListener('click', hideBanner);

window.addEventListener('online', () => live && restartLive());

// Keep the session across a reload of this tab (the refresh token only, never in other tabs).
(async () => {
  let stored;
  try {
    stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
  } catch {
    stored = null;
  }
  if (!stored?.refreshToken) return showLogin('');
  try {
    const data = await post(REFRESH, { refreshToken: stored.refreshToken });
    await enter(data.refreshToken);
  } catch {
    sessionStorage.removeItem(SESSION_KEY);
    showLogin('');
  }
})();
