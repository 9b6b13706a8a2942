// bench/dashboard: page load to first full render in Debian's Chromium
// (playwright-core from the build tree's `npm ci`, web/CMakeLists.txt).
// Usage: node dashboard_render.mjs BASE_URL HOST LOADS BUILD_DIR
// For each page (overview, ring, a peer page) LOADS times in a fresh
// browser context (empty cache: the bundle is fetched too): the time from
// navigation start until the view says it has drawn its data
// (#view[data-rendered] and the performance mark `p2pmon-rendered`, set
// by web/src/main.js when a view's first refresh has drawn). Prints JSON: per page the median and worst in ms.
import { createRequire } from 'node:module';
import path from 'node:path';

const [base, host, loadsText, build] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(build), 'web-npm', 'node_modules', 'noop.js'));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const pages = { overview: '#/', ring: '#/ring', peer: `#/peer/${encodeURIComponent(host)}` };
const out = {};
try {
  for (const [name, hash] of Object.entries(pages)) {
    const samples = [];
    for (let i = 0; i < Number(loadsText); i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      const errors = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(base + hash, { waitUntil: 'commit' });
      await page.waitForSelector('#view[data-rendered]', { timeout: 30000 });
      // Navigation start to the view's mark, in the page's own clock.
      const rendered = await page.evaluate(() => {
        const mark = performance.getEntriesByName('p2pmon-rendered')[0];
        return mark ? mark.startTime : null;
      });
      if (rendered === null) throw new Error(`${name}: no p2pmon-rendered mark`);
      samples.push(rendered);
      if (errors.length) out[`${name}_console_errors`] = errors.slice(0, 3);
      await context.close();
    }
    samples.sort((a, b) => a - b);
    out[name] = { median_ms: Math.round(samples[Math.floor(samples.length / 2)]),
      max_ms: Math.round(samples[samples.length - 1]), runs: samples.map(Math.round) };
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
