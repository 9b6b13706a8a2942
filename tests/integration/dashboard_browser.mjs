// The dashboard in headless Chromium (playwright-core, Debian's browser),
// run by dashboard_browser_test.py, which owns every process. Talks to the
// wrapper on stdout/stdin: prints "KILL" when the ring is open and waits
// for "GO" (the victim killed and the overlay crawled again). Exit 0 when
// every check passed. Every wait is bounded.
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const URL = env('DASH_URL');
const OUT = env('DASH_OUT');
const VICTIM = env('DASH_VICTIM');
const PEERS = Number(env('DASH_PEERS'));
const { chromium } = createRequire(path.join(env('DASH_PLAYWRIGHT'), 'noop.js'))('playwright-core');

const log = (...a) => console.log(...a);
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const stdinLines = readline.createInterface({ input: process.stdin });
function waitForLine(text, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${text} from the wrapper within ${ms} ms`)), ms);
    stdinLines.on('line', (l) => {
      if (l.trim() === text) {
        clearTimeout(t);
        resolve();
      }
    });
  });
}

// Polls fn() (in Node) until it returns a truthy value, bounded.
async function until(fn, ms, what) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last})`);
}

// A fresh profile directory (the wrapper's temporary one) per run.
const context = await chromium.launchPersistentContext(env('DASH_PROFILE'), {
  executablePath: env('DASH_CHROMIUM'),
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];
let exitCode = 1;
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  // Everything the page loads comes from the collector.
  page.on('request', (r) => {
    if (!r.url().startsWith(URL)) problems.push(`request outside the collector: ${r.url()}`);
  });
  const api = (p) => page.evaluate(async (u) => (await fetch(u, { cache: 'no-store' })).json(), `api/v1/${p}`);

  // Overview: the counts shown are the API's (agents keep pushing: retry until a quiet moment).
  await page.goto(`${URL}/#/`);
  await page.waitForSelector('section.counts[data-kind="hosts"]');
  await until(async () => {
    const shown = await page.evaluate(() => {
      const read = (kind) => Object.fromEntries([...document.querySelectorAll(`section.counts[data-kind="${kind}"] .cell`)]
        .map((c) => [c.dataset.state, Number(c.dataset.count)]));
      return { hosts: read('hosts'), services: read('services'),
        problems: Number(document.querySelector('section.problems')?.dataset.total),
        crawl: document.querySelector('section.crawl')?.dataset.crawl };
    });
    const o = await api('overview');
    const same = JSON.stringify(shown.hosts) === JSON.stringify(o.hosts.by_state) &&
      JSON.stringify(shown.services) === JSON.stringify(o.services.by_state) &&
      shown.problems === o.problems.total && Number(shown.crawl) === o.latest_crawl.id;
    if (!same) log(`overview differs (retrying): ${JSON.stringify(shown)} vs ${JSON.stringify({ h: o.hosts.by_state, s: o.services.by_state, p: o.problems.total })}`);
    return same && o.hosts.total >= PEERS;
  }, 30000, 'the overview to show the API counts');
  await page.screenshot({ path: `${OUT}/dashboard-overview.png`, fullPage: true });
  log('overview: counts match the API');

  // Ring: every crawled peer drawn.
  await page.click('nav a[data-view="ring"]');
  await page.waitForSelector(`#ring-canvas[data-peers="${PEERS}"]`);
  const ringApi = await api('ring');
  check(ringApi.peers.length === PEERS, `API ring has ${ringApi.peers.length} peers`);
  const drawn = await page.evaluate(() => window.__p2pmonRing.peers.length);
  check(drawn === PEERS, `${drawn} peers drawn, ${PEERS} crawled`);
  check(ringApi.peers.every((p) => p.worst_state !== 2), 'a healthy ring has no CRITICAL peer');
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.screenshot({ path: `${OUT}/dashboard-ring.png`, fullPage: true });
  log(`ring: ${drawn} peers drawn`);

  // Hover and click a peer (not the victim): its page with its charts drawn.
  const box = await page.locator('#ring-canvas').boundingBox();
  const target = await page.evaluate((victim) => window.__p2pmonRing.peers.find((p) => p.host !== victim), VICTIM);
  await page.mouse.move(box.x + target.x, box.y + target.y);
  await page.waitForSelector('.tip:not([hidden])');
  check((await page.textContent('.tip')).includes(target.host), 'the tooltip names the peer');
  await page.mouse.click(box.x + target.x, box.y + target.y);
  await page.waitForFunction((h) => location.hash === `#/peer/${h}`, target.host);
  await page.waitForSelector('section.peerhead h1');
  check((await page.textContent('section.peerhead h1')).includes(target.host), 'the peer page shows the host');
  for (const id of ['sip', 'mos', 'loss', 'jitter', 'lookup']) {
    await page.waitForSelector(`.chart[data-chart="${id}"] .uplot canvas`, { timeout: 20000 });
    const points = Number(await page.getAttribute(`.chart[data-chart="${id}"]`, 'data-points'));
    check(points >= 1, `chart ${id} has points (${points})`);
  }
  const serviceRows = await page.locator('tr[data-service]').count();
  check(serviceRows >= 5, `the peer page lists its services (${serviceRows})`);
  const successors = await page.locator('.routing .nlist').first().locator('li').count();
  check(successors >= 1, 'the routing table lists successors');
  await page.screenshot({ path: `${OUT}/dashboard-peer.png`, fullPage: true });
  log(`peer page: ${target.host} with charts and routing table`);

  // Services filtered by state and host through the hash (a shareable link).
  await page.goto(`${URL}/#/services?service=sip_options&host=peer-`);
  await page.waitForSelector('tr[data-service="sip_options"]');
  const listed = await page.locator('tr[data-service]').count();
  const filtered = await api('services?service=sip_options&host=peer-');
  check(listed === filtered.services.length, `services view lists ${listed}, API ${filtered.services.length}`);
  check(await page.locator('tr[data-service]:not([data-service="sip_options"])').count() === 0, 'only sip_options rows');
  await page.screenshot({ path: `${OUT}/dashboard-services.png`, fullPage: true });

  // History renders its charts and bars.
  await page.click('nav a[data-view="history"]');
  await page.waitForSelector('.chart[data-chart="crawls"] .uplot canvas');
  await page.waitForSelector('ul.bars li');
  await page.screenshot({ path: `${OUT}/dashboard-history.png`, fullPage: true });

  // The victim dies; the ring shows it red without a reload.
  await page.click('nav a[data-view="ring"]');
  await page.waitForSelector(`#ring-canvas[data-peers="${PEERS}"]`);
  const before = await page.evaluate((v) => window.__p2pmonRing.peers.find((p) => p.host === v), VICTIM);
  check(before && before.state !== 2, `${VICTIM} is not CRITICAL before the kill`);
  log('KILL');
  await waitForLine('GO', 120000);
  await page.waitForFunction((v) => {
    const p = window.__p2pmonRing && window.__p2pmonRing.peers.find((q) => q.host === v);
    return p && p.state === 2 && !p.reachable;
  }, VICTIM, { timeout: 30000 });
  check(await page.evaluate(() => window.__sameDocument === true), 'no reload happened');
  // The pixel at the victim's dot is red.
  const rgb = await page.evaluate((v) => {
    const p = window.__p2pmonRing.peers.find((q) => q.host === v);
    const c = document.getElementById('ring-canvas');
    const dpr = c.width / c.clientWidth;
    return [...c.getContext('2d').getImageData(Math.round(p.x * dpr), Math.round(p.y * dpr), 1, 1).data];
  }, VICTIM);
  check(rgb[0] > 180 && rgb[1] < 90 && rgb[2] < 90, `the dead peer is drawn red (${rgb})`);
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${OUT}/dashboard-ring-dead.png`, fullPage: true });
  log(`ring: ${VICTIM} turned red without a reload`);

  // A narrow window: nothing wider than the viewport but the tables' own scroll boxes.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${URL}/#/`);
  await page.waitForSelector('section.counts[data-kind="hosts"]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the overview fits a narrow window (overflow ${overflow}px)`);
  await page.screenshot({ path: `${OUT}/dashboard-narrow.png`, fullPage: true });

  check(problems.length === 0, `no console errors or failed requests:\n  ${problems.join('\n  ')}`);
  log('no console errors');
  exitCode = 0;
} catch (e) {
  console.error(`dashboard_browser: ${e.stack || e}`);
  if (problems.length) console.error(`console: ${problems.join('\n')}`);
} finally {
  await context.close();
  stdinLines.close();
}
process.exit(exitCode);
