// Time-series charts with uPlot (bundled from npm). One chart per box;
// refreshes replace its data in place rather than rebuilding it.
import uPlot from 'uplot';

const PALETTE = ['#1f5fa8', '#d9822b', '#3c9a3c', '#8e44ad'];

const pad = (n) => String(n).padStart(2, '0');
// 24-hour clock; the date too when the chart spans more than a day.
function timeLabel(epoch, span) {
  const d = new Date(epoch * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (span > 86400) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
  return span < 900 ? `${hm}:${pad(d.getSeconds())}` : hm;
}

// series: [{label, uom, points: [[t, v], ...]}]; returns the points drawn.
export function lineChart(box, title, series, opts = {}) {
  const withPoints = series.filter((s) => s.points.length > 0);
  const total = withPoints.reduce((n, s) => n + s.points.length, 0);
  box.dataset.points = String(total);
  const head = box.querySelector('h3') || box.appendChild(document.createElement('h3'));
  head.textContent = title;
  let plot = box.querySelector('.plot');
  if (!plot) {
    plot = document.createElement('div');
    plot.className = 'plot';
    box.appendChild(plot);
  }
  if (total === 0) {
    if (box._chart) {
      box._chart.destroy();
      box._chart = null;
    }
    plot.replaceChildren(Object.assign(document.createElement('p'), { className: 'empty', textContent: 'no data in this range' }));
    return 0;
  }
  const tables = withPoints.map((s) => [s.points.map((p) => p[0]), s.points.map((p) => p[1])]);
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const key = withPoints.map((s) => s.label).join(',');
  box._xRange = opts.xRange || null;  // [from, to] epoch seconds: the chosen range, not the data's
  const width = Math.max(240, plot.clientWidth || box.clientWidth - 16);
  if (box._chart && box._chartKey === key) {
    box._chart.setData(data);
    if (Math.abs(box._chart.width - width) > 2) box._chart.setSize({ width, height: opts.height || 170 });
    return total;
  }
  if (box._chart) box._chart.destroy();
  plot.replaceChildren();
  const unit = withPoints[0].uom || '';
  box._chartKey = key;
  box._chart = new uPlot({
    width,
    height: opts.height || 170,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range: (u, min, max) => box._xRange || [min, max] }, y: opts.range ? { range: opts.range } : {} },
    axes: [
      { stroke: '#5a6570', grid: { stroke: '#eef0f2' }, ticks: { stroke: '#d5d9de' }, space: 80,
        values: (u, vals) => {
          const span = (u.scales.x.max || 0) - (u.scales.x.min || 0);
          return vals.map((v) => timeLabel(v, span));
        } },
      { stroke: '#5a6570', grid: { stroke: '#eef0f2' }, ticks: { stroke: '#d5d9de' }, size: 70,
        values: (u, vals) => vals.map((v) => `${+v.toPrecision(3)}${unit}`) },
    ],
    series: [{}, ...withPoints.map((s, i) => ({
      label: s.label,
      stroke: s.stroke || PALETTE[i % PALETTE.length],
      width: s.width || 1.5,
      dash: s.dash,
      spanGaps: true,
      points: { show: s.points.length < 60 },
      value: (u, v) => (v === null || v === undefined ? '–' : `${+v.toFixed(3)} ${s.uom || ''}`),
    }))],
  }, data, plot);
  return total;
}

// Bars as plain elements: [{label, count, cls}].
export function barList(items, total) {
  const max = Math.max(1, ...items.map((i) => i.count));
  const ul = document.createElement('ul');
  ul.className = 'bars';
  for (const i of items) {
    const li = document.createElement('li');
    li.dataset.label = i.label;
    li.dataset.count = String(i.count);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = i.label;
    const track = document.createElement('span');
    track.className = 'track';
    const bar = document.createElement('span');
    bar.className = `bar ${i.cls || ''}`;
    bar.style.width = `${(100 * i.count) / max}%`;
    track.appendChild(bar);
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = total ? `${i.count} (${Math.round((100 * i.count) / total)}%)` : String(i.count);
    li.append(name, track, n);
    ul.appendChild(li);
  }
  return ul;
}
