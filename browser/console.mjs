// The web console as a person uses it: sign in with a password, make a folder, upload a Word
// document through the page, see it listed, preview it (LibreOffice's PDF), share it with a
// password and open the link in a fresh browser (wrong password, right one, download,
// preview), stop sharing it, then the same pages on a 360 px phone screen and in English; every page passes axe-core with no critical
// violation, and nothing is fetched from another origin.
// A large file's upload survives a dropped connection and resumes with the missing parts; a
// large folder is paged.
// Environment: OPENPAN_URL, OPENPAN_LOGIN, OPENPAN_PASSWORD, OPENPAN_DOCX (a file to upload),
// OPENPAN_BIG (a file of over 16 MiB).
import { run, recordingPage, check, accessibility, screenshot } from './lib.mjs';

const base = process.env.OPENPAN_URL;

await run(async (browser) => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'zh-CN' });
  const { page, origins, errors } = await recordingPage(context);
  await page.goto(`${base}/`);
  await page.getByLabel('邮箱或手机号').fill(process.env.OPENPAN_LOGIN);
  await page.getByLabel('密码').fill(process.env.OPENPAN_PASSWORD);
  const signInA11y = await accessibility(page);
  await screenshot(page, 'console-sign-in');
  await page.getByRole('button', { name: '登录' }).click();
  await page.locator('nav.topnav').getByRole('link', { name: '我的文件' }).waitFor();

  await page.getByRole('button', { name: '新建文件夹' }).click();
  await page.getByPlaceholder('文件夹名称').fill('季度报告');
  await page.getByRole('button', { name: '创建' }).click();
  await page.getByRole('link', { name: '季度报告' }).click();
  await page.locator('[aria-current="location"]', { hasText: '季度报告' }).waitFor();

  await page.locator('input[type=file]').setInputFiles(process.env.OPENPAN_DOCX);
  const row = page.locator('tr[data-name="报告.docx"]');
  await row.waitFor();
  await page.getByText('已上传 报告.docx').waitFor();
  const filesA11y = await accessibility(page);
  await screenshot(page, 'console-files');

  await row.getByRole('button', { name: '预览 报告.docx' }).click();
  const viewerPath = await page.locator('iframe[title="预览 报告.docx"]').getAttribute('src');
  const viewer = page.frameLocator('iframe[title="预览 报告.docx"]');
  // LibreOffice converts in the background; the viewer waits and then shows the PDF.
  await viewer.locator('[data-status="ready"][data-kind="office"]').waitFor({ timeout: 120_000 });
  const pdfUrl = await viewer.locator('iframe.viewer-frame').getAttribute('src');
  const pdf = await page.request.get(pdfUrl);
  check(pdf.headers()['content-type'] === 'application/pdf', `the preview is ${pdf.headers()['content-type']}`);
  check((await pdf.body()).subarray(0, 4).toString() === '%PDF', 'the preview is a PDF');
  await screenshot(page, 'console-preview');
  await page.getByRole('button', { name: '关闭' }).click();

  // A share link with a password, opened by someone else in a fresh browser.
  await row.getByRole('button', { name: '分享 报告.docx' }).click();
  const sharing = page.getByRole('dialog', { name: '分享“报告.docx”' });
  await sharing.getByLabel('需要访问密码').check();
  await sharing.getByLabel('访问密码（字母和数字）').fill('8848abcd');
  await sharing.getByRole('button', { name: '创建链接' }).click();
  const address = await sharing.getByLabel('链接地址').inputValue();
  check(address.startsWith(`${base}/share/`), `the link is ${address}`);
  await sharing.locator('.link-entry', { hasText: address }).waitFor();
  const shareA11y = await accessibility(page);
  await screenshot(page, 'console-share');
  await sharing.getByRole('button', { name: '关闭' }).click();

  const visitor = await browser.newContext({ bypassCSP: true, locale: 'zh-CN', acceptDownloads: true });
  const guest = (await recordingPage(visitor)).page;
  await guest.goto(address);
  await guest.getByLabel('密码').fill('guess1');
  await guest.getByRole('button', { name: '进入' }).click();
  await guest.getByText('密码不对，请再试一次').waitFor();
  await guest.getByLabel('密码').fill('8848abcd');
  await guest.getByRole('button', { name: '进入' }).click();
  const shared = guest.locator('.shared-file[data-name="报告.docx"]');
  await shared.waitFor();
  const [download] = await Promise.all([
    guest.waitForEvent('download'),
    shared.getByRole('button', { name: '下载 报告.docx' }).click(),
  ]);
  check(download.suggestedFilename() === '报告.docx', `downloaded as ${download.suggestedFilename()}`);
  await shared.getByRole('button', { name: '预览 报告.docx' }).click();
  await guest
    .frameLocator('iframe[title="预览 报告.docx"]')
    .locator('[data-status="ready"][data-kind="office"]')
    .waitFor({ timeout: 60_000 });
  const guestA11y = await accessibility(guest);
  await screenshot(guest, 'share-visitor');

  // Stopped in the console, the link opens nothing any more.
  await row.getByRole('button', { name: '分享 报告.docx' }).click();
  await sharing.getByRole('button', { name: `取消分享 ${address}` }).click();
  await sharing.getByText('还没有分享链接').waitFor();
  await sharing.getByRole('button', { name: '关闭' }).click();
  await guest.goto(address);
  await guest.getByText('分享链接不存在、已取消或已过期').waitFor();
  await visitor.close();

  // A large file whose connection drops part-way: the upload pauses keeping what arrived, and
  // resuming sends only the parts that did not.
  const partsSent = new Map();
  page.on('request', (request) => {
    const part = /\/part\/(\d+)$/.exec(new URL(request.url()).pathname);
    if (part && request.method() === 'PUT') partsSent.set(part[1], (partsSent.get(part[1]) ?? 0) + 1);
  });
  const drop = (route) => route.abort('connectionreset');
  await page.route('**/part/2', drop);
  await page.locator('input[type=file]').setInputFiles(process.env.OPENPAN_BIG);
  const bigName = process.env.OPENPAN_BIG.split('/').pop();
  const resume = page.getByRole('button', { name: `继续上传 ${bigName}` });
  await resume.waitFor({ timeout: 60_000 });
  await screenshot(page, 'console-upload-paused');
  await page.unroute('**/part/2', drop);
  await resume.click();
  await page.locator(`tr[data-name="${bigName}"]`).waitFor({ timeout: 60_000 });
  await page.getByText(`已上传 ${bigName}`).waitFor();
  check(partsSent.get('1') === 1 && partsSent.get('3') === 1, `parts sent: ${JSON.stringify([...partsSent])}`);

  // A folder of 205 items is shown 200 at a time.
  await page.locator('nav.crumbs').getByRole('link', { name: '我的文件' }).click();
  await page.getByRole('link', { name: '归档' }).click();
  await page.getByText('第 1 / 2 页').waitFor();
  check((await page.locator('table.listing tbody tr').count()) === 200, 'the first page holds 200 rows');
  await page.getByRole('button', { name: '下一页' }).click();
  await page.getByText('第 2 / 2 页').waitFor();
  check((await page.locator('table.listing tbody tr').count()) === 5, 'the second page holds the other 5');

  // A phone: nothing wider than the screen, and the language switched to English.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByLabel('语言').selectOption('en');
  await page.locator('nav.topnav').getByRole('link', { name: 'My files' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the page is ${overflow}px wider than a 360px screen`);
  const phoneA11y = await accessibility(page);
  await screenshot(page, 'console-phone-en');

  // The viewer page on its own, as the SDKs open it.
  await page.goto(`${base}${viewerPath}`);
  await page.locator('[data-status="ready"]').waitFor();
  const viewerA11y = await accessibility(page);
  await screenshot(page, 'viewer-phone');

  // The real pages under their own content security policy: the scripts run, nothing is
  // refused.
  const strict = await browser.newContext({ locale: 'en-US' });
  const strictPage = await strict.newPage();
  const refused = [];
  strictPage.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
  });
  await strictPage.goto(`${base}/`);
  await strictPage.getByRole('button', { name: 'Sign in' }).waitFor();
  await strictPage.goto(`${base}${viewerPath}`);
  await strictPage.locator('[data-status="ready"]').waitFor();
  check(refused.length === 0, `refused by the pages' policy: ${refused.join('; ')}`);

  check(errors.length === 0, `page errors: ${errors.join('; ')}`);
  const foreign = [...origins].filter((origin) => origin !== new URL(base).origin);
  check(foreign.length === 0, `fetched from elsewhere: ${foreign.join(', ')}`);
  return { serious: [...new Set([...signInA11y, ...filesA11y, ...shareA11y, ...guestA11y, ...phoneA11y, ...viewerA11y])] };
});
