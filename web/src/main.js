// The operators' dashboard: a hash router over the views, and live updates
// (GET /api/v1/version every few seconds; the current view refetches when
// it changes). The view and its filters live in the URL hash, so every
// screen is a shareable link: #/, #/ring, #/services?state=2&host=abc,
// #/peer/peer-3fa9c2d1?range=6h, #/history.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { get } from './api.js';
import { overviewView } from './views/overview.js';
import { ringView } from './views/ring.js';
import { servicesView } from './views/services.js';
import { peerView } from './views/peer.js';
import { historyView } from './views/history.js';

const POLL_MS = 3000;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  if (parts[0] === 'peer' && parts[1]) return { name: 'peer', view: peerView, params: { ...params, host: parts[1] } };
  const views = { ring: ringView, services: servicesView, history: historyView };
  const name = views[parts[0]] ? parts[0] : 'overview';
  return { name, view: views[parts[0]] || overviewView, params };
}

// Sets the hash without a history entry per keystroke (filters).
export function replaceHash(hash) {
  history.replaceState(null, '', hash);
  route();
}

const root = document.getElementById('view');
const live = document.getElementById('live');
let current = null;  // {name, view, instance, key}
let refreshing = false;
let again = false;

// The first view drawn with its data since the page loaded: a data
// attribute for tests and a performance mark for bench/dashboard_render.mjs.
function markRendered() {
  if (root.dataset.rendered) return;
  root.dataset.rendered = '1';
  performance.mark('p2pmon-rendered');
}

// One refresh at a time; a request during one (new filters, new data) runs once after it.
async function refresh() {
  if (!current) return;
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    do {
      again = false;
      await current.instance.refresh();
    } while (again);
    markRendered();
  } catch (e) {
    console.warn('refresh failed', e);
  } finally {
    refreshing = false;
  }
}

function route() {
  const next = parseHash();
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.view === next.name);
  }
  const key = next.name === 'peer' ? `peer/${next.params.host}` : next.name;
  if (current && current.key === key) {
    current.instance.params = next.params;
    refresh();
    return;
  }
  if (current && current.instance.unmount) current.instance.unmount();
  root.replaceChildren();
  root.dataset.view = next.name;
  const instance = next.view(root, next.params, { replaceHash });
  current = { name: next.name, key, instance };
  refresh();
}

let version = null;
async function poll() {
  try {
    const v = await get('version');
    const text = `${v.results}/${v.crawl}`;
    const changed = version !== null && text !== version;
    version = text;
    live.textContent = `live · ${new Date().toLocaleTimeString(undefined, { hour12: false })}`;
    live.className = 'live ok';
    if (changed) await refresh();
  } catch (e) {
    live.textContent = 'collector unreachable';
    live.className = 'live down';
  }
}

window.addEventListener('hashchange', route);
route();
poll();
setInterval(poll, POLL_MS);
