// DOM and formatting helpers shared by the views.

export const STATE_NAMES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'];
export const STATE_KEYS = ['ok', 'warning', 'critical', 'unknown'];
// Canvas colours; the CSS uses the same values (style.css --ok ...).
export const STATE_COLOURS = ['#3c9a3c', '#e0b000', '#d32f2f', '#8a8a8a'];

// h('td.num', {title: 'x'}, child, ...): an element; strings become text nodes.
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const e = document.createElement(name);
  if (classes.length) e.className = classes.join(' ');
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'onclick' || k === 'oninput' || k === 'onchange' || k === 'onsubmit') e[k] = v;
      else if (k === 'dataset') Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export function stateBadge(state) {
  const s = state === null || state === undefined ? 3 : state;
  return h(`span.badge.s${s}`, null, STATE_NAMES[s] || String(s));
}

export function hostLink(host) {
  return h('a', { href: `#/peer/${encodeURIComponent(host)}` }, host);
}

export function hostOf(nodeId) {
  return nodeId ? `peer-${nodeId.slice(0, 8)}` : '';
}

// "12 s", "4 min", "3 h 05 min", "2 d 4 h".
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '–';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h ${String(m).padStart(2, '0')} min`;
  }
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

export function ago(epoch) {
  if (!epoch) return '–';
  return `${duration(Date.now() / 1000 - epoch)} ago`;
}

export function clock(epoch) {
  if (!epoch) return '–';
  const d = new Date(epoch * 1000);
  return d.toLocaleString(undefined, { hour12: false });
}

// data-label names the time where a narrow window drops the table's header.
export function timeCell(epoch, label = 'checked') {
  return h('td.time', { title: clock(epoch), 'data-label': label }, ago(epoch));
}

export function table(headers, rows, cls) {
  return h(`div.tablewrap`, null,
    h(`table${cls ? '.' + cls : ''}`, null,
      h('thead', null, h('tr', null, headers.map((t) => h('th', null, t)))),
      h('tbody', null, rows)));
}

export function empty(text) {
  return h('p.empty', null, text);
}

export function errorBox(e) {
  return h('p.error', null, `Cannot load: ${e && e.message ? e.message : e}`);
}
