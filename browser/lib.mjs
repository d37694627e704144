// What every browser check shares: Debian's Chromium started headless with the flags this
// sandbox needs (no background networking, which a closed network refuses), and a record of
// every request the page makes, so a check can prove nothing was fetched from elsewhere.
import { chromium } from 'playwright-core';

export async function openBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/// A page that records the origin of every request it makes.
export async function recordingPage(browser) {
  const page = await browser.newPage();
  const origins = new Set();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'http:' || url.protocol === 'https:') origins.add(url.origin);
  });
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  return { page, origins, errors };
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/// Runs `body` with a browser, printing what it returns as JSON; any failure exits 1.
export async function run(body) {
  const browser = await openBrowser();
  try {
    const result = await body(browser);
    console.log(JSON.stringify(result));
  } catch (error) {
    console.error(error && error.stack ? error.stack : String(error));
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

/// Runs axe-core on the page; throws on any critical violation, returns the serious ones'
/// ids. The page's own policy allows only its scripts, so the context must bypass CSP.
export async function accessibility(page) {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const critical = results.violations.filter((violation) => violation.impact === 'critical');
  check(
    critical.length === 0,
    `critical accessibility violations: ${JSON.stringify(critical.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target) })))}`,
  );
  return results.violations.filter((violation) => violation.impact === 'serious').map((violation) => violation.id);
}

/// Where screenshots go: OPENPAN_ARTEFACTS, else target/browser-artefacts of the repository.
export async function screenshot(page, name) {
  const { mkdir } = await import('node:fs/promises');
  const dir = process.env.OPENPAN_ARTEFACTS || new URL('../target/browser-artefacts/', import.meta.url).pathname;
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}
