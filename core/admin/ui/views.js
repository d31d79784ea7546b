// The dashboard's views. Every piece of data reaches the page as text (h() below appends
// strings as text nodes): nothing from the API is ever parsed as HTML.
import { api, query, ApiError } from './api.js';

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'className') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const STATUSES = ['running', 'failed', 'waiting', 'succeeded', 'dead'];

function time(t) {
  if (!t) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString(undefined, { hour12: false });
}

function badge(status) {
  return h('span', { className: `badge badge-${String(status).replace(/[^a-z]/g, '')}` }, status);
}

function executionLink(requestId) {
  return h('a', { href: `#/executions/${encodeURIComponent(requestId)}`, 'data-key': `exec-${requestId}` },
    h('code', {}, requestId));
}

function table(caption, headers, rows, empty) {
  if (rows.length === 0) return h('p', { className: 'empty' }, empty);
  return h('div', { className: 'table-wrap' },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
}

function field(id, label, control) {
  control.id = id;
  return h('div', { className: 'field' }, h('label', { for: id }, label), control);
}

function select(name, value, options) {
  return h('select', { name },
    options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
}

async function flowIds() {
  const data = await api('GET', '/flows');
  return data.items.map((f) => f.id);
}

// A resumable execution's URL (message.meta.resumeUrl) and whether a call to it is awaited.
function resumeState(e) {
  const url = e.message && e.message.meta && e.message.meta.resumeUrl;
  if (typeof url !== 'string') return '—';
  return e.status === 'waiting'
    ? h('span', {}, 'waiting for a call to ', h('code', {}, url))
    : h('span', {}, `not waiting (${e.status}): `, h('code', {}, url));
}

// datetime-local <-> RFC 3339 (UTC)
function sinceParam(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// ---- Overview ------------------------------------------------------------------------

// Webhook rates per flow from /metrics (flowgate_webhook_requests_total, all statuses),
// sampled at each refresh: the last 30 samples (a minute at 2 s) per flow.
const rateHistory = new Map();  // flow -> { total, at, rates: [per second] }
const SAMPLES = 30;

async function sampleRates() {
  const response = await fetch('/metrics', { cache: 'no-store', credentials: 'omit' });
  if (!response.ok) return;
  const totals = new Map();
  for (const line of (await response.text()).split('\n')) {
    const m = /^flowgate_webhook_requests_total\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const f = /(?:^|,)flow="((?:[^"\\]|\\.)*)"/.exec(m[1]);
    if (!f) continue;
    const flow = f[1].replace(/\\(.)/g, '$1');
    totals.set(flow, (totals.get(flow) ?? 0) + Number(m[2]));
  }
  const now = Date.now();
  for (const [flow, total] of totals) {
    const entry = rateHistory.get(flow);
    if (!entry) {
      rateHistory.set(flow, { total, at: now, rates: [] });
      continue;
    }
    const seconds = (now - entry.at) / 1000;
    if (seconds <= 0) continue;
    entry.rates.push(Math.max(0, (total - entry.total) / seconds));
    if (entry.rates.length > SAMPLES) entry.rates.shift();
    entry.total = total;
    entry.at = now;
  }
}

function sparkline(flow) {
  const rates = rateHistory.get(flow)?.rates ?? [];
  if (rates.length === 0) return h('span', { className: 'muted' }, '—');
  const NS = 'http://www.w3.org/2000/svg';
  const width = 120;
  const height = 24;
  const max = Math.max(...rates);
  const scale = Math.max(max, 1);
  const points = rates.map((r, i) => {
    const x = (width * (i + SAMPLES - rates.length)) / (SAMPLES - 1);
    const y = height - 2 - ((height - 4) * r) / scale;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS(NS, 'polyline');
  line.setAttribute('points', points.length === 1 ? `0,${points[0].split(',')[1]} ${points[0]}` : points.join(' '));
  svg.append(line);
  const now = rates[rates.length - 1];
  return h('span', { className: 'rate', title: `at most ${max.toFixed(1)}/s in the last minute` },
    svg, h('span', {}, `${now.toFixed(1)}/s`));
}

export async function renderOverview(ctx) {
  const holder = h('div');
  const section = h('section', { 'aria-labelledby': 'view-title' },
    h('h1', { id: 'view-title' }, 'Flows'),
    h('p', { className: 'lead' }, 'Counts are over the execution history the engine keeps. Pausing a flow keeps accepting its webhooks and holds them until it is resumed.'),
    holder);
  let last = '';
  async function load() {
    const data = await api('GET', '/flows');
    await sampleRates().catch(() => {});  // the rates are a bonus: the table works without
    const key = JSON.stringify([data.items, data.items.map((f) => rateHistory.get(f.id)?.rates)]);
    if (key === last) return;
    last = key;
    const rows = data.items.map((f) => {
      const state = !f.enabled ? 'disabled' : f.paused ? 'paused' : 'active';
      const action = f.paused ? 'Resume' : 'Pause';
      return h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/executions${query({ flow: f.id })}`, 'data-key': `flow-${f.id}` }, f.id)),
        h('td', {}, h('code', { className: 'url' }, f.url)),
        h('td', {}, badge(state)),
        h('td', { className: 'num' }, f.counts.received),
        h('td', { className: 'num' }, f.counts.succeeded),
        h('td', { className: 'num' }, f.counts.failed),
        h('td', { className: 'num' }, f.counts.dead),
        h('td', { className: 'num' }, f.counts.running + f.counts.waiting),
        h('td', { className: 'num', 'data-col': 'queue' }, f.queueDepth),
        h('td', { 'data-col': 'rate' }, sparkline(f.id)),
        h('td', {}, f.enabled ? h('button', {
          type: 'button', 'data-key': `pause-${f.id}`, 'aria-label': `${action} flow ${f.id}`,
          onclick: ctx.action(async () => {
            await api('POST', `/flows/${encodeURIComponent(f.id)}/${f.paused ? 'resume' : 'pause'}`);
            ctx.notify(`Flow ${f.id} ${f.paused ? 'resumed' : 'paused'}.`);
            await load();
          }),
        }, action) : '—'));
    });
    ctx.keepFocus(() => holder.replaceChildren(table('Flows',
      ['Flow', 'Webhook URL', 'State', 'Received', 'Succeeded', 'Failed', 'Dead', 'In progress', 'Queue depth', 'Webhooks/s, last minute', 'Action'],
      rows, 'No flows are configured.')));
  }
  await load();
  ctx.show(section);
  ctx.refreshEvery(2000, load);
}

// ---- Executions ----------------------------------------------------------------------

let autoRefresh = true;

export async function renderExecutions(ctx, params) {
  const flow = params.get('flow') || '';
  const status = params.get('status') || '';
  const since = params.get('since') || '';
  const until = params.get('until') || '';
  const q = (params.get('q') || '').trim();
  const flows = await flowIds();

  const search = h('input', { type: 'search', name: 'q', value: q, spellcheck: 'false', autocomplete: 'off' });
  const sinceInput = h('input', { type: 'datetime-local', name: 'since', value: since, step: '1' });
  const untilInput = h('input', { type: 'datetime-local', name: 'until', value: until, step: '1' });
  const flowSelect = select('flow', flow, [['', 'All flows'], ...flows.map((f) => [f, f])]);
  const statusSelect = select('status', status, [['', 'Any status'], ...STATUSES.map((s) => [s, s])]);
  const form = h('form', { className: 'filters', role: 'search', 'aria-label': 'Filter executions',
    onsubmit: (e) => {
      e.preventDefault();
      ctx.navigate(`#/executions${query({ flow: flowSelect.value, status: statusSelect.value, since: sinceInput.value, until: untilInput.value, q: search.value.trim() })}`);
    } },
    field('f-flow', 'Flow', flowSelect),
    field('f-status', 'Status', statusSelect),
    field('f-since', 'Received since', sinceInput),
    field('f-until', 'Received until', untilInput),
    field('f-q', 'requestId or delivery id', search),
    h('button', { type: 'submit' }, 'Apply'));
  const auto = h('input', { type: 'checkbox', id: 'f-auto', checked: autoRefresh,
    onchange: () => { autoRefresh = auto.checked; } });
  const holder = h('div');
  const more = h('div');
  const section = h('section', { 'aria-labelledby': 'view-title' },
    h('h1', { id: 'view-title' }, 'Executions'),
    form,
    h('div', { className: 'field inline' }, auto, h('label', { for: 'f-auto' }, 'Auto-refresh every 2 seconds')),
    holder, more);

  let items = [];
  let cursor = null;
  let last = '';
  const base = { flow, status, since: sinceParam(since), until: sinceParam(until) };

  function draw() {
    const rows = items.map((e) => h('tr', {},
      h('td', {}, time(e.receivedAt)),
      h('td', {}, executionLink(e.requestId)),
      h('td', {}, e.flow),
      h('td', {}, badge(e.status)),
      h('td', {}, time(e.updatedAt)),
      h('td', {}, e.deliveryId ?? '—')));
    ctx.keepFocus(() => {
      holder.replaceChildren(table('Executions, newest first',
        ['Received', 'requestId', 'Flow', 'Status', 'Updated', 'Delivery id'], rows,
        q ? `No execution has the requestId or delivery id “${q}”.` : 'No executions match.'));
      more.replaceChildren(cursor ? h('button', { type: 'button', 'data-key': 'more', onclick: ctx.action(loadMore) }, 'Load more') : '');
    });
  }
  async function lookup() {
    try {
      const one = await api('GET', `/executions/${encodeURIComponent(q)}`);
      return { items: [one], nextCursor: null };
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
    // Not a requestId: a delivery id among the newest 500 that match the filters.
    const page = await api('GET', `/executions${query({ ...base, limit: 500 })}`);
    return { items: page.items.filter((e) => e.deliveryId === q), nextCursor: null };
  }
  async function load() {
    const page = q ? await lookup() : await api('GET', `/executions${query({ ...base, limit: 50 })}`);
    const key = JSON.stringify(page);
    if (key === last) return;
    last = key;
    items = page.items;
    cursor = page.nextCursor;
    draw();
  }
  async function loadMore() {
    const page = await api('GET', `/executions${query({ ...base, limit: 50, cursor })}`);
    items = items.concat(page.items);
    cursor = page.nextCursor;
    last = 'more';  // auto-refresh leaves a longer list alone
    draw();
  }
  await load();
  ctx.show(section);
  ctx.refreshEvery(2000, async () => { if (autoRefresh && last !== 'more') await load(); });
}

// ---- Execution detail ----------------------------------------------------------------

export async function renderExecution(ctx, requestId) {
  const holder = h('div');
  const section = h('section', { 'aria-labelledby': 'view-title' },
    h('p', {}, h('a', { href: '#/executions' }, '← All executions')),
    h('h1', { id: 'view-title' }, 'Execution ', h('code', {}, requestId)),
    holder);
  let last = '';
  async function load() {
    let e;
    try {
      e = await api('GET', `/executions/${encodeURIComponent(requestId)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        holder.replaceChildren(h('p', { className: 'empty' }, 'No execution has this requestId (it may have been removed by retention).'));
        return;
      }
      throw err;
    }
    const key = JSON.stringify(e);
    if (key === last) return;
    last = key;
    const attempts = e.attempts.map((a) => h('tr', {},
      h('td', {}, a.step ?? '—'),
      h('td', { className: 'num' }, a.attempt),
      h('td', {}, time(a.startedAt)),
      h('td', { className: 'num' }, a.durationMs === null || a.durationMs === undefined ? '—' : `${a.durationMs} ms`),
      h('td', {}, badge(a.outcome)),
      h('td', { className: 'error' }, a.error ?? '')));
    const facts = [['Flow', h('a', { href: `#/executions${query({ flow: e.flow })}` }, e.flow)],
      ['Status', badge(e.status)], ['Received', time(e.receivedAt)], ['Updated', time(e.updatedAt)],
      ['Delivery id', e.deliveryId ?? '—'],
      ['Resume URL', resumeState(e)]];
    ctx.keepFocus(() => holder.replaceChildren(
      h('dl', { className: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      e.status === 'dead' ? h('p', {}, 'It has a dead letter: ', h('a', { href: `#/dead-letters${query({ flow: e.flow })}` }, 'replay it from Dead letters'), '.') : '',
      e.status === 'waiting' ? h('p', {}, 'It is parked until its resume URL is called (see “Pausing and resuming an execution” in the README).') : '',
      h('h2', {}, 'Attempts'),
      table('Step attempts in order', ['Step', 'Attempt', 'Start', 'Duration', 'Outcome', 'Error'], attempts, 'No attempt yet.'),
      h('h2', {}, 'Message'),
      h('p', { className: 'hint' }, 'The input message as stored; credentials were stripped before it was stored.'),
      h('pre', { className: 'message', tabindex: '0', 'aria-label': 'Message JSON' }, JSON.stringify(e.message, null, 2))));
  }
  await load();
  ctx.show(section);
  ctx.refreshEvery(2000, load);
}

// ---- Dead letters --------------------------------------------------------------------

export async function renderDeadLetters(ctx, params) {
  const flow = params.get('flow') || '';
  const since = params.get('since') || '';
  const flows = await flowIds();
  const flowSelect = select('flow', flow, [['', 'All flows'], ...flows.map((f) => [f, f])]);
  const sinceInput = h('input', { type: 'datetime-local', name: 'since', value: since, step: '1' });
  const filter = { flow: flow || undefined, since: sinceParam(since) || undefined };
  const form = h('form', { className: 'filters', role: 'search', 'aria-label': 'Filter dead letters',
    onsubmit: (e) => {
      e.preventDefault();
      ctx.navigate(`#/dead-letters${query({ flow: flowSelect.value, since: sinceInput.value })}`);
    } },
    field('d-flow', 'Flow', flowSelect),
    field('d-since', 'Failed since', sinceInput),
    h('button', { type: 'submit' }, 'Apply'));
  const holder = h('div');
  const replayAll = h('button', { type: 'button', className: 'primary', 'data-key': 'replay-all',
    onclick: ctx.action(async () => {
      const what = flow ? `every dead letter of flow ${flow}` : 'every dead letter';
      if (!window.confirm(`Replay ${what}${since ? ' since the given time' : ''}? Each runs its failed step again.`)) return;
      const r = await api('POST', '/dead-letters/replay', filter);
      ctx.notify(`Replayed ${r.replayed} dead letter${r.replayed === 1 ? '' : 's'}.`);
      await load();
    }) }, 'Replay all matching…');
  const section = h('section', { 'aria-labelledby': 'view-title' },
    h('h1', { id: 'view-title' }, 'Dead letters'),
    h('p', { className: 'lead' }, 'Items whose step failed after its last retry. Replay runs the step again; delete drops the item.'),
    form, h('p', {}, replayAll), holder);
  let last = '';
  async function load() {
    const data = await api('GET', `/dead-letters${query({ ...filter, limit: 500 })}`);
    const key = JSON.stringify(data.items);
    if (key === last) return;
    last = key;
    replayAll.disabled = data.items.length === 0;
    const rows = data.items.map((d) => h('tr', {},
      h('td', {}, time(d.failedAt)),
      h('td', {}, executionLink(d.requestId)),
      h('td', {}, d.flow),
      h('td', {}, d.step),
      h('td', { className: 'num' }, d.attempts),
      h('td', { className: 'error' }, d.error),
      h('td', { className: 'actions' },
        h('button', { type: 'button', 'data-key': `replay-${d.id}`, 'aria-label': `Replay dead letter ${d.id}`,
          onclick: ctx.action(async () => {
            const r = await api('POST', `/dead-letters/${encodeURIComponent(d.id)}/replay`);
            ctx.notify(`Replayed dead letter ${d.id} (execution ${r.requestId}).`);
            await load();
          }) }, 'Replay'),
        h('button', { type: 'button', className: 'danger', 'data-key': `delete-${d.id}`, 'aria-label': `Delete dead letter ${d.id}`,
          onclick: ctx.action(async () => {
            if (!window.confirm(`Delete dead letter ${d.id}? Its item is dropped for good.`)) return;
            await api('DELETE', `/dead-letters/${encodeURIComponent(d.id)}`);
            ctx.notify(`Deleted dead letter ${d.id}.`);
            await load();
          }) }, 'Delete'))));
    ctx.keepFocus(() => holder.replaceChildren(table('Dead letters, newest first',
      ['Failed', 'requestId', 'Flow', 'Step', 'Attempts', 'Error', 'Actions'], rows, 'No dead letters.')));
  }
  await load();
  ctx.show(section);
  ctx.refreshEvery(3000, load);
}
