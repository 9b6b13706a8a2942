// Bundles the dashboard (src/) into --out: assets/app-HASH.js and
// assets/app-HASH.css (content-hashed, cached for a year by the collector)
// and index.html naming them. esbuild and uPlot come from --node-modules
// (the build tree's `npm ci`, web/CMakeLists.txt).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) {
    console.error(`build.mjs: --${name} DIR is required`);
    process.exit(2);
  }
  return path.resolve(process.argv[i + 1]);
}

const src = arg('src');
const out = arg('out');
const nodeModules = arg('node-modules');
const esbuild = createRequire(path.join(nodeModules, 'noop.js'))('esbuild');

const assets = path.join(out, 'assets');
fs.rmSync(assets, { recursive: true, force: true });
fs.mkdirSync(assets, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: path.join(src, 'main.js') },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  target: ['es2020'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  nodePaths: [nodeModules],
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});

const files = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
const js = files.find((f) => f.endsWith('.js'));
const css = files.find((f) => f.endsWith('.css'));
if (!js || !css) {
  console.error('build.mjs: esbuild gave no .js or .css', files);
  process.exit(1);
}
const html = fs.readFileSync(path.join(src, 'index.html'), 'utf8')
  .replace('%APP_JS%', `assets/${js}`)
  .replace('%APP_CSS%', `assets/${css}`);
fs.copyFileSync(path.join(src, 'favicon.svg'), path.join(out, 'favicon.svg'));
// index.html last: its presence means the bundle is complete (the collector checks it).
fs.writeFileSync(path.join(out, 'index.html.tmp'), html);
fs.renameSync(path.join(out, 'index.html.tmp'), path.join(out, 'index.html'));
console.log(`dashboard: ${out}/index.html, assets/${js}, assets/${css}`);
