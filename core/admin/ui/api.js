// The admin API v1 with the bearer token from session storage: no cookies, nothing kept
// beyond the browser tab.
const KEY = 'flowgate.adminToken';

export class Unauthorized extends Error {}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function getToken() {
  return sessionStorage.getItem(KEY);
}

export function setToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(KEY);
}

// Calls /api/v1<path>; the answer's JSON, or null for 204. Throws Unauthorized on 401
// (the token is forgotten), ApiError with the API's message otherwise.
export async function api(method, path, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${getToken() ?? ''}` };
  const init = { method, headers, cache: 'no-store', credentials: 'omit' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api/v1${path}`, init);
  // Always read the body to its end (a 204's empty one too): a response left unread is
  // cancelled, which the browser reports as an aborted request.
  const text = await response.text();
  if (response.status === 401) {
    forgetToken();
    throw new Unauthorized('the engine refused the token');
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (data && data.message) || `HTTP ${response.status}`);
  }
  return data;
}

// "?a=1&b=2" from the non-empty entries of `params`.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
