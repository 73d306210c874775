// Browser tests of the web viewer (/viewer/): the real server on the real data (geodata/),
// Debian's chromium, headless, driven by playwright-core. Run by ctest as `node --test`.
//
// Environment (set by CMakeLists.txt beside this file):
//   PM_BIN         the partnermap binary
//   PM_DB          the database of geodata/ (the ctest fixture geodata_db)
//   PM_VIEWER_DIR  the built viewer (build/viewer)
//   PM_SCREENSHOT  where to write the screenshot of the whole map (PNG)
//   PM_CHROMIUM    the browser (default /usr/bin/chromium)
//
// Everything is bounded in time: the server and chromium are stopped when the tests end,
// and a watchdog ends the process (stopping both) should anything hang.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.PM_BIN;
const DB = process.env.PM_DB;
const VIEWER_DIR = process.env.PM_VIEWER_DIR;
const SCREENSHOT = process.env.PM_SCREENSHOT || join(tmpdir(), 'viewer-screenshot.png');
const CHROMIUM = process.env.PM_CHROMIUM || '/usr/bin/chromium';
const WATCHDOG_MS = 85_000;

let server = null;     // the partnermap child process
let context = null;    // the persistent browser context (launchPersistentContext)
let userDataDir = null;
let base = null;       // http://127.0.0.1:PORT

// ------------------------------------------------------------------ set-up and tear-down

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    const s = server;
    setTimeout(() => { if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL'); }, 3000).unref();
  }
}

const watchdog = setTimeout(() => {
  console.error(`# browser test: watchdog after ${WATCHDOG_MS / 1000} s; stopping the server and chromium`);
  stopServer();
  if (context) context.close().catch(() => {});
  setTimeout(() => process.exit(1), 2000).unref();
}, WATCHDOG_MS);
watchdog.unref();
process.on('exit', () => {
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

/* npm ci into tests/browser/node_modules when the pinned packages are not installed yet
   (offline-safe once they are). */
function ensureDeps() {
  const stamp = join(here, 'node_modules', '.package-lock.json');
  const lock = join(here, 'package-lock.json');
  if (existsSync(join(here, 'node_modules', 'playwright-core', 'package.json')) && existsSync(stamp) &&
      statSync(stamp).mtimeMs >= statSync(lock).mtimeMs)
    return;
  const r = spawnSync('npm', ['ci', '--prefix', here, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    { stdio: 'inherit', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`npm ci --prefix ${here} failed (status ${r.status})`);
}

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn(BIN, ['serve', '--db', DB, '--port', '0', '--threads', '2', '--viewer-dir', VIEWER_DIR],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => reject(new Error(`the server did not say where it listens:\n${log}`)), 10_000);
    server.on('error', (e) => { clearTimeout(timer); reject(e); });
    server.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? sig}):\n${log}`));
    });
    server.stderr.setEncoding('utf8');
    server.stderr.on('data', (chunk) => {
      if (log.length < 100_000) log += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m && !base) {
        base = `http://127.0.0.1:${m[1]}`;
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

before(async () => {
  for (const [name, v] of Object.entries({ PM_BIN: BIN, PM_DB: DB, PM_VIEWER_DIR: VIEWER_DIR }))
    assert.ok(v && existsSync(v), `${name} must name an existing file or folder (got ${v})`);
  assert.ok(existsSync(join(VIEWER_DIR, 'app.js')), `${VIEWER_DIR} has no app.js: build the viewer target`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  ensureDeps();
  await startServer();
  const { chromium } = createRequire(import.meta.url)('playwright-core');
  userDataDir = mkdtempSync(join(tmpdir(), 'pm-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(15_000);
});

after(async () => {
  clearTimeout(watchdog);
  if (context) await context.close().catch(() => {});
  stopServer();
  if (server && server.exitCode === null && server.signalCode === null)
    await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000).unref(); });
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

// ------------------------------------------------------------------ helpers

async function api(path) {
  const r = await fetch(base + path, { headers: { Accept: 'application/json' } });
  assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
  return r.json();
}
/* numberMatched of an items query, with only the features that have a geometry. */
async function placedCount(collection, query = '') {
  const q = new URLSearchParams(query);
  q.set('filter', 'geometry IS NOT NULL');
  q.set('limit', '1');
  return (await api(`/collections/${collection}/items?${q}`)).numberMatched;
}

/* A page that records what would make a test fail: console errors, page errors, failed
   requests, HTTP errors and any request to a host other than 127.0.0.1. */
async function openPage(path) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // An aborted search (a newer one replaced it) is not a failure.
    if (r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().includes('q=')) return;
    problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:') return;
    if (u.hostname !== '127.0.0.1') problems.push(`request to another host: ${r.url()}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(base + path);
  await page.waitForSelector('#map[data-ready]');
  assert.equal(await page.getAttribute('#map', 'data-ready'), 'true',
    `the viewer did not load: ${await page.textContent('#error')}`);
  return { page, problems };
}

async function mapCounts(page) {
  return page.evaluate(() => {
    const m = document.getElementById('map');
    return {
      cities: Number(m.dataset.cities), links: Number(m.dataset.links),
      members: Number(m.dataset.members), pilots: Number(m.dataset.pilots), events: Number(m.dataset.events),
      cityPaths: m.querySelectorAll('path.pm-city').length,
      linkPaths: m.querySelectorAll('path.pm-link').length,
      memberPaths: m.querySelectorAll('path.pm-member').length,
      pilotIcons: m.querySelectorAll('.pm-pilot').length,
      eventIcons: m.querySelectorAll('.pm-event').length,
    };
  });
}

async function viewerState(page) {
  return page.evaluate(() => {
    const v = window.partnermapViewer;
    const c = v.map.getCenter();
    return {
      lat: c.lat, lng: c.lng, zoom: v.map.getZoom(),
      country: document.getElementById('f-country').value,
      region: document.getElementById('f-region').value,
      kind: document.getElementById('f-kind').value,
      level: document.getElementById('f-level').value,
      slider: document.getElementById('year').value,
      yearLabel: document.getElementById('year-label').textContent,
      links: Number(document.getElementById('map').dataset.links),
      cities: Number(document.getElementById('map').dataset.cities),
      search: location.search,
    };
  });
}

/* The URL's parameters, once the viewer has written them (it waits 150 ms after a change). */
async function settledParams(page) {
  await page.waitForTimeout(400);
  return Object.fromEntries(new URL(page.url()).searchParams);
}

// A PNG decoder for what chromium writes: 8-bit RGB or RGBA, not interlaced.
function decodePng(buf) {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  let pos = 8, width = 0, height = 0, bitDepth = 0, colourType = 0, interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      bitDepth = data[8]; colourType = data[9]; interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  assert.equal(bitDepth, 8, 'PNG bit depth');
  assert.ok(colourType === 2 || colourType === 6, `PNG colour type ${colourType}`);
  assert.equal(interlace, 0, 'interlaced PNG');
  const bpp = colourType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[y * stride + x - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? px[(y - 1) * stride + x - bpp] : 0;
      let v = line[x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(f, 0, `PNG filter ${f}`);
      px[y * stride + x] = v & 255;
    }
  }
  return { width, height, bpp, px };
}

// ------------------------------------------------------------------ the tests

test('the viewer loads with every place and link of the API, no error and nothing from outside', async () => {
  const { page, problems } = await openPage('/viewer/');
  const placedCities = await placedCount('cities');
  const placedLinks = await placedCount('partnerships');
  // Cross-check the filter with a plain count of the features that have a geometry.
  const all = await api('/collections/cities/items?limit=10000&skipGeometry=false');
  assert.equal(all.features.filter((f) => f.geometry).length, placedCities);
  assert.ok(placedCities > 100 && placedLinks > 100, `the real data set (${placedCities}, ${placedLinks})`);

  const n = await mapCounts(page);
  assert.equal(n.cities, placedCities, 'city markers = placed cities of the API');
  assert.equal(n.cityPaths, placedCities, 'SVG city markers = placed cities');
  assert.equal(n.links, placedLinks, 'arcs = partnerships with a geometry');
  assert.equal(n.linkPaths, placedLinks, 'SVG arcs = partnerships with a geometry');
  assert.equal(n.members, await placedCount('memberships'));
  assert.equal(n.memberPaths, n.members);
  assert.equal(n.pilots, await placedCount('pilot-sites'));
  assert.equal(n.pilotIcons, n.pilots);
  assert.equal(n.events, await placedCount('events'));
  assert.equal(n.eventIcons, n.events);

  // The arcs are the geodesic geometry (many vertices), not two-point lines.
  const vertices = await page.evaluate(() => Math.max(...[...document.querySelectorAll('#map path.pm-link')]
    .map((p) => ((p.getAttribute('d') || '').match(/L/g) || []).length)));
  assert.ok(vertices >= 5, `an arc has ${vertices} segments`);
  // The offline basemap is drawn (a canvas in its own pane); no tile layer is on.
  assert.equal(await page.locator('.leaflet-basemap-pane canvas').count(), 1, 'basemap canvas');
  assert.equal(await page.locator('.leaflet-tile').count(), 0, 'no tiles');
  // The layer control: two base layers (Natural Earth checked), five overlays all on.
  const control = await page.evaluate(() => ({
    base: [...document.querySelectorAll('.leaflet-control-layers-base input')].map((i) => i.checked),
    overlays: [...document.querySelectorAll('.leaflet-control-layers-overlays input')].map((i) => i.checked),
  }));
  assert.deepEqual(control.base, [true, false]);
  assert.deepEqual(control.overlays, [true, true, true, true, true]);
  // The chart: one bar per year 1973..now, from the summary.
  const bars = await page.locator('#chart g.bar').count();
  assert.equal(bars, new Date().getFullYear() - 1973 + 1);
  const summary = await api('/collections/partnerships/summary?groupby=year');
  const in1979 = summary.groups.find((g) => g.key === '1979').count;
  assert.match(await page.locator('#chart g.bar[data-year="1979"] title').textContent(), new RegExp(`^1979: ${in1979} `));

  // Switching a layer off and on changes the map and the URL.
  await page.locator('.leaflet-control-layers-overlays label', { hasText: 'Events' }).locator('input').uncheck();
  assert.equal((await mapCounts(page)).eventIcons, 0);
  assert.equal((await settledParams(page)).layers, 'cities,links,members,pilots');
  await page.locator('.leaflet-control-layers-overlays label', { hasText: 'Events' }).locator('input').check();
  assert.equal((await mapCounts(page)).eventIcons, n.events);
  await page.waitForTimeout(300);
  assert.deepEqual(problems, []);
  await page.close();
});

test('search 大连, click Dalian: the panel lists Kitakyushu, 1979; a partner shows the link', async () => {
  const { page, problems } = await openPage('/viewer/');
  await page.fill('#search', '大连');
  const dalian = page.locator('#search-results button.result[data-id="cn-dalian"]');
  await dalian.waitFor();
  assert.equal(await dalian.locator('.r-name').textContent(), 'Dalian');
  await dalian.click();
  await page.waitForSelector('#partners button.partner');
  assert.equal(await page.locator('#details h2').textContent(), 'Dalian');
  // Its names in every script the data has (English, Chinese, Japanese), its region.
  const dl = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#details dt')]
    .map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  const city = (await api('/collections/cities/items/cn-dalian')).properties;
  assert.equal(dl.English, city.name_en);
  assert.equal(dl['中文'], city.name_zh || '—');
  assert.equal(dl['日本語'], city.name_ja || '—');
  assert.equal(dl.Region, city.region_name);

  const api_ = await api('/collections/partnerships/items?city=cn-dalian&limit=1000&skipGeometry=true');
  assert.equal(await page.locator('#partners button.partner').count(), api_.numberMatched);
  const kita = page.locator('#partners button.partner[data-link="dalian--kitakyushu"]');
  assert.equal(await kita.locator('.p-name').textContent(), 'Kitakyushu');
  assert.equal(await kita.locator('.p-year').textContent(), '1979');
  assert.equal(await kita.locator('.p-kind').textContent(), 'friendship');
  const params = await settledParams(page);
  assert.equal(params.city, 'cn-dalian');
  // Dalian's links are highlighted (drawn in the highlight colour), the others dimmed.
  const styles = await page.evaluate(() => {
    const out = { hi: 0, lo: 0 };
    document.querySelectorAll('#map path.pm-link').forEach((p) => {
      if (p.getAttribute('stroke') === '#f26b0f') out.hi++; else out.lo++;
    });
    return out;
  });
  const placedDalian = await placedCount('partnerships', 'city=cn-dalian');
  assert.equal(styles.hi, placedDalian);

  // Click the link: both ends, kind, level, date, distance, source.
  await kita.click();
  await page.waitForSelector('#details[data-link="dalian--kitakyushu"] dl');
  const link = (await api('/collections/partnerships/items/dalian--kitakyushu')).properties;
  const details = await page.locator('#details').textContent();
  for (const s of ['Dalian', 'Kitakyushu', '北九州市', link.kind, link.level, link.established,
    `${link.distance_km.toLocaleString('en', { maximumFractionDigits: 1 })} km`, link.source])
    assert.ok(details.includes(s), `link details lack ${s}: ${details}`);
  assert.equal((await settledParams(page)).link, 'dalian--kitakyushu');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the slider at 1980 shows the links established by the end of 1980, as the API counts them', async () => {
  const { page, problems } = await openPage('/viewer/');
  await page.evaluate(() => {
    const s = document.getElementById('year');
    s.value = '1980';
    s.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const expected = await placedCount('partnerships', 'datetime=../1980-12-31');
  const n = await mapCounts(page);
  assert.ok(expected > 0 && expected < (await placedCount('partnerships')), `1980: ${expected}`);
  assert.equal(n.links, expected);
  assert.equal(n.linkPaths, expected);
  assert.equal(await page.textContent('#year-label'), '1980');
  assert.match(await page.textContent('#undated-note'), /[Uu]ndated links \(\d+\) are hidden/);
  assert.equal((await settledParams(page)).year, '1980');
  // Play from 1973: the year advances and the number of links never falls.
  await page.click('#play');
  await page.waitForFunction(() => Number(document.getElementById('year').value) >= 1975);
  const during = await mapCounts(page);
  await page.click('#play'); // pause
  const year = Number(await page.inputValue('#year'));
  assert.ok(year >= 1975, `played to ${year}`);
  assert.equal(during.links <= (await mapCounts(page)).links, true);
  // "All" brings back every link, dated or not.
  await page.click('#all-years');
  assert.equal((await mapCounts(page)).links, await placedCount('partnerships'));
  assert.equal((await settledParams(page)).year, undefined);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the URL round-trip: a shared link restores the view and the filters', async () => {
  const shared = '/viewer/?center=36.5000,128.2500&zoom=6&region=cn-liaoning&kind=friendship&level=city&year=1990';
  const { page, problems } = await openPage(shared);
  const s = await viewerState(page);
  assert.equal(s.zoom, 6);
  assert.ok(Math.abs(s.lat - 36.5) < 1e-3 && Math.abs(s.lng - 128.25) < 1e-3, `center ${s.lat},${s.lng}`);
  assert.deepEqual([s.region, s.kind, s.level, s.slider, s.yearLabel],
    ['cn-liaoning', 'friendship', 'city', '1990', '1990']);
  const expected = await placedCount('partnerships',
    'region=cn-liaoning&kind=friendship&level=city&datetime=../1990-12-31');
  assert.ok(expected > 0, 'the shared filters select some links');
  assert.equal(s.links, expected);
  const cities = await placedCount('cities', 'region=cn-liaoning');
  assert.equal(s.cities, cities);
  // The page writes back the same state.
  assert.deepEqual(await settledParams(page), Object.fromEntries(new URL(base + shared).searchParams));

  // Change the state in the page (country, kind, pan and zoom), then open its URL afresh.
  await page.selectOption('#f-region', '');
  await page.selectOption('#f-kind', 'sister');
  await page.selectOption('#f-country', 'JP');
  await page.evaluate(() => { window.partnermapViewer.map.setView([34.2, 131.5], 5, { animate: false }); });
  const params = await settledParams(page);
  const before_ = await viewerState(page);
  assert.deepEqual(params, { center: '34.2000,131.5000', zoom: '5', country: 'JP', kind: 'sister', level: 'city', year: '1990' });
  const again = await openPage('/viewer/' + before_.search);
  const after_ = await viewerState(again.page);
  for (const k of ['zoom', 'country', 'region', 'kind', 'level', 'slider', 'links', 'cities', 'search'])
    assert.deepEqual(after_[k], before_[k], k);
  assert.ok(Math.abs(after_.lat - before_.lat) < 1e-3 && Math.abs(after_.lng - before_.lng) < 1e-3);
  assert.deepEqual(problems, []);
  assert.deepEqual(again.problems, []);
  await page.close();
  await again.page.close();
});

test('the HTML page of the API shows its features on a small map with the offline basemap', async () => {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol !== 'data:' && u.hostname !== '127.0.0.1') problems.push(`request to another host: ${r.url()}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  await page.goto(base + '/collections/cities/items?f=html&limit=50&country=JP');
  // 50 Japanese places with a point: one marker each; the basemap's countries are drawn.
  const fc = await api('/collections/cities/items?limit=50&country=JP');
  const placed = fc.features.filter((f) => f.geometry).length;
  await page.waitForFunction((n) => document.querySelectorAll('#items-map path.leaflet-interactive').length === n, placed);
  assert.ok(placed > 20, `${placed} placed features on the page`);
  await page.waitForFunction(() => document.querySelectorAll('#items-map path').length >
    document.querySelectorAll('#items-map path.leaflet-interactive').length);
  assert.equal(await page.locator('table tbody tr').count(), 50, 'the table has the page\'s rows');
  assert.ok(await page.locator('nav.paging a[rel="next"]').count() === 1, 'a next link');
  await page.waitForTimeout(300);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a screenshot of the whole map is a real picture', async () => {
  const { page, problems } = await openPage('/viewer/');
  await page.waitForTimeout(300);
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  const png = decodePng(readFileSync(SCREENSHOT));
  assert.equal(png.width, 1400);
  assert.ok(png.height >= 900);
  // Sample the map (right of the side panel) on a grid: many colours, no colour dominant.
  const colours = new Map();
  let samples = 0;
  for (let y = 10; y < 890; y += 7)
    for (let x = 380; x < 1390; x += 7) {
      const i = (y * png.width + x) * png.bpp;
      const key = (png.px[i] << 16) | (png.px[i + 1] << 8) | png.px[i + 2];
      colours.set(key, (colours.get(key) || 0) + 1);
      samples++;
    }
  const top = Math.max(...colours.values());
  assert.ok(colours.size > 10, `only ${colours.size} distinct colours in the map`);
  assert.ok(top / samples < 0.8, `one colour covers ${Math.round((100 * top) / samples)}% of the map`);
  // The sea (map background) and the land of China are both there.
  const has = (r, g, b) => [...colours.keys()].some((k) =>
    Math.abs((k >> 16) - r) < 6 && Math.abs(((k >> 8) & 255) - g) < 6 && Math.abs((k & 255) - b) < 6);
  assert.ok(has(0xcf, 0xe2, 0xee), 'sea colour');
  assert.ok(has(0xf6, 0xe7, 0xdc), 'land colour of China');
  console.log(`# screenshot ${SCREENSHOT}: ${png.width}x${png.height}, ${colours.size} colours in ${samples} samples`);
  assert.deepEqual(problems, []);
  await page.close();
});
