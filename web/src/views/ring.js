// Ring view: every peer of the latest crawl on one <canvas>, at its
// Node-ID's angle (id / 2^128 × 360°, clockwise from the top), coloured by
// its worst state; successor links coloured by ring (partitions), dead
// pointers dashed red. Hover shows the peer, a click opens its page. One
// canvas and a linear hit test: fast with thousands of peers.
import { getOrNull } from '../api.js';
import { h, stateBadge, hostLink, table, empty, errorBox, ago, clock, STATE_COLOURS, STATE_NAMES } from '../util.js';

const RING_COLOURS = ['#50647d', '#8e44ad', '#e67e22', '#16a085', '#c2185b', '#2c3e50'];
const DEAD = '#d32f2f';
const TWO_52 = 2 ** 52;

// The first 13 hex digits (52 bits) of the 128-bit Node-ID give the angle exactly enough.
export function angleOf(nodeId) {
  return (parseInt(nodeId.slice(0, 13), 16) / TWO_52) * 2 * Math.PI;
}

function drawLinks(ctx, model, c, r, at, dead) {
  for (const p of model.peers) {
    if (!p.reachable || !p.successor || p.dead_successor !== dead) continue;
    const s = model.byId.get(p.successor);
    const [tx, ty] = s ? [s.x, s.y] : at(angleOf(p.successor), r - 10);
    // Bend each link toward the centre by a quarter of its length, so that
    // links between neighbours stay visible inside the circle.
    const mx = (p.x + tx) / 2;
    const my = (p.y + ty) / 2;
    const len = Math.hypot(tx - p.x, ty - p.y);
    const toC = Math.hypot(c - mx, c - my) || 1;
    const bend = Math.min(0.25 * len, toC);
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    ctx.quadraticCurveTo(mx + ((c - mx) / toC) * bend, my + ((c - my) / toC) * bend, tx, ty);
    if (p.dead_successor) {
      ctx.strokeStyle = DEAD;
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
    } else {
      // The largest ring (and chains that end at a dead pointer) in the plain colour;
      // a second, third ... ring stands out in its own: a partition.
      const ring = p.ring || 0;
      ctx.strokeStyle = RING_COLOURS[ring % RING_COLOURS.length];
      ctx.lineWidth = ring === 0 ? 1 : 2;
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

function draw(canvas, model, hover) {
  const dpr = window.devicePixelRatio || 1;
  const size = canvas.clientWidth;
  if (size < 80) return;  // detached or hidden: nothing to draw on
  if (canvas.width !== Math.round(size * dpr)) {
    canvas.width = Math.round(size * dpr);
    canvas.height = Math.round(size * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size, size);
  const c = size / 2;
  const r = c - 28;
  const n = model.peers.length;
  const dot = n > 600 ? 3 : n > 200 ? 4 : 6;
  const at = (a, rr = r) => [c + rr * Math.sin(a), c - rr * Math.cos(a)];
  for (const p of model.peers) [p.x, p.y] = at(p.angle);

  ctx.strokeStyle = '#e3e6ea';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.arc(c, c, r, 0, 2 * Math.PI);
  ctx.stroke();
  // 0 / 90 / 180 / 270 degree ticks.
  ctx.fillStyle = '#98a2ad';
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ['0', '4', '8', 'c'].forEach((hex, i) => {
    const [x, y] = at((i * Math.PI) / 2, r + 21);
    ctx.fillText(`${hex}…`, x, y);
  });

  // Successor links under the peers; dead pointers over them (drawLinks below).
  drawLinks(ctx, model, c, r, at, false);

  // Peers: worst state colour, the worse ones drawn last (on top) and a
  // little larger; unreachable ones with a dark ring.
  for (const p of model.drawOrder) {
    const radius = p === hover ? dot + 3 : p.worst_state === 0 ? dot : dot + 1;
    ctx.beginPath();
    ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
    ctx.fillStyle = STATE_COLOURS[p.worst_state] || STATE_COLOURS[3];
    ctx.fill();
    if (!p.reachable || p === hover) {
      ctx.lineWidth = p === hover ? 2 : 1.5;
      ctx.strokeStyle = '#1b1f24';
      ctx.stroke();
    }
  }
  drawLinks(ctx, model, c, r, at, true);
  // A partition at a glance: when there is more than one ring, a band of
  // ticks outside the circle in each peer's ring colour.
  if (model.peers.some((p) => p.ring !== null && p.ring > 0)) {
    ctx.lineWidth = 2;
    for (const p of model.peers) {
      if (p.ring === null) continue;
      const [x0, y0] = at(p.angle, r + dot + 3);
      const [x1, y1] = at(p.angle, r + dot + 10);
      ctx.strokeStyle = RING_COLOURS[p.ring % RING_COLOURS.length];
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
    }
  }
  window.__p2pmonRing = {
    crawl: model.crawl.id,
    peers: model.peers.map((p) => ({ host: p.host, x: p.x, y: p.y, state: p.worst_state, reachable: p.reachable })),
  };
}

function nearest(model, x, y) {
  let best = null;
  let bestD = 14 * 14;
  for (const p of model.peers) {
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d < bestD) {
      best = p;
      bestD = d;
    }
  }
  return best;
}

function legend(model) {
  const counts = [0, 0, 0, 0];
  for (const p of model.peers) counts[p.worst_state] += 1;
  const rings = model.crawl.rings || [];
  return h('div.legend', null,
    counts.map((n, i) => h('span.item', null, h(`span.swatch.s${i}`), `${STATE_NAMES[i]} ${n}`)),
    h('span.item', null, h('span.line', { style: `border-color:${RING_COLOURS[0]}` }), 'successor'),
    h('span.item', null, h('span.line.dashed', { style: `border-color:${DEAD}` }), `dead pointer ${model.dead_successors}`),
    rings.length > 1 ? rings.map((size, i) => h('span.item', null,
      h('span.line', { style: `border-color:${RING_COLOURS[i % RING_COLOURS.length]}` }), `ring ${i + 1}: ${size} peers`)) : null);
}

function attention(model) {
  // The ring column only where there is more than one ring (a partition).
  const partitioned = model.peers.some((p) => p.ring !== null && p.ring > 0);
  const rows = model.peers
    .filter((p) => !p.reachable || p.dead_successor || p.worst_state !== 0)
    .sort((a, b) => (b.worst_state === 2) - (a.worst_state === 2) || a.host.localeCompare(b.host))
    .slice(0, 100)
    .map((p) => h('tr', { dataset: { host: p.host } },
      h('td', null, stateBadge(p.worst_state)),
      h('td', null, hostLink(p.host)),
      h('td.mono', null, p.address),
      h('td', null, p.reachable ? 'yes' : h('span.bad', null, `no (${p.error || 'no answer'})`)),
      h('td', null, p.dead_successor ? h('span.bad', null, `dead → ${p.successor.slice(0, 8)}`) : ''),
      partitioned ? h('td', null, p.ring === null ? '–' : String(p.ring + 1)) : null));
  if (!rows.length) return empty('Every crawled peer answered, with all states OK and no dead pointer.');
  return table(['Worst', 'Peer', 'Address', 'Reachable', 'Successor', partitioned ? 'Ring' : null].filter(Boolean),
    rows, 'dense');
}

export function ringView(root) {
  let model = null;
  let hover = null;
  const canvas = h('canvas.ring', { id: 'ring-canvas', 'aria-label': 'overlay ring', role: 'img' });
  const tip = h('div.tip', { hidden: true });
  const head = h('div.ringhead');
  const legendBox = h('div');
  const listBox = h('div');
  const wrap = h('div.ringwrap', null, canvas, tip);
  root.append(h('section.card', null, head, wrap, legendBox),
    h('section.card', null, h('h2', null, 'Peers to look at'), listBox));

  const redraw = () => model && draw(canvas, model, hover);
  const resize = new ResizeObserver(redraw);
  resize.observe(wrap);

  canvas.addEventListener('mousemove', (ev) => {
    if (!model) return;
    const b = canvas.getBoundingClientRect();
    const p = nearest(model, ev.clientX - b.left, ev.clientY - b.top);
    if (p !== hover) {
      hover = p;
      redraw();
    }
    canvas.style.cursor = p ? 'pointer' : 'default';
    if (!p) {
      tip.hidden = true;
      return;
    }
    tip.replaceChildren(
      h('b', null, p.host), ' ', stateBadge(p.worst_state), h('br'),
      h('span.mono', null, p.node_id), h('br'),
      `${p.address} · ${p.reachable ? 'reachable' : 'unreachable: ' + (p.error || '?')}`, h('br'),
      `successor ${p.successor ? p.successor.slice(0, 8) : '–'}${p.dead_successor ? ' (dead)' : ''}`);
    tip.hidden = false;
    const x = ev.clientX - b.left + 14;
    tip.style.left = `${Math.min(x, b.width - 260)}px`;
    tip.style.top = `${ev.clientY - b.top + 14}px`;
  });
  canvas.addEventListener('mouseleave', () => {
    hover = null;
    tip.hidden = true;
    redraw();
  });
  canvas.addEventListener('click', (ev) => {
    if (!model) return;
    const b = canvas.getBoundingClientRect();
    const p = nearest(model, ev.clientX - b.left, ev.clientY - b.top);
    if (p) location.hash = `#/peer/${encodeURIComponent(p.host)}`;
  });

  let alive = true;
  return {
    async refresh() {
      let d;
      try {
        d = await getOrNull('ring');
      } catch (e) {
        head.replaceChildren(errorBox(e));
        return;
      }
      if (!alive) return;
      if (!d) {
        head.replaceChildren(h('h2', null, 'Ring'), empty('No crawl stored yet (p2pmon-crawl --collector URL).'));
        canvas.dataset.peers = '0';
        return;
      }
      const peers = d.peers.map((p) => ({ ...p, angle: angleOf(p.node_id) }));
      const rank = [0, 2, 3, 1];  // OK < UNKNOWN < WARNING < CRITICAL
      const drawOrder = peers.slice().sort((a, b) => (rank[a.worst_state] ?? 1) - (rank[b.worst_state] ?? 1));
      model = { crawl: d.crawl, peers, drawOrder, byId: new Map(peers.map((p) => [p.node_id, p])), dead_successors: d.dead_successors };
      const c = d.crawl;
      const ok = c.consistent && !c.partitioned;
      head.replaceChildren(h('h2', null, `Ring · crawl #${c.id}`,
        h('span.sub', { title: clock(c.started_at) }, ` ${c.overlay} · ${ago(c.started_at)} · ${c.found} found, ${c.reachable} reachable, ${c.unreachable} unreachable · `),
        h(`span.${ok ? 'good' : 'bad'}`, null, ok ? 'consistent' : c.partitioned ? `partitioned: ${c.rings.length} rings` : 'not consistent')));
      Object.assign(canvas.dataset, {
        crawl: String(c.id),
        peers: String(peers.length),
        unreachable: String(peers.filter((p) => !p.reachable).length),
        critical: String(peers.filter((p) => p.worst_state === 2).length),
        dead: String(d.dead_successors),
      });
      if (hover) hover = model.byId.get(hover.node_id) || null;
      redraw();
      legendBox.replaceChildren(legend(model));
      listBox.replaceChildren(attention(model));
    },
    unmount() {
      alive = false;
      resize.disconnect();
      delete window.__p2pmonRing;
    },
  };
}
