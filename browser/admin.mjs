// The enterprise's administration as its administrator uses it, in English: add a person
// with a quota, change the quota, hand them a 免登 sign-in link (opened in a fresh browser,
// which lands signed in as them, without the administration; the same link a second time
// lands on the sign-in page, which says it did not work), make a department and a group and
// put the person in both (heading the department and managing its folder), register an app with a callback address (its secret shown once,
// then rotated), delete a person who leaves and give their files to a colleague, watch its webhook deliveries and send one again, filter the audit log, and
// read the status page; every page passes axe-core with no critical violation, and the
// people page is usable at 360 px.
// Environment: OPENPAN_URL, OPENPAN_LOGIN, OPENPAN_PASSWORD, OPENPAN_HOOK (a callback address).
import { run, recordingPage, check, accessibility, screenshot } from './lib.mjs';

const base = process.env.OPENPAN_URL;

/// Looks people up with the finder labelled `label` inside `scope`.
async function find(scope, label, words) {
  const form = scope.locator('form', { has: scope.page().getByLabel(label) });
  await form.getByLabel(label).fill(words);
  await form.getByRole('button', { name: 'Search' }).click();
}

await run(async (browser) => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  const { page, origins, errors } = await recordingPage(context);
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(`${base}/`);
  await page.getByLabel('Email or phone').fill(process.env.OPENPAN_LOGIN);
  await page.getByLabel('Password').fill(process.env.OPENPAN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('nav.topnav').getByRole('link', { name: 'Administration' }).click();
  const serious = {};

  // People: add one with a quota, change it, and make a sign-in link for them.
  await page.getByRole('button', { name: 'New person' }).click();
  const adding = page.locator('form', { has: page.getByLabel('First password (optional)') });
  await adding.getByLabel('Name').fill('Wang Fang');
  await adding.getByLabel('Email').fill('wang@acme.test');
  await adding.getByLabel('First password (optional)').fill('wang-fang-2026');
  await adding.getByLabel('Space (GB, -1 for no limit)').fill('5');
  await adding.getByRole('button', { name: 'Create' }).click();
  const row = page.locator('tr[data-name="Wang Fang"]');
  await row.getByText('0 B / 5.0 GB').waitFor();
  await row.getByRole('button', { name: 'Edit Wang Fang' }).click();
  const editing = page.getByRole('dialog', { name: 'Edit “Wang Fang”' });
  await editing.getByLabel('Space (GB, -1 for no limit)').fill('10');
  await editing.getByRole('button', { name: 'Save' }).click();
  await row.getByText('0 B / 10 GB').waitFor();
  serious.people = await accessibility(page);
  await screenshot(page, 'admin-people');
  await page.setViewportSize({ width: 360, height: 740 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 360, `the people page is ${wide} px wide at 360`);
  await screenshot(page, 'admin-people-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  await row.getByRole('button', { name: 'Sign-in link Wang Fang' }).click();
  const linkDialog = page.getByRole('dialog', { name: 'Sign-in link for Wang Fang' });
  const link = await linkDialog.getByLabel('Address').inputValue();
  check(link.startsWith(`${base}/sso/login?`), `the sign-in link is ${link}`);
  await linkDialog.getByRole('button', { name: 'Close' }).click();
  const wang = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  const wangPage = await wang.newPage();
  await wangPage.goto(link);
  await wangPage.locator('.who', { hasText: 'Wang Fang' }).waitFor();
  check(
    (await wangPage.locator('nav.topnav').getByRole('link', { name: 'Administration' }).count()) === 0,
    'a person who does not administer sees no administration',
  );
  const again = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
  const againPage = await again.newPage();
  await againPage.goto(link);
  await againPage.getByRole('alert').getByText('That sign-in link is invalid, used or expired').waitFor();
  await again.close();
  await wang.close();

  // Zhao Min leaves: their files go to Wang before the account is deleted.
  const zhao = page.locator('tr[data-name="Zhao Min"]');
  await zhao.getByRole('button', { name: 'Delete Zhao Min' }).click();
  const leaving = page.getByRole('dialog', { name: 'Delete “Zhao Min”' });
  // Everyone's address ends in acme.test: the finder lists all but the one leaving.
  await find(leaving, 'Colleague who receives the files', 'acme.test');
  await leaving.getByRole('button', { name: 'Give files to Wang Fang' }).waitFor();
  check((await leaving.getByRole('button', { name: 'Give files to Zhao Min' }).count()) === 0, 'nobody receives their own files');
  await leaving.getByRole('button', { name: 'Give files to Wang Fang' }).click();
  await zhao.waitFor({ state: 'detached' });

  // Departments: a new one under the enterprise, with Wang in it and watermarked previews.
  await page.getByRole('link', { name: 'Departments' }).click();
  await page.getByLabel('New sub-department').fill('Sales');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.locator('nav.tree').getByRole('link', { name: 'Sales' }).click();
  const sales = page.getByRole('region', { name: 'Sales' });
  await sales.getByLabel('Watermark previews').check();
  await sales.getByRole('button', { name: 'Save' }).first().click();
  await find(sales, 'Add a member', 'wang');
  await sales.getByRole('button', { name: 'Add Wang Fang' }).click();
  await sales.getByRole('region', { name: 'Members' }).getByRole('button', { name: 'Remove Wang Fang' }).waitFor();
  await sales.getByText('People: 1').waitFor();
  // Wang heads Sales and manages its folder.
  const roles = sales.getByRole('region', { name: 'Director and file managers' });
  await find(roles, 'Find a director', 'wang');
  await roles.getByRole('button', { name: 'Make director Wang Fang' }).click();
  await roles.getByText('Director: Wang Fang').waitFor();
  await find(roles, 'Add a file manager', 'wang');
  await roles.getByRole('button', { name: 'Add Wang Fang' }).click();
  await roles.getByRole('button', { name: 'Remove File managers Wang Fang' }).waitFor();
  serious.departments = await accessibility(page);
  await screenshot(page, 'admin-departments');

  // Groups.
  await page.getByRole('link', { name: 'Groups' }).click();
  await page.getByLabel('New group').fill('Project A');
  await page.getByRole('button', { name: 'Create' }).click();
  const group = page.getByRole('region', { name: 'Project A' });
  await find(group, 'Add a member', 'wang');
  await group.getByRole('button', { name: 'Add Wang Fang' }).click();
  await group.getByRole('region', { name: 'Members' }).getByRole('button', { name: 'Remove Wang Fang' }).waitFor();
  serious.groups = await accessibility(page);

  // Apps: register one; its secret is shown once, then a new one replaces it.
  await page.getByRole('link', { name: 'Apps' }).click();
  await page.getByRole('button', { name: 'New app' }).click();
  await page.getByLabel('App name').fill('HR sync');
  await page.getByLabel('Redirect URIs (one per line)').fill('https://hr.example.test/callback');
  await page.getByLabel('Callback address (webhooks)').fill(process.env.OPENPAN_HOOK);
  await page.getByRole('button', { name: 'Create' }).click();
  const hr = page.getByRole('region', { name: 'HR sync' });
  await hr.waitFor();
  const firstSecret = await page.getByLabel('Client secret').inputValue();
  check(/^[0-9a-f]{64}$/.test(firstSecret), `the secret is ${firstSecret}`);
  await page.getByRole('button', { name: 'I have stored it' }).click();
  check((await page.getByLabel('Client secret').count()) === 0, 'the secret is gone once noted');
  await hr.getByRole('button', { name: 'New secret' }).click();
  const secondSecret = await hr.getByLabel('Client secret').inputValue();
  check(/^[0-9a-f]{64}$/.test(secondSecret) && secondSecret !== firstSecret, 'a new secret');
  await hr.getByText('Previous secret works until').waitFor();
  const clientId = await hr.locator('dl.facts code').innerText();
  serious.apps = await accessibility(page);

  // Something happens; the webhook delivers it, and one delivery is sent again.
  await page.getByRole('link', { name: 'Groups' }).click();
  await page.getByLabel('New group').fill('Project B');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('region', { name: 'Project B' }).waitFor();
  await page.getByRole('link', { name: 'Apps' }).click();
  await page.getByRole('link', { name: 'HR sync' }).click();
  const webhook = page.getByRole('region', { name: 'Webhook' });
  const delivered = webhook.locator('tr', { hasText: 'group.created' }).filter({ hasText: 'Delivered' });
  for (let attempt = 0; (await delivered.count()) === 0; attempt++) {
    check(attempt < 100, 'the group.created delivery shows in the log');
    await page.waitForTimeout(100);
    await webhook.getByRole('button', { name: 'Refresh' }).click();
  }
  await delivered.first().getByRole('button', { name: /^Send again/ }).click();
  await webhook.locator('tr', { hasText: 'resent' }).first().waitFor();
  serious.webhook = await accessibility(page);
  await screenshot(page, 'admin-app');

  // The audit log, narrowed to app registrations.
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByLabel('Action').selectOption({ label: '创建应用' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('1 entries').waitFor();
  await page.locator('table.listing tr', { hasText: 'HR sync' }).waitFor();
  const actions = await page.locator('table.listing tbody tr td:nth-child(3)').allInnerTexts();
  check(actions.length > 0 && actions.every((name) => name === '创建应用'), `filtered log: ${actions}`);
  serious.log = await accessibility(page);
  await screenshot(page, 'admin-log');

  // The status page.
  await page.getByRole('link', { name: 'Status' }).click();
  await page.getByRole('list', { name: 'Stores' }).getByText('database').waitFor();
  check((await page.getByText('does not answer').count()) === 0, 'every store answers');
  const people = await page.locator('dl.facts dt', { hasText: 'People' }).locator('xpath=following-sibling::dd[1]').innerText();
  check(people === '2', `the enterprise has ${people} people`);
  await page.getByRole('region', { name: 'Webhooks' }).getByRole('link', { name: 'HR sync' }).waitFor();
  serious.status = await accessibility(page);
  await screenshot(page, 'admin-status');

  check(errors.length === 0, `page errors: ${errors}`);
  check([...origins].every((origin) => origin === base), `fetched from elsewhere: ${[...origins]}`);
  return {
    client_id: clientId,
    serious: [...new Set(Object.values(serious).flat())],
  };
});
