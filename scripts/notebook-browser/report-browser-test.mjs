// Opens a report.html (package htmlreport) in headless Chromium with JavaScript turned off, as a colleague
// would open the file sent to them, and checks that it reads without it: a title, every section, every
// thumbnail decoded, no request other than the file itself; with the job's CSV, that each section holds as
// many images as the CSV has rows for it. Saves screenshots and prints how long loading and rendering took.
// Started by scripts/test-report-browser.sh.
//
// Environment: RB_REPORT (the report's path), RB_CSV (optional: output.csv, search.csv or duplicates.csv),
// RB_SHOTS (folder for screenshots), RB_CHROMIUM (default /usr/bin/chromium).
//
// Sections and CSV rows: a section's data-section attribute is the value of the CSV's "folder" column
// (output.csv) or, without one, of its "group" column (duplicates.csv); a CSV with neither (search.csv) is
// one section. Each section's data-total must equal its number of rows; when it shows every image
// (data-count == data-total) its items' data-path must be the rows' source_path, when the CSV has that column.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const report = path.resolve(env("RB_REPORT"));
const csvPath = process.env.RB_CSV || "";
const shots = env("RB_SHOTS");
const seconds = (s) => s * 1000;
const started = Date.now();
const log = (msg) => console.log(`report-browser-test: [${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`);
const problems = [];
const fail = (msg) => problems.push(msg);

// parseCSV reads RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) into rows of strings.
function parseCSV(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// expected groups the CSV's rows by section: Map(section id -> [source_path or null]).
function expected(file) {
  const [header, ...rows] = parseCSV(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
  const keyCol = header.indexOf("folder") >= 0 ? header.indexOf("folder") : header.indexOf("group");
  const srcCol = header.indexOf("source_path");
  const by = new Map();
  for (const r of rows) {
    const key = keyCol >= 0 ? r[keyCol] : null;
    if (!by.has(key)) by.set(key, []);
    by.get(key).push(srcCol >= 0 ? r[srcCol] : null);
  }
  return { by, keyName: keyCol >= 0 ? header[keyCol] : null, rows: rows.length };
}

// HTML turns every CR and CRLF of the file into LF, also inside attributes.
const normalizeNewlines = (s) => s.replace(/\r\n?/g, "\n");

const browser = await chromium.launch({
  executablePath: process.env.RB_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-smooth-scrolling"],
  timeout: seconds(60),
});
let failed = false;
try {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(seconds(120));
  const page = await context.newPage();
  const url = pathToFileURL(report).href;
  page.on("request", (r) => {
    if (r.url() !== url && !r.url().startsWith("data:")) fail(`the page requested ${r.url()}`);
  });
  page.on("console", (m) => { if (m.type() === "error") fail(`console error: ${m.text()}`); });

  // settle waits until the thumbnails in view are decoded: a screenshot then shows what a person sees.
  // page.evaluate runs in Playwright's own world, which "javaScriptEnabled: false" leaves on; timers and
  // animation frames do not run there, image decoding does.
  const settle = () => page.evaluate(async () => {
    const inView = [...document.images].filter((i) => {
      const r = i.getBoundingClientRect();
      return r.bottom > 0 && r.top < innerHeight;
    });
    await Promise.all(inView.map((i) => i.decode().catch(() => {})));
  });
  // Screenshots through the DevTools protocol: it draws a new frame first. Playwright's page.screenshot waits
  // for an animation frame, which never comes with JavaScript off, and returns a blank picture after a scroll.
  const cdp = await context.newCDPSession(page);
  const shot = async (name) => {
    const { data } = await cdp.send("Page.captureScreenshot", { format: "png" });
    fs.writeFileSync(path.join(shots, name), Buffer.from(data, "base64"));
  };
  const size = fs.statSync(report).size;
  log(`opening ${report} (${(size / 1e6).toFixed(1)} MB) with JavaScript off`);
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "load", timeout: seconds(300) });
  const loaded = Date.now() - t0;
  await settle();
  await shot("report-top.png");
  const firstScreen = Date.now() - t0;

  const facts = await page.evaluate(() => {
    const sections = [...document.querySelectorAll("section.images")].map((s) => ({
      id: s.dataset.section, count: Number(s.dataset.count), total: Number(s.dataset.total),
      items: s.querySelectorAll("li[data-path]").length,
      paths: [...s.querySelectorAll("li[data-path]")].map((li) => li.dataset.path),
      heading: s.querySelector("h2")?.textContent.trim() || "",
    }));
    const imgs = [...document.images];
    return {
      title: document.title, h1: document.querySelector("h1")?.textContent || "",
      declared: Number(document.querySelector("main")?.dataset.sections ?? -1),
      sections,
      images: imgs.length,
      noAlt: imgs.filter((i) => !i.alt).length,
      height: document.documentElement.scrollHeight,
      fcp: Math.round(performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1),
    };
  });
  // Every thumbnail must decode (naturalWidth alone is known from the JPEG header).
  const t1 = Date.now();
  const broken = await page.evaluate(async () => {
    const imgs = [...document.images];
    const ok = await Promise.all(imgs.map((i) => i.decode().then(() => i.naturalWidth > 0, () => false)));
    return imgs.filter((_, k) => !ok[k]).map((i) => i.alt);
  });
  const decoded = Date.now() - t1;
  // Scrolling to the end lays out and paints the end of the page (keyboard: no script of the page needed).
  const t2 = Date.now();
  await page.keyboard.press("End");
  await settle();
  await shot("report-end.png");
  const toEnd = Date.now() - t2;
  await page.setViewportSize({ width: 400, height: 800 });
  await page.keyboard.press("Home");
  await settle();
  await shot("report-narrow.png");
  await page.emulateMedia({ media: "print" });
  await page.setViewportSize({ width: 1280, height: 900 });
  await settle();
  await shot("report-print.png");

  const items = facts.sections.reduce((n, s) => n + s.items, 0);
  log(`first contentful paint at ${facts.fcp} ms, load event at ${loaded} ms, first screen drawn (and captured) at ${firstScreen} ms; all ${facts.images} thumbnails decoded in ` +
    `${decoded} ms; end of the page (${facts.height} px) drawn (and captured) ${toEnd} ms after End; ${facts.sections.length} sections, ${items} items`);

  if (!facts.title.trim() || facts.title !== facts.h1) fail(`title ${JSON.stringify(facts.title)}, heading ${JSON.stringify(facts.h1)}`);
  if (facts.declared !== facts.sections.length) fail(`main says ${facts.declared} sections, the page has ${facts.sections.length}`);
  if (broken.length) fail(`${broken.length} of ${facts.images} thumbnails did not decode (${broken.slice(0, 5).join(", ")})`);
  if (facts.noAlt) fail(`${facts.noAlt} thumbnails have no alt text`);
  for (const s of facts.sections) {
    if (s.count !== s.items) fail(`section ${JSON.stringify(s.id)}: data-count ${s.count}, ${s.items} items`);
    if (s.total < s.count) fail(`section ${JSON.stringify(s.id)}: data-total ${s.total} < data-count ${s.count}`);
    if (!s.heading) fail(`section ${JSON.stringify(s.id)} has no heading`);
  }

  if (csvPath) {
    const want = expected(csvPath);
    log(`${csvPath}: ${want.rows} rows in ${want.by.size} ${want.keyName ? `values of "${want.keyName}"` : "section (no folder or group column)"}`);
    const seen = new Set();
    const sections = want.keyName ? facts.sections : facts.sections.map((s) => ({ ...s, id: null }));
    if (!want.keyName && facts.sections.length !== 1) fail(`the CSV has no folder or group column, so one section is expected; the page has ${facts.sections.length}`);
    for (const s of sections) {
      if (seen.has(s.id)) fail(`two sections named ${JSON.stringify(s.id)}`);
      seen.add(s.id);
      const rows = want.by.get(s.id) || [];
      if (rows.length !== s.total) fail(`section ${JSON.stringify(s.id)}: ${s.total} images in the page, ${rows.length} rows in the CSV`);
      if (s.count === s.total && rows.length && rows[0] !== null) {
        const a = [...rows].map(normalizeNewlines).sort(), b = s.paths.map(normalizeNewlines).sort();
        const missing = a.filter((p, i) => p !== b[i]);
        if (missing.length) fail(`section ${JSON.stringify(s.id)}: data-path differs from the CSV's source_path (first: ${JSON.stringify(missing[0])})`);
      }
    }
    for (const [key, rows] of want.by) {
      if (!seen.has(key)) fail(`the CSV has ${rows.length} rows for ${JSON.stringify(key)}, the page no such section`);
    }
  }
  await context.close();
} catch (e) {
  fail(String(e?.stack || e));
} finally {
  await browser.close().catch(() => {});
}
if (problems.length) {
  failed = true;
  console.error("report-browser-test: FAILED:\n  - " + problems.slice(0, 30).join("\n  - "));
} else {
  log(`passed; screenshots in ${shots}`);
}
process.exit(failed ? 1 : 0);
