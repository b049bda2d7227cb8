// Drives ragd's documents page (web/) in a real Chromium with puppeteer-core, against a real
// `ragd serve` started by tests/blackbox/browser_ui_test.cc, which passes a JSON config:
//   {url, key, bot, chromium, pdf, corrupt_pdf, work_dir, screenshot}
// The bot `bot` exists (hashing embedder) next to at least one other bot.
//
// Exits 0 after printing "browser test passed"; on failure prints why, saves
// <screenshot>-failure.png and exits 1.
"use strict";

const assert = require("node:assert/strict");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const {createRequire} = require("node:module");

// puppeteer-core lives in tests/js/node_modules (npm ci --prefix tests/js); it downloads no browser.
const puppeteer = createRequire(path.join(__dirname, "../js/package.json"))("puppeteer-core");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
// Chromium refuses to read files whose path has ".." in it (RAGD_SHARED_DIR does).
for (const field of ["pdf", "corrupt_pdf", "work_dir"]) config[field] = fs.realpathSync(config[field]);
const WAIT_MS = 30000;  // generous for sanitizer builds; a normal run takes a few seconds

setTimeout(() => {
  console.error("browser test timed out after 120 s");
  process.exit(2);
}, 120000).unref();

function step(text) {
  console.log(`ok: ${text}`);
}

async function api(pathname, init = {}) {
  const res = await fetch(config.url + pathname, {
    ...init,
    headers: {Authorization: `Bearer ${config.key}`, ...(init.headers || {})},
  });
  const text = await res.text();
  return {status: res.status, body: text ? JSON.parse(text) : null};
}

const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

// The rows of the documents table as the user sees them.
async function rows(page) {
  return page.$$eval("#document-rows tr", (trs) => trs.map((tr) => ({
    id: tr.dataset.documentId || "",
    status: tr.querySelector(".status").textContent,
    filename: tr.querySelector(".filename").textContent,
    error: tr.querySelector(".error").textContent,
    chunks: tr.querySelector(".chunks").textContent,
    progress: tr.querySelector(".progress-text").textContent,
  })));
}

// Waits until the row for `filename` shows one of `statuses`; returns it.
async function waitForRow(page, filename, statuses) {
  await page.waitForFunction((name, wanted) => {
    return [...document.querySelectorAll("#document-rows tr")].some(
        (tr) => tr.querySelector(".filename").textContent === name &&
                wanted.includes(tr.querySelector(".status").textContent));
  }, {timeout: WAIT_MS}, filename, statuses);
  return (await rows(page)).find((r) => r.filename === filename);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: config.chromium,
    headless: true,
    // CI runs as root, where Chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
  });
  const problems = [];
  const dialogs = [];
  const requested = [];
  let page;
  try {
    page = await browser.newPage();
    await page.setViewport({width: 1100, height: 800});
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      // Chromium logs every 4xx answer (the wrong key's 401, the refused type's 415), which the
      // page handles; anything else is a problem (a CSP violation, a script or network error).
      if (m.type() === "error" && !/the server responded with a status of 4\d\d/.test(m.text())) {
        problems.push(`console error: ${m.text()}`);
      }
    });
    page.on("dialog", async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on("request", (r) => requested.push(r.url()));

    // / leads to the UI, served with a strict policy.
    const response = await page.goto(`${config.url}/`, {waitUntil: "networkidle0"});
    assert.equal(new URL(page.url()).pathname, "/ui/");
    assert.match(response.headers()["content-security-policy"], /script-src 'self';/);
    assert.equal(await page.$eval("#workspace", (e) => e.hidden), true);
    step("/ redirects to /ui/ with a Content-Security-Policy");

    // A wrong key: a clear message, nothing kept.
    await page.type("#api-key", "rgd_AAAAAAAAAAAA_wrongwrongwrongwrongwrongwrongwr");
    await page.click("#key-connect");
    await page.waitForFunction(() => !document.getElementById("message").hidden,
                               {timeout: WAIT_MS});
    const wrong = await page.$eval("#message", (e) => e.textContent);
    assert.match(wrong, /API key was not accepted/, wrong);
    assert.equal(await page.$eval("#workspace", (e) => e.hidden), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("ragd.apiKey")), null);
    step(`a wrong key shows: ${wrong}`);

    // The right key: the bots this key can read.
    await page.$eval("#api-key", (e) => { e.value = ""; });
    await page.type("#api-key", config.key);
    await page.click("#key-connect");
    await page.waitForFunction(() => !document.getElementById("workspace").hidden,
                               {timeout: WAIT_MS});
    assert.equal(await page.$eval("#message", (e) => e.hidden), true);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("ragd.apiKey")), config.key);
    const bots = await page.$$eval("#bot option", (os) => os.map((o) => o.value));
    const listed = (await api("/v1/bots")).body.bots.map((b) => b.key);
    assert.deepEqual([...bots].sort(), [...listed].sort());
    assert.ok(bots.includes(config.bot) && bots.length >= 2, bots.join());
    await page.select("#bot", bots.find((b) => b !== config.bot));
    await page.select("#bot", config.bot);
    await page.waitForFunction(() => !document.getElementById("empty").hidden,
                               {timeout: WAIT_MS});
    step(`connected; bots ${bots.join(", ")}; picked ${config.bot}`);

    // Two files at once: a PDF and a text file, through the presigned URL.
    const text = path.join(config.work_dir, "returns-policy.txt");
    fs.writeFileSync(text,
                     "Returns are accepted within 30 days of purchase with the receipt.\n\n" +
                     "Frames carry a lifetime warranty against manufacturing defects.\n");
    const input = await page.$("#files");
    await input.uploadFile(config.pdf, text);
    const pdfName = path.basename(config.pdf);
    const pdfRow = await waitForRow(page, pdfName, ["indexed", "failed"]);
    const textRow = await waitForRow(page, "returns-policy.txt", ["indexed", "failed"]);
    for (const [row, file] of [[pdfRow, config.pdf], [textRow, text]]) {
      assert.equal(row.status, "indexed", JSON.stringify(row));
      assert.match(row.chunks, /^[1-9][0-9]*$/, JSON.stringify(row));
      assert.equal(row.error, "");
      const doc = (await api(`/v1/bots/${config.bot}/documents/${row.id}`)).body;
      assert.equal(doc.status, "indexed");
      assert.equal(doc.filename, path.basename(file));
      assert.equal(doc.sha256, sha256(file));
      assert.equal(doc.size, fs.statSync(file).size);
      assert.equal(String(doc.chunk_count), row.chunks);
      step(`${row.filename}: indexed, ${row.chunks} chunks, ${row.progress}; same SHA-256 and size`);
    }

    // A corrupt PDF: failed, with the parser's reason on the page.
    await input.uploadFile(config.corrupt_pdf);
    const badName = path.basename(config.corrupt_pdf);
    const bad = await waitForRow(page, badName, ["indexed", "failed"]);
    assert.equal(bad.status, "failed", JSON.stringify(bad));
    const badDoc = (await api(`/v1/bots/${config.bot}/documents/${bad.id}`)).body;
    assert.ok(badDoc.error && badDoc.error.length > 0, JSON.stringify(badDoc));
    assert.equal(bad.error, badDoc.error);
    step(`${badName}: failed, the page says "${bad.error}"`);

    // A file name that is markup stays text.
    const evilName = "<img src=x onerror=alert(1)>.txt";
    const evil = path.join(config.work_dir, evilName);
    fs.writeFileSync(evil, "Opening hours are nine to five on weekdays.\n");
    await input.uploadFile(evil);
    const evilRow = await waitForRow(page, evilName, ["indexed", "failed"]);
    assert.equal(evilRow.status, "indexed", JSON.stringify(evilRow));
    assert.equal(await page.$$eval("img", (imgs) => imgs.length), 0);
    step("a file named <img src=x onerror=alert(1)>.txt shows as text, no element created");

    // A type ragd cannot parse is refused before any upload, with the server's reason.
    const exe = path.join(config.work_dir, "setup.exe");
    fs.writeFileSync(exe, "MZ not a document");
    await input.uploadFile(exe);
    const refused = await waitForRow(page, "setup.exe", ["upload failed"]);
    assert.match(refused.error, /"setup\.exe".*supported files are .*\.pdf/, refused.error);
    assert.equal(refused.id, "");
    step(`setup.exe: upload failed, the page says "${refused.error}"`);

    await page.screenshot({path: config.screenshot, fullPage: true});
    step(`screenshot ${config.screenshot}`);

    // A reload keeps the key for this tab and lists what the server holds.
    await page.reload({waitUntil: "networkidle0"});
    await page.waitForFunction((n) => document.querySelectorAll("#document-rows tr").length === n,
                               {timeout: WAIT_MS}, 4);
    const listedRows = await rows(page);
    assert.deepEqual(listedRows.map((r) => r.status).sort(),
                     ["failed", "indexed", "indexed", "indexed"]);
    assert.ok(listedRows.some((r) => r.filename === evilName));
    assert.equal(await page.$$eval("img", (imgs) => imgs.length), 0);
    step("after a reload the list shows the four documents from the server");

    // Deleting from the page removes the document (two clicks: arm, confirm).
    const victim = listedRows.find((r) => r.filename === "returns-policy.txt");
    const button = `#document-rows tr[data-document-id="${victim.id}"] button`;
    await page.click(button);
    assert.equal(await page.$eval(button, (b) => b.textContent), "Confirm delete");
    await page.click(button);
    await page.waitForFunction((id) => !document.querySelector(`tr[data-document-id="${id}"]`),
                               {timeout: WAIT_MS}, victim.id);
    assert.equal((await api(`/v1/bots/${config.bot}/documents/${victim.id}`)).status, 404);
    step("delete from the page: the row is gone and the API answers 404");

    // The same server under another origin (localhost vs 127.0.0.1): the upload URL is not this
    // page's origin, ragd answers no CORS preflight, so the browser blocks the PUT; the page says
    // which origin to use instead of failing silently.
    const base = new URL(config.url);
    if (base.hostname === "127.0.0.1") {
      const other = await browser.newPage();
      const otherOrigin = `http://localhost:${base.port}`;
      await other.goto(`${otherOrigin}/ui/`, {waitUntil: "networkidle0"});
      await other.type("#api-key", config.key);
      await other.click("#key-connect");
      await other.waitForFunction(() => !document.getElementById("workspace").hidden,
                                  {timeout: WAIT_MS});
      await other.waitForFunction(() => !document.getElementById("empty").hidden ||
                                        document.querySelectorAll("#document-rows tr").length > 0,
                                  {timeout: WAIT_MS});
      const crossFile = path.join(config.work_dir, "cross-origin.txt");
      fs.writeFileSync(crossFile, "Parking is free for customers.\n");
      await (await other.$("#files")).uploadFile(crossFile);
      await other.waitForFunction(() => [...document.querySelectorAll("#document-rows tr")].some(
          (tr) => tr.querySelector(".filename").textContent === "cross-origin.txt" &&
                  tr.querySelector(".error").textContent !== ""), {timeout: WAIT_MS});
      const cross = (await rows(other)).find((r) => r.filename === "cross-origin.txt");
      assert.equal(cross.status, "pending_upload", JSON.stringify(cross));
      assert.ok(cross.error.includes(`open this page at ${base.origin}/ui/`), cross.error);
      assert.ok(cross.error.includes(`not this page's origin (${otherOrigin})`), cross.error);
      await other.close();
      step(`from ${otherOrigin} the page explains: ${cross.error}`);
    }

    // Forgetting the key signs the tab out, also across a reload.
    await page.click("#key-forget");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("ragd.apiKey")), null);
    await page.reload({waitUntil: "networkidle0"});
    assert.equal(await page.$eval("#workspace", (e) => e.hidden), true);
    assert.equal(await page.$eval("#api-key", (e) => e.hidden), false);
    step("forget key: signed out");

    assert.deepEqual(dialogs, [], "no dialog may open");
    assert.deepEqual(problems, []);
    const leaked = requested.filter((u) => u.includes(config.key));
    assert.deepEqual(leaked, [], "the key must never be in a URL");
    const puts = requested.filter((u) => u.includes("X-Amz-Signature="));
    assert.equal(puts.length, 4, "one presigned PUT per file");
    console.log("browser test passed");
  } catch (e) {
    if (page) await page.screenshot({path: `${config.screenshot}-failure.png`}).catch(() => {});
    if (page) console.error(`rows: ${JSON.stringify(await rows(page).catch(() => []))}`);
    console.error(`problems: ${JSON.stringify(problems)}`);
    throw e;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
