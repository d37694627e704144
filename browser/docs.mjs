// The interactive API docs at /docs, as an integrator uses them: the page loads from the
// server alone, lists the operations, and "Try it out" with a bearer token calls the API.
// Environment: OPENPAN_URL (the server), OPENPAN_TOKEN (a user's access token),
// OPENPAN_USER_ID (whose token it is).
import { run, recordingPage, check } from './lib.mjs';

const base = process.env.OPENPAN_URL;
const token = process.env.OPENPAN_TOKEN;
const userId = Number(process.env.OPENPAN_USER_ID);

await run(async (browser) => {
  const { page, origins, errors } = await recordingPage(browser);
  await page.goto(`${base}/docs/`);
  await page.locator('.information-container .title').waitFor();
  const title = await page.locator('.information-container .title').innerText();
  check(title.includes('openpan open platform'), `title: ${title}`);
  // Every tag's section is open by default; each operation is one summary row.
  await page.locator('.opblock').first().waitFor();
  const operations = await page.locator('.opblock').count();
  check(operations >= 160, `only ${operations} operations are listed`);

  // Authorize with the bearer token, as the page's padlock asks.
  await page.locator('button.authorize').first().click();
  // The dialog offers each scheme (bearer for the API, Basic for apps at /oauth/*).
  const dialog = page.locator('.modal-ux');
  const bearer = dialog.locator('.auth-container').filter({ has: page.locator('h4', { hasText: /^bearer/ }) });
  await bearer.locator('input').fill(token);
  await bearer.locator('button.authorize').click();
  await dialog.locator('button.close-modal').first().click();

  // Try `GET /api/v2/user/info`: the signed-in user comes back.
  const operation = page.locator('#operations-users-get_user_info');
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  const code = (await status.innerText()).trim();
  check(code === '200', `status ${code}`);
  const body = await operation.locator('.live-responses-table .response .microlight').first().innerText();
  const user = JSON.parse(body);
  check(user.id === userId, `answered ${body}`);
  // The request the page sent carried the token.
  const curl = await operation.locator('.curl-command').innerText();
  check(curl.includes(`Bearer ${token}`), `curl: ${curl}`);

  const elsewhere = [...origins].filter((origin) => origin !== new URL(base).origin);
  check(elsewhere.length === 0, `fetched from elsewhere: ${elsewhere.join(', ')}`);
  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  return { operations, status: code, user: user.id };
});
