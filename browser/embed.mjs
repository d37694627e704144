// An integrator's page (examples/embed-demo) embeds openpan's components: the picker hands it
// the id of the file a person picks, the uploader the file they upload, and the previewer
// shows a picked file — each framed cross-origin with a token confined to one folder or file,
// under the pages' real content security policy (which lets only the app's sites frame them).
// Environment: OPENPAN_URL, OPENPAN_CLIENT_ID, OPENPAN_CLIENT_SECRET, OPENPAN_USER,
// DEMO_PORT (registered among the app's redirect URIs), OPENPAN_PICK (a file name in the
// user's root folder).
import { run, recordingPage, check, accessibility, screenshot } from './lib.mjs';
import { startDemo } from '../examples/embed-demo/server.mjs';

const demo = await startDemo({
  openpanUrl: process.env.OPENPAN_URL,
  clientId: process.env.OPENPAN_CLIENT_ID,
  clientSecret: process.env.OPENPAN_CLIENT_SECRET,
  user: process.env.OPENPAN_USER,
  port: Number(process.env.DEMO_PORT),
});
const pick = process.env.OPENPAN_PICK;

try {
  await run(async (browser) => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const { page, errors } = await recordingPage(context);
    const refused = [];
    page.on('console', (message) => {
      if (/Content Security Policy|frame-ancestors/i.test(message.text())) refused.push(message.text());
    });
    await page.goto(demo.url);

    await page.getByRole('button', { name: '从网盘选择附件' }).click();
    const picker = page.frameLocator('iframe[title="网盘文件选择"]');
    await picker.getByLabel(`选择 ${pick}`).check();
    await screenshot(page, 'embed-picker');
    await picker.getByRole('button', { name: '确定' }).click();
    const picked = page.locator(`#attachments li[data-name="${pick}"]`);
    await picked.waitFor();
    const pickedId = Number(await picked.getAttribute('data-id'));

    await page.getByRole('button', { name: '上传到网盘' }).click();
    const uploader = page.frameLocator('iframe[title="上传到网盘"]');
    await uploader.locator('input[type=file]').setInputFiles({
      name: '发票.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('发票 2026-11 ¥ 128.00'),
    });
    const uploaded = page.locator('#attachments li[data-name="发票.txt"]');
    await uploaded.waitFor();
    await uploader.getByText('已上传 发票.txt').waitFor();
    const uploadedId = Number(await uploaded.getAttribute('data-id'));
    await uploader.getByRole('button', { name: '关闭' }).click();

    await picked.getByRole('button', { name: `预览 ${pick}` }).click();
    const previewer = page.frameLocator('iframe[title="附件预览"]');
    await previewer.locator('[data-status="ready"]').waitFor();
    await screenshot(page, 'embed-previewer');
    const serious = await accessibility(page);

    const seen = await page.locator('#events li').evaluateAll((lines) => lines.map((line) => line.textContent));
    for (const wanted of ['picker ready', 'picker picked', 'uploader uploaded', 'uploader closed', 'previewer ready']) {
      check(seen.includes(wanted), `the page did not hear "${wanted}": ${seen.join(', ')}`);
    }
    check(refused.length === 0, `refused by the pages' policy: ${refused.join('; ')}`);
    check(errors.length === 0, `page errors: ${errors.join('; ')}`);

    // A site the app did not register cannot frame the components.
    await context.route('http://stranger.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<iframe title="x" src="${process.env.OPENPAN_URL}/embed/picker?client_id=${process.env.OPENPAN_CLIENT_ID}"></iframe>`,
      }),
    );
    const stranger = await context.newPage();
    await stranger.goto('http://stranger.test/', { waitUntil: 'load' });
    const framed = stranger.mainFrame().childFrames()[0];
    check(framed, 'the stranger page has no frame');
    const shown = framed.url().startsWith('chrome-error:') ? 0 : await framed.locator('#app').count();
    check(shown === 0, `a site the app did not register framed the picker (${framed.url()})`);
    return { picked: pickedId, uploaded: uploadedId, serious };
  });
} finally {
  demo.close();
}
