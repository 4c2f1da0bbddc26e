import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import fs from 'node:fs';
const require = createRequire(import.meta.url);
const axeSrc = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox','--disable-gpu']});
for (const js of [true, false]) {
  const ctx = await browser.newContext({javaScriptEnabled: js});
  const page = await ctx.newPage();
  await page.route('http://probe.test/', r => r.fulfill({status: 200, contentType: 'text/html', headers: {'Content-Security-Policy': "default-src 'none'; script-src 'self'"}, body: '<!doctype html><html><title>x</title><body><main><h1>hi</h1><img src=x><a href="#t">link</a></main>'}));
  await page.goto('http://probe.test/');
  await page.evaluate(axeSrc);
  const r = await page.evaluate(() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa']}}).then(r => r.violations.map(v => v.id)));
  console.log(js, r, await page.evaluate(() => axe.version));
  await ctx.close();
}
await browser.close();
