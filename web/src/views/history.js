// Overlay history: peers found per crawl over time, NAT types across the
// overlay and the distribution of MOS (GET /api/v1/overlay/summary).
import { get } from '../api.js';
import { lineChart, barList } from '../charts.js';
import { h, empty, errorBox } from '../util.js';

const MOS_CLASS = { 'not recommended': 's2', poor: 's2', low: 's1', medium: 's1', high: 's0', best: 's0' };

export function historyView(root) {
  const crawlBox = h('div.chart.wide', { 'data-chart': 'crawls' });
  const natBox = h('div');
  const mosBox = h('div');
  root.append(
    h('section.card', null, h('h2', null, 'Peers per crawl'), crawlBox),
    h('div.grid2', null,
      h('section.card', null, h('h2', null, 'NAT types'), natBox),
      h('section.card', null, h('h2', null, 'MOS distribution'), mosBox)));
  return {
    async refresh() {
      let d;
      try {
        d = await get('overlay/summary', { limit: 1000 });
      } catch (e) {
        crawlBox.replaceChildren(errorBox(e));
        return;
      }
      const pts = (k) => d.crawls.map((c) => [c.started_at, c[k]]);
      lineChart(crawlBox, `${d.crawls.length} crawls`, [
        { label: 'found', uom: '', points: pts('found'), stroke: '#9db8d9', width: 5 },
        { label: 'reachable', uom: '', points: pts('reachable'), stroke: '#3c9a3c' },
        { label: 'unreachable', uom: '', points: pts('unreachable'), stroke: '#d32f2f' },
      ], { height: 220 });
      const nat = Object.entries(d.nat_types).sort((a, b) => b[1] - a[1]);
      const natTotal = nat.reduce((n, [, c]) => n + c, 0);
      natBox.replaceChildren(natTotal ? barList(nat.map(([label, count]) => ({ label: label.replaceAll('_', ' '), count,
        cls: label === 'blocked' ? 's2' : label === 'unknown' ? 's3' : 'neutral' })), natTotal)
        : empty('No nat_behaviour results yet.'));
      const mosTotal = d.mos.buckets.reduce((n, b) => n + b.count, 0);
      mosBox.replaceChildren(
        mosTotal ? barList(d.mos.buckets.slice().reverse().map((b) => ({ label: `${b.from}–${b.to} ${b.label}`, count: b.count, cls: MOS_CLASS[b.label] })), mosTotal)
          : empty('No rtp_quality results with a MOS yet.'),
        h('p.sub', null, `${mosTotal} hosts with a current rtp_quality MOS` +
          (d.mos.no_value ? `, ${d.mos.no_value} without one` : '')));
    },
  };
}
