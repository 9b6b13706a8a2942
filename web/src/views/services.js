// Services: every current result, filtered by host, service (substrings)
// and state; the filters live in the hash (#/services?host=abc&state=1,2).
import { get } from '../api.js';
import { h, stateBadge, hostLink, timeCell, table, empty, errorBox, duration, clock, STATE_NAMES } from '../util.js';

const PAGE = 200;

function hashOf(f) {
  const q = new URLSearchParams();
  if (f.host) q.set('host', f.host);
  if (f.service) q.set('service', f.service);
  if (f.state) q.set('state', f.state);
  if (f.offset && f.offset !== '0') q.set('offset', f.offset);
  const s = q.toString();
  return `#/services${s ? '?' + s : ''}`;
}

export function servicesView(root, params, ctx) {
  const self = { params };
  const host = h('input', { type: 'search', name: 'host', placeholder: 'host contains…', value: params.host || '' });
  const service = h('input', { type: 'search', name: 'service', placeholder: 'service contains…', value: params.service || '', list: 'service-names' });
  const names = h('datalist', { id: 'service-names' },
    ['peer_health', 'sip_options', 'rtp_quality', 'nat_behaviour', 'dht_lookup', 'overlay_neighbours'].map((s) => h('option', { value: s })));
  const boxes = STATE_NAMES.map((name, i) => h('input', { type: 'checkbox', value: String(i), 'data-state': String(i) }));
  const summary = h('span.sub');
  const body = h('div');
  const pager = h('div.pager');

  const filters = () => ({
    host: host.value.trim(),
    service: service.value.trim(),
    state: boxes.filter((b) => b.checked).map((b) => b.value).join(','),
    offset: '0',
  });
  let timer = null;
  const apply = (delay) => {
    clearTimeout(timer);
    timer = setTimeout(() => ctx.replaceHash(hashOf(filters())), delay);
  };
  host.oninput = () => apply(250);
  service.oninput = () => apply(250);
  for (const b of boxes) b.onchange = () => apply(0);

  root.append(h('section.card', null,
    h('h2', null, 'Services', summary),
    h('form.filters', { onsubmit: (e) => { e.preventDefault(); apply(0); } },
      h('label', null, 'Host ', host), h('label', null, 'Service ', service, names),
      h('span.states', null, boxes.map((b, i) => h(`label.statebox.s${i}`, null, b, ` ${STATE_NAMES[i]}`))),
      h('a.clear', { href: '#/services' }, 'clear')),
    body, pager));

  self.refresh = async () => {
    const p = self.params;
    // The hash may change from outside (a shared link, the overview's counts).
    if (document.activeElement !== host) host.value = p.host || '';
    if (document.activeElement !== service) service.value = p.service || '';
    const states = (p.state || '').split(',').filter(Boolean);
    boxes.forEach((b) => { b.checked = states.includes(b.value); });
    const offset = Math.max(0, parseInt(p.offset || '0', 10) || 0);
    let d;
    try {
      d = await get('services', { host: p.host, service: p.service, state: p.state, limit: PAGE, offset });
    } catch (e) {
      body.replaceChildren(errorBox(e));
      return;
    }
    summary.replaceChildren(h('span.total', { 'data-total': d.total }, String(d.total)));
    const rows = d.services.map((s) => h('tr', { dataset: { host: s.host, service: s.service, state: s.state } },
      h('td', null, stateBadge(s.state)),
      h('td', null, hostLink(s.host)),
      h('td', null, s.service || '(host)'),
      h('td.output', null, s.output),
      timeCell(s.last_check),
      h('td.time', { title: clock(s.last_state_change), 'data-label': 'for' }, duration(Date.now() / 1000 - s.last_state_change))));
    body.replaceChildren(rows.length ? table(['State', 'Host', 'Service', 'Output', 'Last check', 'Duration'], rows, 'dense')
      : empty('No service matches these filters.'));
    const f = { host: p.host, service: p.service, state: p.state };
    pager.replaceChildren(...[
      offset > 0 ? h('a', { href: hashOf({ ...f, offset: String(Math.max(0, offset - PAGE)) }) }, '← previous') : null,
      d.total > 0 ? h('span', null, ` ${offset + 1}–${offset + d.services.length} of ${d.total} `) : null,
      offset + PAGE < d.total ? h('a', { href: hashOf({ ...f, offset: String(offset + PAGE) }) }, 'next →') : null,
    ].filter(Boolean));
  };
  return self;
}
