// REST client. Every call is same-origin; the session cookie set by login
// authenticates it. Failures become ApiError carrying the problem document.

const BASE = '/api/v1';

/** ApiError is a failed request: status 0 means the server was not reached. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code || (status === 0 ? 'network' : 'http_' + status);
    this.detail = problem.detail || problem.title || this.message;
    this.field = problem.field || '';
  }
}

async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch {
    throw new ApiError(0, { detail: 'Cannot reach the server.' });
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text().catch(() => '');
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    throw new ApiError(res.status, data && typeof data === 'object' ? data : { detail: `HTTP ${res.status}` });
  }
  return data;
}

const enc = encodeURIComponent;

/** api lists the endpoints the dashboard uses, one function each. */
export const api = {
  me: () => request('GET', '/me'),
  register: (username, password) => request('POST', '/auth/register', { username, password }),
  login: (username, password) => request('POST', '/auth/login', { username, password }),
  logout: () => request('POST', '/auth/logout'),
  portfolio: () => request('GET', '/portfolio'),
  trade: (symbol, side, quantity) => request('POST', '/portfolio/trades', { symbol, side, quantity }),
  trades: (limit, cursor) => request('GET', `/portfolio/trades?limit=${limit}` + (cursor ? `&cursor=${enc(cursor)}` : '')),
  watchlist: () => request('GET', '/watchlist'),
  setWatchlist: (symbols) => request('PUT', '/watchlist', { symbols }),
  symbols: () => request('GET', '/symbols'),
  quotes: (symbols) => request('GET', '/quotes?symbols=' + symbols.map(enc).join(',')),
  candles: (symbol) => request('GET', `/quotes/${enc(symbol)}/candles`),
  market: () => request('GET', '/market'),
  alerts: (status, limit = 100) => request('GET', `/alerts?status=${enc(status)}&limit=${limit}`),
  createAlert: (body) => request('POST', '/alerts', body),
  deleteAlert: (id) => request('DELETE', `/alerts/${enc(id)}`),
};
