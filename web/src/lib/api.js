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
  forgetSessions();
  return answer(await fetch('/console/logout', { method: 'POST', credentials: 'same-origin', headers: CONSOLE }));
}

/// Bearer tokens by kind (`user`, `admin`), asked for again shortly before they expire.
const tokens = new Map();
/// The signed-in person's id, whose part-upload sessions are theirs alone.
let signedIn = null;

/// A new token of `kind` from the session, kept for the calls that follow; the whole answer.
async function newToken(kind) {
  const query = kind === 'admin' ? '?admin=true' : '';
  const body = await answer(
    await fetch(`/console/token${query}`, { method: 'POST', credentials: 'same-origin', headers: CONSOLE }),
  );
  tokens.set(kind, { token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 });
  if (body.user) signedIn = body.user.id;
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

/// Sends `body` to a transfer URL (its own credential); the parsed answer. `onProgress(bytes)`
/// hears how much of the body has gone.
function transfer(method, url, body, { onProgress, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    for (const [name, value] of Object.entries(headers)) request.setRequestHeader(name, value);
    if (onProgress) {
      request.upload.onprogress = (event) => onProgress(event.loaded);
    }
    request.onload = () => {
      let answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        answer = null;
      }
      if (request.status >= 200 && request.status < 300) resolve(answer);
      else reject(new ApiFailure(request.status, { errors: [{ code: answer?.errors, msg: answer?.error }] }));
    };
    request.onerror = () => reject(new ApiFailure(0, null));
    request.send(body);
  });
}

/// Files from this size up go in parts that survive a dropped connection.
export const RESUMABLE_FROM = 16 * 1024 * 1024;

/// Uploads `file` into folder `parentId` through an upload URL, reporting progress (0..1);
/// `call` is whose /api/v2 asks for the URL. The console's large files go in parts.
export async function upload(file, parentId, onProgress, call = api) {
  if (call === api && file.size >= RESUMABLE_FROM) return uploadInParts(file, parentId, onProgress);
  const { presign_url: url } = await call('/file/upload_v2', {
    method: 'POST',
    body: { parent_id: parentId, name: file.name, file_size: file.size, upload_type: 'api' },
  });
  const form = new FormData();
  form.append('file', file, file.name);
  return transfer('POST', url, form, { onProgress: (sent) => onProgress(sent / file.size) });
}

// Open part-upload sessions by person and file, so choosing the same file again (even after
// a reload) sends only the parts that did not arrive. Their URLs are credentials: they are
// forgotten at sign-out.
const SESSIONS = 'openpan.uploads';

function forgetSessions() {
  try {
    localStorage.removeItem(SESSIONS);
  } catch {
    // Storage refused: nothing was kept.
  }
}

function sessions() {
  try {
    return JSON.parse(localStorage.getItem(SESSIONS) ?? '{}');
  } catch {
    return {};
  }
}

function keepSession(key, session) {
  try {
    const all = sessions();
    const now = Date.now() / 1000;
    for (const [other, kept] of Object.entries(all)) if (kept.expires_at <= now) delete all[other];
    if (session) all[key] = session;
    else delete all[key];
    localStorage.setItem(SESSIONS, JSON.stringify(all));
  } catch {
    // Storage refused: a dropped upload starts over.
  }
}

/// The part's SHA-256 in hex, for the server to check what arrived (none where the page
/// has no Web Crypto, as on plain HTTP to another host).
async function sha256(blob) {
  if (!globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/// An upload that could not finish; choosing the file again resumes it.
export class Interrupted extends ApiFailure {
  constructor(cause) {
    super(cause.status, { errors: [{ code: 'upload_interrupted', msg: cause.message }] });
    this.resumable = true;
  }
}

const PAUSES = [1000, 2000, 4000];

/// Runs `send` again after a pause while the connection drops or the server is busy; a
/// refusal (4xx) will not change on a retry and is thrown at once, and the last pause past,
/// the upload is `Interrupted`.
async function persisting(send) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (failure) {
      if (failure.status !== 0 && failure.status < 500) throw failure;
      if (attempt >= PAUSES.length) throw new Interrupted(failure);
      await new Promise((wake) => setTimeout(wake, PAUSES[attempt]));
    }
  }
}

async function uploadInParts(file, parentId, onProgress) {
  const key = [signedIn, parentId, file.name, file.size, file.lastModified].join('/');
  const known = sessions()[key];
  let session = null;
  if (known && known.expires_at * 1000 > Date.now()) {
    try {
      session = { ...(await transfer('GET', known.upload_url)), upload_url: known.upload_url };
    } catch {
      session = null;
    }
  }
  if (!session) {
    session = await api('/file/resumable_upload', {
      method: 'POST',
      body: { parent_id: parentId, name: file.name, file_size: file.size },
    });
    keepSession(key, { upload_url: session.upload_url, expires_at: session.expires_at });
  }
  const arrived = new Set(session.parts.map((part) => part.part_number));
  let sent = session.parts.reduce((sum, part) => sum + part.size, 0);
  onProgress(sent / file.size);
  for (let number = 1; number <= session.part_count; number++) {
    if (arrived.has(number)) continue;
    const start = (number - 1) * session.part_size;
    const part = file.slice(start, Math.min(file.size, start + session.part_size));
    const digest = await sha256(part);
    const headers = digest ? { 'Content-SHA256': digest } : {};
    await persisting(() =>
      transfer('PUT', `${session.upload_url}/part/${number}`, part, {
        headers,
        onProgress: (bytes) => onProgress((sent + bytes) / file.size),
      }),
    );
    sent += part.size;
  }
  const made = await persisting(() =>
    transfer('POST', `${session.upload_url}/commit`, '{}', { headers: { 'Content-Type': 'application/json' } }),
  );
  keepSession(key, null);
  return made;
}
