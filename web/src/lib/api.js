// The console's calls: the web session (an HttpOnly cookie) is traded for a bearer token at
// /console/token, and every page then calls the same /api/v2 the open platform documents.
import { lang } from './i18n.js';

const CONSOLE = { 'X-Openpan-Console': '1' };

/// An /api/v2 error: the envelope's first code, message and field.
export class ApiFailure extends Error {
  constructor(status, body) {
    const first = body?.errors?.[0] ?? {};
    super(first.msg || body?.error_description || `HTTP ${status}`);
    this.status = status;
    this.code = first.code || body?.error || `http_${status}`;
    this.field = first.field;
  }
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) throw new ApiFailure(response.status, body);
  return body;
}

export async function signIn(login, password) {
  return answer(
    await fetch('/console/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { ...CONSOLE, 'Content-Type': 'application/json', 'Accept-Language': lang.value },
      body: JSON.stringify({ login, password }),
    }),
  );
}

export async function signOut() {
  tokens.clear();
  return answer(await fetch('/console/logout', { method: 'POST', credentials: 'same-origin', headers: CONSOLE }));
}

/// Bearer tokens by kind (`user`, `admin`), asked for again shortly before they expire.
const tokens = new Map();

/// A new token of `kind` from the session, kept for the calls that follow; the whole answer.
async function newToken(kind) {
  const query = kind === 'admin' ? '?admin=true' : '';
  const body = await answer(
    await fetch(`/console/token${query}`, { method: 'POST', credentials: 'same-origin', headers: CONSOLE }),
  );
  tokens.set(kind, { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 });
  return body;
}

async function bearer(kind, renew) {
  const held = tokens.get(kind);
  if (held && !renew && held.expiresAt > Date.now() + 30_000) return held.token;
  return (await newToken(kind)).access_token;
}

/// Who is signed in (with whether they administer the enterprise), or null.
export async function whoAmI() {
  try {
    const body = await newToken('user');
    return { user: body.user, isAdmin: body.is_admin };
  } catch (failure) {
    if (failure.status === 401) return null;
    throw failure;
  }
}

function send(path, { method = 'GET', body, headers = {} }) {
  return fetch(`/api/v2${path}`, {
    method,
    headers: {
      'Accept-Language': lang.value,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/// Calls /api/v2`path` with the user's token (`admin: true`: the enterprise's); one retry with
/// a fresh token when it was refused as expired.
export async function api(path, { method = 'GET', body, admin = false } = {}) {
  const kind = admin ? 'admin' : 'user';
  for (let attempt = 0; ; attempt++) {
    const token = await bearer(kind, attempt > 0);
    const response = await send(path, { method, body, headers: { Authorization: `Bearer ${token}` } });
    if (response.status === 401 && attempt === 0) continue;
    return answer(response);
  }
}

/// A caller of /api/v2 with a token handed to the page (an embedded component's).
export function withToken(token) {
  return async (path, { method = 'GET', body } = {}) =>
    answer(await send(path, { method, body, headers: { Authorization: `Bearer ${token}` } }));
}

/// A caller of /api/v2 as a share link's visitor: the link's name and password in its headers,
/// and the signed-in person's token when there is one (links for the enterprise need it).
export function asVisitor({ link, password, signedIn }) {
  return async (path) => {
    const headers = { 'Share-Link-Token': link };
    if (password) headers['Share-Link-Verification-Code'] = password;
    if (signedIn) headers.Authorization = `Bearer ${await bearer('user', false)}`;
    return answer(await send(path, { headers }));
  };
}

/// Uploads `file` into folder `parentId` through an upload URL, reporting progress (0..1);
/// `call` is whose /api/v2 asks for the URL.
export async function upload(file, parentId, onProgress, call = api) {
  const { presign_url: url } = await call('/file/upload_v2', {
    method: 'POST',
    body: { parent_id: parentId, name: file.name, file_size: file.size, upload_type: "api" },
  });
  const form = new FormData();
  form.append('file', file, file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = null;
      }
      if (request.status >= 200 && request.status < 300) resolve(body);
      else reject(new ApiFailure(request.status, { errors: [{ code: body?.errors, msg: body?.error }] }));
    };
    request.onerror = () => reject(new ApiFailure(0, null));
    request.send(form);
  });
}
