// An integrator's site that embeds openpan's file picker, uploader and previewer: the
// expense-claim page of a company's own system, attaching receipts from the drive.
//
// Its server holds the app's credentials. For each component it gets a token for the signed-in
// user (the OA dialect's `open-api/get-token`) and trades it at `/oauth/token` (RFC 8693 token
// exchange) for a short token confined to one folder or file with `item.*` scopes; the
// browser never sees the app's secret or the user's full token. No dependencies: Node 18+.
//
//   OPENPAN_URL=http://127.0.0.1:8080 OPENPAN_CLIENT_ID=… OPENPAN_CLIENT_SECRET=… \
//   OPENPAN_USER=alice@example.com DEMO_PORT=8090 node examples/embed-demo/server.mjs
//
// The app must list the demo's address among its redirect URIs (e.g.
// http://127.0.0.1:8090/callback): openpan lets only the app's own sites frame its components.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/// What each component may do: the picker reads, the uploader adds, the previewer previews.
const SCOPES = { picker: 'item.download', uploader: 'item.upload', previewer: 'item.preview' };

const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startDemo({ openpanUrl, clientId, clientSecret, user, port = 0 }) {
  const page = await readFile(new URL('./index.html', import.meta.url), 'utf8');
  const script = await readFile(new URL('./demo.js', import.meta.url));
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  let held = null;

  async function userToken() {
    if (held && held.expiresAt > Date.now() + 60_000) return held.token;
    const response = await fetch(`${openpanUrl}/api/open-api/get-token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ agent_id: clientId, secret: clientSecret, user }),
    });
    const body = await response.json();
    if (body.status !== 1) throw new Error(`get-token: ${JSON.stringify(body)}`);
    held = { token: body.data.token, expiresAt: Date.now() + Number(body.data.expired_in) * 1000 };
    return held.token;
  }

  async function componentToken(component, itemId) {
    const scope = SCOPES[component];
    if (!scope || !Number.isInteger(itemId) || itemId < 0) throw new Error('unknown component or item');
    const kind = component === 'previewer' ? 'file' : 'folder';
    const response = await fetch(`${openpanUrl}/oauth/token`, {
      method: 'POST',
      headers: { Authorization: basic, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: EXCHANGE,
        subject_token: await userToken(),
        subject_token_type: ACCESS_TOKEN,
        scope,
        resource: `${openpanUrl}/api/v2/${kind}/${itemId}`,
      }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`token exchange: ${JSON.stringify(body)}`);
    return { token: body.access_token, expires_in: body.expires_in };
  }

  const server = http.createServer(async (request, response) => {
    try {
      const url = new URL(request.url, 'http://demo');
      if (request.method === 'GET' && url.pathname === '/') {
        const html = page.replaceAll('{{OPENPAN_URL}}', escape(openpanUrl)).replaceAll('{{CLIENT_ID}}', escape(clientId));
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      } else if (request.method === 'GET' && url.pathname === '/demo.js') {
        response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(script);
      } else if (request.method === 'POST' && url.pathname === '/component-token') {
        const component = url.searchParams.get('component');
        const itemId = Number(url.searchParams.get('id') ?? 0);
        const answer = await componentToken(component, itemId);
        response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(answer));
      } else {
        response.writeHead(404).end();
      }
    } catch (error) {
      response.writeHead(502, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: String(error.message) }));
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemo({
    openpanUrl: process.env.OPENPAN_URL ?? 'http://127.0.0.1:8080',
    clientId: process.env.OPENPAN_CLIENT_ID,
    clientSecret: process.env.OPENPAN_CLIENT_SECRET,
    user: process.env.OPENPAN_USER,
    port: Number(process.env.DEMO_PORT ?? 8090),
  });
  console.log(`the embedding demo is at ${demo.url}`);
}
