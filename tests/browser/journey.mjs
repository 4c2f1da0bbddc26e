#!/usr/bin/env node
// The browser journey (issue 6, item 4), driven by playwright-core in
// Debian's chromium, headless:
//
//   start page -> Start now -> the form -> send it with mistakes (and a file)
//   -> error summary (focused, with JavaScript) whose links jump to the fields
//   -> inline messages, answers kept -> corrected answers with files -> the
//   confirmation with the reference -> download receipt.txt and copy.json ->
//   /verify: paste the receipt (and, with JavaScript, upload it with the copy)
//   -> data-verdict="valid"; a changed receipt -> "invalid"; a 404 page.
//
// axe-core checks every page visited against WCAG 2.0/2.1/2.2 A and AA, and
// a full-page screenshot of each is saved as ARTIFACTS/<js|nojs>-<page>.png.
//
//   node tests/browser/journey.mjs BASE_URL js|nojs ARTIFACT_DIR
//
// Exit status 0 when every step passed and axe found no violations; 1 with
// every problem printed otherwise.
//
// How axe is run: the service's Content-Security-Policy allows no inline
// script, so page.addScriptTag() (which adds an inline <script>) is refused
// by the page; axe's source is instead evaluated through the DevTools
// protocol (page.evaluate), which the page's CSP does not govern, so the
// pages are checked with their real CSP in force.  With JavaScript disabled
// nothing can run in the page at all (and Chromium's renderer dies on the
// first timer axe sets), so for that journey each page's DOM (the HTML the
// service sent, since no script ran) is re-opened, scripts removed, at the
// same address in a separate JavaScript-enabled "audit" page, where axe runs
// on exactly what a no-JavaScript visitor gets.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync'];

const [BASE, MODE, ARTIFACTS] = process.argv.slice(2);
if (!BASE || !['js', 'nojs'].includes(MODE) || !ARTIFACTS) {
  console.error('usage: journey.mjs BASE_URL js|nojs ARTIFACT_DIR');
  process.exit(2);
}
const JS = MODE === 'js';
const started = Date.now();
const problems = [];          // axe violations and page errors, reported at the end
let step = 'launch';

function log(msg) {
  console.log(`[${MODE} ${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

function check(cond, msg) {
  if (!cond)
    throw new Error(`${step}: ${msg}`);
}

function url(p) {
  return new URL(p, BASE).href;
}

// Files made by the test: a small text file and a small (valid) PDF.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'callin-browser-'));
function minimalPdf() {
  const objs = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = [];
  objs.forEach((o, i) => { offsets.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets)
    out += `${String(off).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
const EVIDENCE_TXT = path.join(scratch, 'letter-to-the-icb.txt');
const EVIDENCE_PDF = path.join(scratch, 'consultation-notes.pdf');
fs.writeFileSync(EVIDENCE_TXT, 'Letter to the ICB, 1 April 2026.\nWe asked for the consultation to be extended.\n');
fs.writeFileSync(EVIDENCE_PDF, minimalPdf());

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const context = await browser.newContext({ javaScriptEnabled: JS, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(15000);
// The no-JavaScript journey's pages are checked by axe in this page (above).
const auditContext = JS ? null : await browser.newContext({ javaScriptEnabled: true });
const auditPage = auditContext ? await auditContext.newPage() : null;

// Anything that goes wrong in the page is a problem: script errors, CSP
// refusals (reported on the console), assets that fail to load.
page.on('console', (m) => {
  // A document answered 404 or 422 on purpose is logged as "Failed to load
  // resource"; failing subresources are caught by the response handler.
  if (m.type() === 'error' && !m.text().startsWith('Failed to load resource:'))
    problems.push(`${step}: console error: ${m.text()}`);
});
page.on('pageerror', (e) => problems.push(`${step}: script error: ${e.message}`));
page.on('response', (r) => {
  const type = r.request().resourceType();
  if (type !== 'document' && r.status() >= 400)
    problems.push(`${step}: ${type} ${r.url()} answered ${r.status()}`);
});
page.on('requestfailed', (r) => {
  // A link with a download attribute aborts its navigation by design.
  if (!/\/receipt\/[^/]+\/(receipt\.txt|copy\.json)$/.test(r.url()))
    problems.push(`${step}: ${r.resourceType()} ${r.url()} failed: ${r.failure()?.errorText}`);
});

async function axeOn(target) {
  await target.evaluate(AXE_SOURCE);
  return target.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return {
      passes: r.passes.length,
      incomplete: r.incomplete.map((v) => ({
        id: v.id,
        nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.any.map((c) => c.message).join('; ')}`),
      })),
      violations: r.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
        nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
      })),
    };
  }, AXE_TAGS);
}

// axe on the page as it is now (see the note at the top for no-JavaScript).
async function audit(name) {
  let result;
  if (JS) {
    result = await axeOn(page);
  } else {
    const html = (await page.content()).replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '');
    const here = new URL(page.url());
    here.hash = '';
    await auditPage.route((u) => u.href === here.href,
      (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
      { times: 1 });
    await auditPage.goto(here.href, { waitUntil: 'load' });
    check(await auditPage.evaluate(() => !document.body.classList.contains('js-enabled')),
      'the audit copy ran a script');
    result = await axeOn(auditPage);
  }
  for (const v of result.violations) {
    let text = `${name}: axe ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n    tags: ${v.tags.join(' ')}`;
    for (const n of v.nodes)
      text += `\n    - ${n.target.join(' ')}\n      ${n.html}\n      ${(n.summary || '').replace(/\n/g, '\n      ')}`;
    problems.push(text);
  }
  return result;
}

// Every page visited: the right page, GOV.UK styles applied, the GOV.UK
// Frontend JavaScript running (or not), a screenshot, then axe.
async function visited(name, { title, status, response }) {
  step = name;
  if (response)
    check(response.status() === status, `HTTP ${response.status()}, expected ${status}`);
  const t = await page.title();
  check(t.startsWith(title), `title "${t}", expected it to start with "${title}"`);
  const look = await page.evaluate(() => {
    const width = document.querySelector('.govuk-width-container');
    const header = document.querySelector('.govuk-header');
    return {
      styled: !!width && getComputedStyle(width).maxWidth === '960px',
      font: getComputedStyle(document.querySelector('h1') || document.body).fontFamily,
      header: header ? getComputedStyle(header).backgroundColor : null,
      classes: document.body.className,
      h1: document.querySelector('h1')?.textContent.trim(),
    };
  });
  check(look.styled, 'the GOV.UK Frontend stylesheet is not applied');
  check(/GDS Transport|arial/i.test(look.font), `unexpected heading font ${look.font}`);
  if (JS)
    check(look.classes.includes('govuk-frontend-supported'),
      `body class "${look.classes}": the inline GOV.UK snippet did not run (CSP hash?)`);
  else
    check(!look.classes.includes('js-enabled'), 'a script ran with JavaScript disabled');
  const shot = path.join(ARTIFACTS, `${MODE}-${name}.png`);
  await page.screenshot({ path: shot, fullPage: true });
  const a = await audit(name);
  log(`${name}: "${look.h1}" ok; axe ${a.violations.length} violation(s), ${a.passes} rules passed`
    + `; ${path.basename(shot)}`);
  // What axe could not decide (not failures): shown for a person to judge.
  for (const i of a.incomplete)
    log(`  axe needs review: ${i.id}: ${i.nodes.join(' | ')}`);
}

// Is the element in the viewport now?
async function inView(selector) {
  return page.evaluate((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
  }, selector);
}

async function submitForm(buttonName, urlPart) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(urlPart) && r.request().method() === 'POST'),
    page.getByRole('button', { name: buttonName }).click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

const year = new Date().getUTCFullYear();
const email = `alex.${MODE}.${Date.now()}@example.org`;

try {
  // 1. The start page.
  step = 'start';
  let response = await page.goto(url('/'));
  await visited('start', { title: 'Ask for an NHS change to be called in', status: 200, response });

  // 2. Start now (a link styled as a button) -> the form.
  step = 'start-now';
  await Promise.all([
    page.waitForURL(url('/request')),
    page.getByRole('button', { name: 'Start now' }).click(),
  ]);
  await visited('form', { title: 'Ask for an NHS change to be called in' });
  if (JS)
    check(await page.locator('.govuk-character-count__status').count() > 0,
      'GOV.UK Frontend did not start (no character count status)');
  check(await page.locator('input[name="website"]').count() === 1, 'the honeypot field is missing');
  // A fieldset whose legend only repeats its single option's label is read twice.
  const echoes = await page.evaluate(() => [...document.querySelectorAll('fieldset')]
    .filter((fs) => {
      const labels = fs.querySelectorAll('label');
      return labels.length === 1 && fs.querySelector('legend')?.textContent.trim() === labels[0].textContent.trim();
    }).map((fs) => fs.querySelector('legend').textContent.trim()));
  check(echoes.length === 0, `legends that repeat their only label: ${JSON.stringify(echoes)}`);

  // 3. Answer with mistakes: no name, a bad email, a decision date in the
  //    future, no grounds, one declaration not ticked; one file attached.
  step = 'mistakes';
  await page.check('input[name="requester_type"][value="individual"]');
  await page.fill('#full_name', '');
  await page.fill('#email', 'alex-at-example.org');
  await page.fill('#proposal_title', 'Closure of the maternity unit at Example General');
  await page.selectOption('#commissioner', 'icb-surrey-heartlands');
  await page.fill('#services_affected', 'Consultant-led maternity services at Example General Hospital.');
  await page.fill('#change_description', 'Births would move to a hospital 40 miles away.');
  await page.check('input[name="proposal_stage"][value="decision_made"]');
  await page.fill('[name="decision_date-day"]', '12');
  await page.fill('[name="decision_date-month"]', '3');
  await page.fill('[name="decision_date-year"]', String(year + 1));
  await page.fill('#grounds_statement', 'The consultation ran for two weeks over a holiday.');
  await page.fill('#local_resolution', 'Wrote to the ICB on 1 April; the reply did not address our concerns.');
  await page.check('input[name="declaration_accurate"]');
  await page.setInputFiles('#attachments', EVIDENCE_TXT);
  response = await submitForm('Send request', '/request');
  await visited('form-errors', { title: 'Error: Ask for an NHS change to be called in', status: 422, response });

  // 4. The error summary: focused (GOV.UK Frontend's ErrorSummary), one link
  //    per mistake, each with an inline message at its field.
  step = 'error-summary';
  const summary = page.locator('.govuk-error-summary');
  check(await summary.isVisible(), 'no error summary');
  if (JS) {
    await page.waitForFunction(() => document.activeElement?.closest('.govuk-error-summary'),
      null, { timeout: 5000 }).catch(() => {});
    const active = await page.evaluate(() => ({
      inside: !!document.activeElement?.closest('.govuk-error-summary'),
      tag: document.activeElement?.outerHTML.slice(0, 80),
    }));
    check(active.inside, `focus is not in the error summary but on ${active.tag}`);
    log('error summary has the focus');
  }
  const links = await summary.locator('a').evaluateAll((as) =>
    as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
  const expected = {
    '#full_name': /full name/i,
    '#email': /email address/i,
    '#decision_date-day': /date/i,
    '#grounds': /select/i,
    '#declaration_sharing': /select the box/i,
  };
  for (const [href, re] of Object.entries(expected))
    check(links.some((l) => l.href === href && re.test(l.text)),
      `no summary link to ${href}; links: ${JSON.stringify(links)}`);
  for (const field of ['full_name', 'email', 'decision_date', 'grounds', 'declaration_sharing']) {
    const msg = page.locator(`#${field}-error`);
    check(await msg.isVisible(), `no inline message for ${field}`);
    const groupInError = await msg.evaluate((e) => !!e.closest('.govuk-form-group--error'));
    check(groupInError, `the ${field} message is not in a form group in error`);
  }
  check(await page.inputValue('#proposal_title') === 'Closure of the maternity unit at Example General',
    'answers were not kept');
  check(await page.isChecked('input[name="proposal_stage"][value="decision_made"]'), 'radio answer not kept');
  check(await page.locator('#attachments-again').isVisible(), 'no "choose your files again" message');
  log(`${links.length} summary links, inline messages present, answers kept`);

  // 5. Each summary link jumps to its field.
  step = 'summary-links';
  for (const l of links) {
    const id = l.href.slice(1);
    check(await page.locator(`[id="${id}"]`).count() === 1, `link ${l.href} has no target`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await summary.locator(`a[href="${l.href}"]`).click();
    if (JS) {
      // ErrorSummary moves focus to the input and scrolls its label or legend into view.
      await page.waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 3000 })
        .catch(() => {});
      const focused = await page.evaluate(() => document.activeElement?.id);
      check(focused === id, `after clicking ${l.href} focus is on "${focused}"`);
    } else {
      check(new URL(page.url()).hash === l.href, `after clicking ${l.href} the address is ${page.url()}`);
    }
    check(await inView(`[id="${id}"]`), `after clicking ${l.href} the field is not in view`);
  }
  log(`every summary link ${JS ? 'focuses' : 'scrolls to'} its field`);

  // 6. Correct the answers, attach two files, send.
  step = 'correct';
  await page.fill('#full_name', 'Alex Example');
  await page.fill('#email', email);
  await page.fill('[name="decision_date-year"]', String(year - 1));
  await page.check('input[name="grounds"][value="process"]');
  await page.check('input[name="declaration_sharing"]');
  await page.setInputFiles('#attachments', [EVIDENCE_TXT, EVIDENCE_PDF]);
  response = await submitForm('Send request', '/request');
  check(response.status() === 303, `POST /request answered ${response.status()}, expected 303`);
  await page.waitForURL(/\/receipt\/[A-Za-z0-9_-]{22,}$/);
  await visited('confirmation', { title: 'Request sent' });
  const reference = (await page.textContent('#reference')).trim();
  check(/^CIR-[A-Z0-9]{4}-[A-Z0-9]{4}$/.test(reference), `reference "${reference}"`);
  log(`reference ${reference}`);

  // 7. Download the receipt and the copy.
  step = 'download';
  async function download(linkName) {
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: linkName }).click(),
    ]);
    const file = path.join(scratch, dl.suggestedFilename());
    await dl.saveAs(file);
    return { file, name: dl.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
  }
  const receipt = await download(/Download your receipt/);
  check(receipt.name === `${reference}-receipt.txt`, `receipt file name ${receipt.name}`);
  check(receipt.text.startsWith('callin-receipt-v1\n'), `receipt starts ${JSON.stringify(receipt.text.slice(0, 40))}`);
  check(receipt.text.includes(`\nreference: ${reference}\n`), 'the receipt does not carry the reference');
  check(/\nsignature: [A-Za-z0-9+/=]{86,88}\n?$/.test(receipt.text), 'the receipt has no signature line');
  check(!receipt.text.includes('Alex') && !receipt.text.includes(email), 'personal data in the receipt');
  const copy = await download(/Download a copy of your request/);
  const copyDoc = JSON.parse(copy.text);
  check(copyDoc.reference === reference, 'copy.json is for another reference');
  check(copyDoc.attachments?.length === 2, `copy.json lists ${copyDoc.attachments?.length} attachments`);
  fs.copyFileSync(receipt.file, path.join(ARTIFACTS, `${MODE}-receipt.txt`));
  log(`downloaded ${receipt.name} and ${copy.name} (${copyDoc.attachments.length} attachments listed)`);

  // 8. /verify: paste the receipt.
  step = 'verify';
  await Promise.all([
    page.waitForURL(url('/verify')),
    page.locator('main').getByRole('link', { name: 'check a receipt' }).click(),
  ]);
  await visited('verify', { title: 'Check a receipt' });
  await page.fill('#receipt', receipt.text);
  response = await submitForm('Check receipt', '/verify');
  await visited('verify-result', { title: 'Check a receipt', status: 200, response });
  const verdict = async () => page.getAttribute('#verdict', 'data-verdict');
  const ok = async (id) => page.getAttribute(`#check-${id}`, 'data-ok');
  check(await verdict() === 'valid', `pasted receipt: verdict ${await verdict()}`);
  check(await ok('signature') === 'yes' && await ok('on-file') === 'yes', 'pasted receipt: a check failed');
  log('pasted receipt: data-verdict="valid"');

  // 9. With JavaScript: upload the receipt file and the copy.
  if (JS) {
    step = 'verify-upload';
    await page.goto(url('/verify'));
    await page.setInputFiles('#receipt_file', receipt.file);
    await page.setInputFiles('#copy_file', copy.file);
    response = await submitForm('Check receipt', '/verify');
    await visited('verify-upload-result', { title: 'Check a receipt', status: 200, response });
    check(await verdict() === 'valid', `uploaded receipt: verdict ${await verdict()}`);
    check(await ok('copy') === 'yes', 'uploaded copy: not the one the receipt commits to');
    log('uploaded receipt and copy: data-verdict="valid", copy matches');
  }

  // 10. A changed receipt is not valid.
  step = 'verify-changed';
  await page.goto(url('/verify'));
  await page.fill('#receipt', receipt.text.replace(/received: (\d{4})/, (m, y) => `received: ${Number(y) - 1}`));
  response = await submitForm('Check receipt', '/verify');
  await visited('verify-invalid', { title: 'Check a receipt', status: 200, response });
  check(await verdict() === 'invalid', `changed receipt: verdict ${await verdict()}`);
  log('changed receipt: data-verdict="invalid"');

  // 11. A page that does not exist.
  step = '404';
  response = await page.goto(url('/no-such-page'));
  await visited('404', { title: 'Page not found', status: 404, response });
} catch (e) {
  problems.unshift(`journey stopped: ${e.message}`);
} finally {
  await browser.close().catch(() => {});
  fs.rmSync(scratch, { recursive: true, force: true });
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
if (problems.length) {
  console.log(`\n${MODE}: FAILED after ${secs}s with ${problems.length} problem(s):\n`);
  for (const p of problems)
    console.log(`* ${p}\n`);
  process.exit(1);
}
console.log(`${MODE}: journey passed in ${secs}s; screenshots in ${ARTIFACTS}`);
