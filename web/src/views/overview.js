// Overview: hosts and services by state, the latest crawl, the problems
// (worst first, then oldest), from GET /api/v1/overview.
import { get } from '../api.js';
import { h, stateBadge, hostLink, timeCell, table, empty, errorBox, duration, ago, clock, STATE_KEYS, STATE_NAMES } from '../util.js';

function counts(title, block, link) {
  return h('section.card.counts', { dataset: { kind: title.toLowerCase() } },
    h('h2', null, title, h('span.total', { 'data-total': block.total }, String(block.total))),
    h('div.statebar', null, STATE_KEYS.map((k, i) => {
      const n = block.by_state[k];
      const cell = h(`a.cell.s${i}${n ? '' : '.zero'}`, { href: link(i), 'data-state': k, 'data-count': n },
        h('span.n', null, String(n)), h('span.l', null, STATE_NAMES[i]));
      return cell;
    })));
}

function crawlCard(c) {
  if (!c) return h('section.card.crawl', null, h('h2', null, 'Latest crawl'), empty('No crawl stored yet (p2pmon-crawl --collector URL).'));
  const churn = c.churn ? `${c.churn.joined} joined · ${c.churn.left} left · ${c.churn.restarted} restarted` : 'no previous crawl';
  const ringOk = c.consistent && c.partitions <= 1;
  const row = (k, v, cls) => h('tr', null, h('th', null, k), h(`td${cls ? '.' + cls : ''}`, null, v));
  return h('section.card.crawl', { 'data-crawl': c.id },
    h('h2', null, `Latest crawl #${c.id}`, h('span.sub', { title: clock(c.started_at) }, ` ${c.overlay} · ${ago(c.started_at)}`)),
    h('table.kv', null, h('tbody', null,
      row('Peers found', String(c.found)),
      row('Reachable', `${c.reachable}`, 'num'),
      row('Unreachable', `${c.unreachable}`, c.unreachable ? 'bad' : ''),
      row('Ring', ringOk ? 'consistent' : 'NOT consistent', ringOk ? 'good' : 'bad'),
      row('Partitions', c.partitions <= 1 ? `${c.partitions} ring` : `${c.partitions} rings (${c.rings.join(' + ')})`, c.partitions > 1 ? 'bad' : ''),
      row('Dead pointers', String(c.dangling), c.dangling ? 'warn' : ''),
      row('Churn', churn),
      row('Took', c.seconds < 1 ? `${Math.round(c.seconds * 1000)} ms` : duration(c.seconds)))),
    h('p.more', null, h('a', { href: '#/ring' }, 'Ring view →')));
}

function problemRows(items) {
  return items.map((p) => h('tr', { dataset: { host: p.host, service: p.service } },
    h('td', null, stateBadge(p.state)),
    h('td', null, hostLink(p.host)),
    h('td', null, h('a', { href: `#/services?service=${encodeURIComponent(p.service)}&state=${p.state}` }, p.service || '(host)')),
    h('td.output', null, p.output),
    timeCell(p.last_check),
    h('td.time', { title: clock(p.last_state_change), 'data-label': 'for' }, duration(Date.now() / 1000 - p.last_state_change))));
}

export function overviewView(root) {
  const box = h('div');
  root.append(box);
  const self = {
    async refresh() {
      let d;
      try {
        d = await get('overview', { problems: 200 });
      } catch (e) {
        box.replaceChildren(errorBox(e));
        return;
      }
      const shown = d.problems.items.length;
      box.replaceChildren(
        h('div.grid3', null,
          counts('Hosts', d.hosts, (s) => `#/services?state=${s}`),
          counts('Services', d.services, (s) => `#/services?state=${s}`),
          crawlCard(d.latest_crawl)),
        h('section.card.problems', { 'data-total': d.problems.total },
          h('h2', null, 'Problems', h('span.total', null, String(d.problems.total)),
            shown < d.problems.total ? h('span.sub', null, ` worst ${shown} shown · `, h('a', { href: '#/services?state=1,2,3' }, 'all')) : null),
          d.problems.total === 0 ? empty('No problems: every current result is OK.')
            : table(['State', 'Host', 'Service', 'Output', 'Last check', 'Duration'], problemRows(d.problems.items), 'dense')));
    },
  };
  return self;
}
