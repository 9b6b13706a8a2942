// Peer page (#/peer/HOST?range=1h, the default): the host's services, charts of SIP RTT,
// RTP MOS, loss, jitter and lookup latency over time (/api/v1/metrics with
// step=), its routing table from the newest crawl and its NAT type.
import { get, getOrNull } from '../api.js';
import { lineChart } from '../charts.js';
import { h, stateBadge, hostLink, hostOf, timeCell, table, empty, errorBox, duration, ago, clock } from '../util.js';

const RANGES = { '1h': 3600, '6h': 6 * 3600, '24h': 86400, '7d': 7 * 86400 };
// Labels as the embedded agent writes them (overlay-agent/agent_checks.cpp, plugins/rtp_check.cpp).
const CHARTS = [
  { id: 'sip', title: 'SIP OPTIONS RTT', service: 'sip_options', labels: ['rtt_median', 'rtt_max'] },
  { id: 'mos', title: 'RTP MOS', service: 'rtp_quality', labels: ['mos'], range: [1, 4.5] },
  { id: 'loss', title: 'RTP loss', service: 'rtp_quality', labels: ['loss'] },
  { id: 'jitter', title: 'RTP jitter', service: 'rtp_quality', labels: ['jitter'] },
  { id: 'lookup', title: 'DHT lookup latency', service: 'dht_lookup', labels: ['latency'] },
];

function neighbourList(title, ids) {
  return h('div.nlist', null, h('h3', null, `${title} (${ids.length})`),
    ids.length ? h('ol', null, ids.map((id) => h('li', null, hostLink(hostOf(id)), h('span.mono.dim', null, ` ${id}`))))
      : empty('none'));
}

export function peerView(root, params) {
  const self = { params };
  const host = params.host;
  const headBox = h('section.card.peerhead');
  const servicesBox = h('section.card');
  const rangeBar = h('div.ranges');
  const chartBoxes = Object.fromEntries(CHARTS.map((c) => [c.id, h('div.chart', { 'data-chart': c.id })]));
  const routingBox = h('section.card');
  root.append(headBox, servicesBox,
    h('section.card', null, h('h2', null, 'Over time', rangeBar), h('div.charts', null, Object.values(chartBoxes))),
    routingBox);

  let chartsAt = { range: null, time: 0 };
  async function charts(range) {
    const seconds = RANGES[range] || RANGES['1h'];
    const now = Date.now() / 1000;
    // About 300 points; over days whole hours, which the collector reads
    // from its hourly roll-ups instead of every stored result.
    const step = seconds >= 2 * 86400 ? 3600 : Math.max(1, Math.round(seconds / 300));
    // A new point per step at most: long ranges are not refetched on every update.
    if (chartsAt.range === range && now - chartsAt.time < step) return;
    chartsAt = { range, time: now };
    const services = [...new Set(CHARTS.map((c) => c.service))];
    const metrics = await Promise.all(services.map((service) =>
      get('metrics', { host, service, since: Math.floor(now - seconds), step, limit: 400 })
        .then((d) => [service, d.series]).catch(() => [service, []])));
    const byService = Object.fromEntries(metrics);
    for (const c of CHARTS) {
      const series = (byService[c.service] || []).filter((s) => c.labels.includes(s.label));
      lineChart(chartBoxes[c.id], c.title, series, { range: c.range, xRange: [now - seconds, now] });
    }
  }

  self.refresh = async () => {
    const range = RANGES[self.params.range] ? self.params.range : '1h';
    rangeBar.replaceChildren(...Object.keys(RANGES).map((r) =>
      h(`a.range${r === range ? '.active' : ''}`, { href: `#/peer/${encodeURIComponent(host)}?range=${r}` }, r)));
    let services;
    let peer;
    try {
      [services, peer] = await Promise.all([getOrNull(`hosts/${encodeURIComponent(host)}/services`),
        getOrNull(`hosts/${encodeURIComponent(host)}/peer`)]);
    } catch (e) {
      headBox.replaceChildren(errorBox(e));
      return;
    }
    if (!services && !peer) {
      headBox.replaceChildren(h('h1', null, host), empty('No results and no crawl record for this host.'));
      return;
    }
    const list = services ? services.services : [];
    const worst = list.reduce((w, s) => ([0, 3, 1, 2].indexOf(s.state) > [0, 3, 1, 2].indexOf(w) ? s.state : w), 0);
    const p = peer && peer.peer;
    const fact = (k, v) => h('tr', null, h('th', null, k), h('td', null, v));
    const nat = peer && peer.nat;
    headBox.replaceChildren(
      h('h1', null, host, ' ', stateBadge(p && !p.reachable ? 2 : worst)),
      h('table.kv', null, h('tbody', null,
        fact('Node-ID', h('span.mono', null, (peer && peer.node_id) || '–')),
        fact('Address', p ? h('span.mono', null, p.address) : '–'),
        fact('Reachable', p ? (p.reachable ? `yes, ${p.rtt_ms} ms` : h('span.bad', null, `no (${p.error || 'no answer'})`)) : '–'),
        fact('Software', (p && p.software_version) || '–'),
        fact('Uptime', p && p.uptime_s !== null ? duration(p.uptime_s) : '–'),
        fact('NAT type', nat ? h('span', { 'data-nat': nat.type }, nat.type.replaceAll('_', ' '), ' ', stateBadge(nat.state)) : '–'),
        fact('Crawl', peer && peer.crawl ? h('span', { title: clock(peer.crawl.started_at) }, `#${peer.crawl.id} of ${peer.crawl.overlay}, ${ago(peer.crawl.started_at)}`) : 'not in a stored crawl'))));

    const rows = list.map((s) => h('tr', { dataset: { service: s.service } },
      h('td', null, s.service || '(host)'),
      h('td', null, stateBadge(s.state)),
      h('td.output', null, s.output),
      timeCell(s.last_check),
      h('td.time', { title: clock(s.last_state_change), 'data-label': 'changed' }, ago(s.last_state_change))));
    servicesBox.replaceChildren(h('h2', null, 'Services'),
      rows.length ? table(['Service', 'State', 'Output', 'Last check', 'Last change'], rows, 'dense') : empty('No results yet.'));

    routingBox.replaceChildren(h('h2', null, 'Routing table',
      p && p.routing_table_size !== null && p.routing_table_size !== undefined ? h('span.sub', null, ` ${p.routing_table_size} entries`) : null),
      p ? h('div.routing', null, neighbourList('Successors', p.successors || []),
        neighbourList('Predecessors', p.predecessors || []), neighbourList('Fingers', p.fingers || []))
        : empty('This host is in no stored crawl.'));
    await charts(range);
  };
  return self;
}
