// The dashboard's shell: the token, the hash router (#/overview, #/executions?…,
// #/executions/<requestId>, #/dead-letters?…), the notice line and auto-refresh.
import { api, getToken, setToken, forgetToken, Unauthorized } from './api.js';
import { h, renderOverview, renderExecutions, renderExecution, renderDeadLetters } from './views.js';

const main = document.getElementById('main');
const notice = document.getElementById('notice');
const forget = document.getElementById('forget-token');
let timer = null;
let generation = 0;

function stopRefresh() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

function handleError(error) {
  if (error instanceof Unauthorized) {
    stopRefresh();
    showLogin('The engine refused this token (401 Unauthorized). Enter the admin token again.');
    return;
  }
  notify(`Error: ${error.message}`, 'error');
}

function notify(text, kind = 'info') {
  notice.className = kind;
  notice.textContent = text;
}

function makeContext(gen) {
  const current = () => gen === generation;
  return {
    navigate(hash) {
      if (location.hash === hash) route();
      else location.hash = hash;
    },
    notify,
    show(node) {
      if (!current()) return;
      main.replaceChildren(node);
    },
    refreshEvery(ms, load) {
      if (!current()) return;
      stopRefresh();
      let busy = false;
      timer = setInterval(async () => {
        if (busy || !current()) return;
        busy = true;
        try {
          await load();
        } catch (e) {
          handleError(e);
        } finally {
          busy = false;
        }
      }, ms);
    },
    // A click handler that reports failures instead of throwing them away.
    action(fn) {
      return async (event) => {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await fn();
        } catch (e) {
          handleError(e);
        } finally {
          button.disabled = false;
        }
      };
    },
    // Redraws without losing the keyboard focus: the element with the same data-key
    // gets it back.
    keepFocus(redraw) {
      const key = document.activeElement && document.activeElement.getAttribute('data-key');
      redraw();
      if (key) {
        const again = main.querySelector(`[data-key="${CSS.escape(key)}"]`);
        if (again) again.focus();
      }
    },
  };
}

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/overview';
  const at = hash.indexOf('?');
  const path = at < 0 ? hash : hash.slice(0, at);
  const params = new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params };
}

async function route() {
  stopRefresh();
  const gen = ++generation;
  if (!getToken()) {
    showLogin();
    return;
  }
  forget.hidden = false;
  const { parts, params } = parseRoute();
  const view = parts[0] || 'overview';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx = makeContext(gen);
  try {
    if (view === 'executions' && parts[1]) await renderExecution(ctx, parts[1]);
    else if (view === 'executions') await renderExecutions(ctx, params);
    else if (view === 'dead-letters') await renderDeadLetters(ctx, params);
    else await renderOverview(ctx);
    if (gen === generation) document.title = `${document.getElementById('view-title')?.textContent ?? 'Dashboard'} · Flowgate`;
  } catch (e) {
    if (gen === generation) handleError(e);
  }
}

function showLogin(message) {
  generation++;
  forget.hidden = true;
  const input = h('input', { type: 'password', id: 'token', name: 'token', required: true,
    autocomplete: 'off', spellcheck: 'false', 'aria-describedby': message ? 'token-help login-error' : 'token-help' });
  const form = h('form', { className: 'login', 'aria-labelledby': 'view-title',
    onsubmit: async (e) => {
      e.preventDefault();
      setToken(input.value.trim());
      try {
        await api('GET', '/flows');
        notify('');
        route();
      } catch (err) {
        handleError(err);
      }
    } },
    h('h1', { id: 'view-title' }, 'Sign in'),
    message ? h('p', { id: 'login-error', className: 'error', role: 'alert' }, message) : '',
    h('div', { className: 'field' },
      h('label', { for: 'token' }, 'Admin token'),
      input),
    h('p', { id: 'token-help', className: 'hint' },
      'The engine’s admin token: the file admin-token in its data directory (generated on a loopback listener) or the secret configured as admin.token. It is kept in this tab’s session storage only and sent as a bearer token with each API call.'),
    h('button', { type: 'submit', className: 'primary' }, 'Sign in'));
  main.replaceChildren(form);
  document.title = 'Sign in · Flowgate';
  input.focus();
}

forget.addEventListener('click', () => {
  forgetToken();
  stopRefresh();
  notify('');
  showLogin();
});
window.addEventListener('hashchange', () => {
  notify('');
  route();
});
route();
