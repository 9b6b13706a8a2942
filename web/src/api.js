// The collector's JSON API (docs/api.md): the only thing the page reads.

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function get(path, params) {
  let url = `api/v1/${path}`;
  if (params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const s = q.toString();
    if (s) url += `?${s}`;
  }
  const res = await fetch(url, { cache: 'no-store' });
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

// get(), or null on 404 (no crawl yet, unknown host).
export async function getOrNull(path, params) {
  try {
    return await get(path, params);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}
