// The dashboard in a real browser (Debian's chromium, driven by playwright-core) against a
// real engine: a flow whose HTTP step fails until a local server comes up.
//
//   node dashboard.test.mjs <flowgate binary> <plugin dir> <screenshot dir>
//
// Wrong token → clear message; right token → overview; a webhook turns dead; its detail
// shows the attempts with the error; the upstream starts; replay from the dead-letter view
// → succeeded; pause → a new delivery is held (queue depth 1); resume → it succeeds.
// Any console error or page error fails the test. Screenshots of each view go to
// <screenshot dir>.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [binary, pluginDir, shotDir] = process.argv.slice(2);
if (!binary || !pluginDir || !shotDir) {
  console.error('usage: node dashboard.test.mjs <flowgate binary> <plugin dir> <screenshot dir>');
  process.exit(2);
}
mkdirSync(shotDir, { recursive: true });
const work = mkdtempSync(path.join(tmpdir(), 'flowgate-ui-test-'));
const T = 20000;  // ms for anything the engine does

function step(text) {
  console.log(`- ${text}`);
}

async function freePort() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what, check, timeout = T) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the engine ----------------------------------------------------------------------
const upstreamPort = await freePort();  // closed until the "fix"
const configDir = path.join(work, 'config');
const dataDir = path.join(work, 'data');
mkdirSync(path.join(configDir, 'flows'), { recursive: true });
writeFileSync(path.join(configDir, 'engine.json'), JSON.stringify({
  dataDir,
  http: { host: '127.0.0.1' },
  network: { allowAddresses: ['127.0.0.1/32'] },
  retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 200 },
}));
writeFileSync(path.join(configDir, 'flows', 'relay.json'), JSON.stringify({
  id: 'relay',
  steps: [{ id: 'call', component: 'http', function: 'request',
    config: { url: `http://127.0.0.1:${upstreamPort}/in` } }],
}));

const engine = spawn(binary, ['run', '--config', configDir, '--port', '0', '--admin-port', '0',
  '--plugins', pluginDir], { stdio: ['ignore', 'pipe', 'pipe'] });
let engineOut = '';
engine.stdout.on('data', (d) => { engineOut += d; });
engine.stderr.on('data', (d) => { engineOut += d; });
let engineExited = false;
engine.on('exit', () => { engineExited = true; });

let upstream = null;
let browser = null;
let failed = false;

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (upstream) upstream.close();
  if (!engineExited) {
    engine.kill('SIGTERM');
    await until('the engine to stop', () => engineExited, 10000).catch(() => engine.kill('SIGKILL'));
  }
  if (failed) console.error(`--- engine output ---\n${engineOut}`);
  rmSync(work, { recursive: true, force: true });
}

try {
  await until('the engine to start', () => /Flowgate admin on http:\/\/\S+/.test(engineOut) || engineExited);
  if (engineExited) throw new Error('the engine exited at start');
  const hooks = engineOut.match(/Flowgate listening on (http:\/\/\S+)/)[1];
  const admin = engineOut.match(/Flowgate admin on (http:\/\/\S+)/)[1];
  const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();

  // ---- the browser -------------------------------------------------------------------
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  page.setDefaultTimeout(T);
  const errors = [];
  let expect401 = false;  // the browser itself logs the 401 of a refused token
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (expect401 && /status of 401/.test(m.text()) && /\/api\/v1\//.test(m.location().url)) return;
    errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  const nav = (name) => page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name, exact: true }).click();
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

  step('/ redirects to /ui/; the page asks for the token');
  const first = await page.goto(`${admin}/`);
  if (!first.url().endsWith('/ui/')) throw new Error(`not redirected to /ui/: ${first.url()}`);
  const csp = first.headers()['content-security-policy'];
  if (csp !== "default-src 'self'") throw new Error(`CSP: ${csp}`);
  await page.getByLabel('Admin token').waitFor();

  step('a wrong token shows a clear message');
  expect401 = true;
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'refused this token (401' }).waitFor();
  expect401 = false;
  await page.screenshot({ path: path.join(shotDir, 'sign-in.png') });
  if (await page.evaluate(() => document.cookie) !== '') throw new Error('cookies were set');

  step('the right token shows the overview');
  await page.getByLabel('Admin token').fill(token);
  await page.getByLabel('Admin token').press('Enter');  // the keyboard works too
  const relayRow = page.locator('tbody tr', { hasText: 'relay' });
  await relayRow.waitFor();
  if (!(await relayRow.textContent()).includes(`${hooks}/hook/relay`)) throw new Error('no webhook URL');
  if (await page.evaluate(() => sessionStorage.getItem('flowgate.adminToken')) !== token)
    throw new Error('the token is not in session storage');

  step('a webhook turns dead while the upstream is down');
  const post = async (body) => {
    const r = await fetch(`${hooks}/hook/relay`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body) });
    if (r.status !== 202) throw new Error(`webhook: ${r.status}`);
    return (await r.json()).requestId;
  };
  const id = await post({ order: 7, note: '<b>not markup</b>' });
  await nav('Executions');
  const execRow = page.locator('tbody tr', { hasText: id });
  await execRow.locator('.badge', { hasText: 'dead' }).waitFor();
  await page.screenshot({ path: path.join(shotDir, 'executions.png') });

  step('filters: status dead finds it, status succeeded does not; search by requestId');
  await page.getByLabel('Status').selectOption('succeeded');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('No executions match.').waitFor();
  await page.getByLabel('Status').selectOption('');
  await page.getByLabel('requestId or delivery id').fill(id);
  await page.getByRole('button', { name: 'Apply' }).click();
  await execRow.waitFor();

  step('its detail shows the attempts with the error, and the message as text');
  await page.getByRole('link', { name: id }).click();
  await page.getByRole('heading', { name: `Execution ${id}` }).waitFor();
  const attempts = page.locator('table', { has: page.locator('caption', { hasText: 'Step attempts' }) }).locator('tbody tr');
  await attempts.nth(1).locator('.badge', { hasText: 'dead' }).waitFor();
  if (!(await attempts.nth(0).textContent()).includes('failed')) throw new Error('first attempt not failed');
  const error = await attempts.nth(1).locator('td.error').textContent();
  if (!error.trim()) throw new Error('no error on the dead attempt');
  const message = await page.locator('pre.message').textContent();
  if (!message.includes('<b>not markup</b>')) throw new Error('the message is not shown as text');
  if (await page.locator('pre.message b').count() !== 0) throw new Error('message data became markup');
  await page.screenshot({ path: path.join(shotDir, 'execution.png'), fullPage: true });

  step('dead letters: delete asks first (cancel keeps it, OK deletes it)');
  const id2 = await post({ order: 9 });
  const id3 = await post({ order: 10 });
  await nav('Dead letters');
  for (const x of [id, id2, id3]) await page.locator('tbody tr', { hasText: x }).waitFor();
  const row3 = page.locator('tbody tr', { hasText: id3 });
  page.once('dialog', (d) => d.dismiss());
  await row3.getByRole('button', { name: /^Delete dead letter/ }).click();
  await new Promise((r) => setTimeout(r, 300));
  if (await row3.count() !== 1) throw new Error('a dismissed delete deleted');
  page.once('dialog', (d) => d.accept());
  await row3.getByRole('button', { name: /^Delete dead letter/ }).click();
  await row3.waitFor({ state: 'detached' });

  step('the upstream comes up; replay from the dead-letter view succeeds');
  let delivered = 0;
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise((resolve) => upstream.listen(upstreamPort, '127.0.0.1', resolve));
  await nav('Dead letters');
  const deadRow = page.locator('tbody tr', { hasText: id });
  await deadRow.waitFor();
  if (!(await deadRow.locator('td.error').textContent()).trim()) throw new Error('no error in the dead-letter list');
  await page.screenshot({ path: path.join(shotDir, 'dead-letters.png') });
  await deadRow.getByRole('button', { name: /^Replay dead letter/ }).click();
  await page.locator('#notice').filter({ hasText: 'Replayed dead letter' }).waitFor();
  await deadRow.waitFor({ state: 'detached' });
  await page.goto(`${admin}/ui/#/executions/${encodeURIComponent(id)}`);
  await page.locator('dl.facts .badge', { hasText: 'succeeded' }).waitFor();
  await page.locator('tbody tr .badge', { hasText: 'replayed' }).waitFor();
  if (delivered !== 1) throw new Error(`the upstream got ${delivered} requests, not 1`);

  step('replay all matching, after a confirmation, replays the rest');
  await nav('Dead letters');
  const row2 = page.locator('tbody tr', { hasText: id2 });
  await row2.waitFor();
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.accept(); });
  await page.getByRole('button', { name: 'Replay all matching…' }).click();
  await page.locator('#notice').filter({ hasText: 'Replayed 1 dead letter.' }).waitFor();
  if (!asked.startsWith('Replay every dead letter')) throw new Error(`confirmation: ${asked}`);
  await page.getByText('No dead letters.').waitFor();
  await until('the replayed delivery', () => delivered === 2);

  step('pause holds a new delivery; resume delivers it');
  await nav('Overview');
  await page.getByRole('button', { name: 'Pause flow relay' }).click();
  await relayRow.locator('.badge', { hasText: 'paused' }).waitFor();
  const held = await post({ order: 8 });
  await relayRow.locator('td[data-col="queue"]', { hasText: /^1$/ }).waitFor();
  await relayRow.locator('td[data-col="rate"] svg.spark polyline').waitFor({ state: 'attached' });
  await new Promise((r) => setTimeout(r, 1000));
  if (delivered !== 2) throw new Error('a paused flow delivered');
  await page.getByRole('button', { name: 'Resume flow relay' }).focus();
  await page.screenshot({ path: path.join(shotDir, 'overview.png') });
  await page.keyboard.press('Enter');  // buttons are buttons: the keyboard presses them
  await relayRow.locator('.badge', { hasText: 'active' }).waitFor();
  await relayRow.locator('td[data-col="queue"]', { hasText: /^0$/ }).waitFor();
  await nav('Executions');
  await page.locator('tbody tr', { hasText: held }).locator('.badge', { hasText: 'succeeded' }).waitFor();
  await until('the held delivery', () => delivered === 3);

  step('forgetting the token asks for it again');
  await page.getByRole('button', { name: 'Forget token' }).click();
  await page.getByLabel('Admin token').waitFor();

  if (errors.length) throw new Error(`errors in the page:\n${errors.join('\n')}`);
  console.log('ok: the dashboard works');
} catch (e) {
  failed = true;
  console.error(`FAIL: ${e.stack || e}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
