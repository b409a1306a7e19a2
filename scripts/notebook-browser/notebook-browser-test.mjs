// Drives notebooks/smart-image-sorter.ipynb in headless Chromium like an investigator would: open it in the
// classic Jupyter Notebook, Cell > Run All, fill in the form (typing the labels key by key), choose "move",
// press Start, wait for the summary and the gallery, then for the re-sort, search and duplicates cells. Started by
// scripts/test-notebook-browser.sh, which starts Jupyter and checks the files on disk afterwards.
//
// Environment: NB_URL (the notebook's URL, with its token), NB_SOURCE, NB_DEST, NB_LABELS, NB_IMAGES (how many
// images NB_SOURCE holds), NB_DUPLICATE (two file names in it with the same bytes), NB_PROFILE (a new, empty
// Chromium profile folder), NB_SHOTS (folder for screenshots), NB_CHROMIUM (default /usr/bin/chromium).
// Every wait is bounded; the process exits non-zero on the first failure.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const url = env("NB_URL");
const shots = env("NB_SHOTS");
const source = env("NB_SOURCE");
const dest = env("NB_DEST");
const labels = env("NB_LABELS");
const nImages = Number(env("NB_IMAGES"));
const duplicate = env("NB_DUPLICATE").split(" ").sort();
const seconds = (s) => s * 1000;
const started = Date.now();
const log = (msg) => console.log(`notebook-browser-test: [${((Date.now() - started) / 1000).toFixed(1)} s] ${msg}`);

const context = await chromium.launchPersistentContext(env("NB_PROFILE"), {
  executablePath: process.env.NB_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // Without the background-networking flags Chromium keeps trying to reach Google's servers, which this
  // machine's closed network refuses.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 900 },
  timeout: seconds(60),
});
context.setDefaultTimeout(seconds(30));
const page = context.pages()[0] || (await context.newPage());
const consoleErrors = [];
page.on("console", (m) => {
  if (m.type() === "error") consoleErrors.push(m.text());
});
page.on("pageerror", (e) => consoleErrors.push(String(e)));

// GoNB's page script gives the kernel 500 ms to acknowledge each connection it opens, then gives up on it
// (websocket.js, _wait_open_ack); a busy machine misses that (it happened in CI) and the form must recover
// (nbui/form.go, waitReady). The first connection of the page misses it here every time, so that the
// recovery is tested on every run, not only on a slow day.
await context.addInitScript(() => {
  const setTimeoutOriginal = window.setTimeout;
  let missed = false;
  window.setTimeout = function (fn, ms, ...rest) {
    if (!missed && typeof fn === "function" && String(fn).includes("comm_open_ack not received in time")) {
      missed = true;
      window.sisMissedOpenAck = true;
      ms = 0;
    }
    return setTimeoutOriginal.call(this, fn, ms, ...rest);
  };
});

// How many of the images a locator finds are loaded and drawn.
const displayed = (imgs) => imgs.evaluateAll((list) => list.filter((i) => i.complete && i.naturalWidth > 0).length);

let failed = false;
try {
  log("opening the notebook");
  await page.goto(url, { timeout: seconds(60) });
  await page.waitForFunction(
    () => window.Jupyter?.notebook?.kernel?.is_connected?.() && window.Jupyter.notebook.kernel.info_reply?.status === "ok",
    null, { timeout: seconds(90) });
  log("kernel connected: Cell > Run All");
  await page.click("#celllink");
  await page.click("#run_all_cells > a");

  // The form is usable once its script connected to GoNB (it enables the Start button). The first run
  // builds the sorter: minutes on a cold Go build cache.
  const form = page.locator(".sis-form").first();
  const start = form.locator("button.sis-start");
  await start.waitFor({ state: "visible", timeout: seconds(600) });
  await page.waitForFunction((el) => !el.disabled, await start.elementHandle(), { timeout: seconds(60) });
  if (!(await page.evaluate(() => window.sisMissedOpenAck))) {
    throw new Error("the page's first connection to GoNB was not made to miss its acknowledgement: did GoNB's websocket.js change?");
  }
  log("form ready (after its first connection to GoNB failed, as on a busy machine)");

  const field = (name) => form.locator(`[name="${name}"]`);
  const formCell = page.locator(".cell", { has: page.locator(".sis-form") }).first();
  await field("source").fill(source);
  await field("destination").fill(dest);

  // A mistake first: one label. The form says what to fix and can be used again.
  await field("labels").fill("just one label");
  await start.click();
  const problem = formCell.locator(".sis-error");
  await problem.waitFor({ timeout: seconds(60) });
  const problemText = await problem.innerText();
  if (!problemText.includes("only one label given") || !problemText.includes("What to do")) {
    throw new Error(`unexpected problem shown: ${problemText}`);
  }
  await page.waitForFunction((el) => !el.disabled, await start.elementHandle(), { timeout: seconds(30) });
  log("a single label was refused, with a hint; the form is usable again");
  // Typed key by key: Jupyter must not take the letters as its shortcuts ("a" adds a cell, "d d" deletes one).
  const cellsBefore = await page.evaluate(() => Jupyter.notebook.get_cells().length);
  await field("labels").click();
  await field("labels").fill("");
  await field("labels").pressSequentially(labels, { delay: 5 });
  if ((await field("labels").inputValue()) !== labels) {
    throw new Error(`the labels field holds ${JSON.stringify(await field("labels").inputValue())} after typing`);
  }
  const cellsAfter = await page.evaluate(() => Jupyter.notebook.get_cells().length);
  if (cellsAfter !== cellsBefore) {
    throw new Error(`typing into the form changed the notebook: ${cellsBefore} cells before, ${cellsAfter} after`);
  }
  await field("operation").selectOption("move");
  await form.screenshot({ path: path.join(shots, "form-filled.png") });
  log("form filled in: Start");
  await start.click();

  // The progress bar, then the summary and the gallery, in the form cell's output; the problem is gone.
  // "Loading the model…", then the bar (with the tiny test model it fills at once).
  const progress = formCell.locator(".sis-progress").first();
  await progress.waitFor({ timeout: seconds(120) });
  log(`progress: ${(await progress.innerText()).replace(/\s+/g, " ")}`);
  await progress.locator("progress").waitFor({ timeout: seconds(600) });
  await progress.screenshot({ path: path.join(shots, "progress.png"), timeout: seconds(10) }).catch(() => {});
  log(`progress: ${(await progress.innerText()).replace(/\s+/g, " ")}`);
  const summary = formCell.locator(".sis-summary");
  await summary.waitFor({ timeout: seconds(600) });
  const headline = await summary.locator("h3").innerText();
  log(`summary: ${headline}`);
  if (!headline.startsWith(`Moved ${nImages} images from `)) throw new Error(`unexpected summary: ${headline}`);
  const thumbs = formCell.locator(".sis-gallery img");
  await thumbs.nth(nImages - 1).waitFor({ timeout: seconds(60) });
  const shown = await displayed(thumbs);
  log(`gallery: ${await thumbs.count()} thumbnails, ${shown} displayed`);
  if (shown !== nImages) throw new Error(`the gallery displays ${shown} thumbnails, want ${nImages}`);
  if (await problem.count() !== 0) throw new Error("the earlier problem is still shown");
  const status = await formCell.locator(".sis-status").innerText();
  if (!/^Done/.test(status)) throw new Error(`the form's status line says ${JSON.stringify(status)}`);

  // The re-sort cell runs next (Run All), from the embedding cache.
  const resortCell = page.locator(".cell", { hasText: "nbui.Resort(" }).first();
  const resortSummary = resortCell.locator(".sis-summary");
  await resortSummary.waitFor({ timeout: seconds(300) });
  const facts = await resortSummary.innerText();
  log(`re-sort: ${(await resortSummary.locator("h3").innerText())}`);
  if (!facts.includes(`Embedding cache: ${nImages} reused, 0 computed`)) throw new Error(`the re-sort did not reuse the cache:\n${facts}`);

  // The search cell: the folder the re-sort moved the images into, ranked for the cell's query, from the cache.
  const searchCell = page.locator(".cell", { hasText: "nbui.SearchTop(" }).first();
  const results = searchCell.locator(".sis-search");
  await results.waitFor({ timeout: seconds(300) });
  const found = results.locator(".sis-thumb img");
  await found.first().waitFor({ timeout: seconds(30) });
  const foundShown = await displayed(found);
  const searchText = await results.innerText();
  log(`search: ${await results.locator("h3").innerText()}: ${foundShown} thumbnails displayed`);
  if (foundShown !== nImages) throw new Error(`the search displays ${foundShown} thumbnails, want all ${nImages} images (it asks for 24)`);
  if (!/^1\.\s/.test(await results.locator("figcaption").first().innerText())) throw new Error("the first result is not ranked 1");
  if (!searchText.includes(`Embedding cache: ${nImages} reused, 0 computed`)) throw new Error(`the search did not use the cache:\n${searchText}`);
  if (await searchCell.locator(".sis-error").count() !== 0) throw new Error(`the search cell shows an error: ${await searchCell.locator(".sis-error").innerText()}`);
  await searchCell.locator(".output_wrapper").screenshot({ path: path.join(shots, "search-cell.png") });

  // The duplicates cell: the photo and its copy are a group of identical files; nothing was moved.
  const dupCell = page.locator(".cell", { hasText: "nbui.Duplicates(" }).first();
  const dups = dupCell.locator(".sis-duplicates");
  await dups.waitFor({ timeout: seconds(300) });
  const dupText = await dups.innerText();
  log(`duplicates: ${await dups.locator("h3").innerText()}`);
  const identical = dups.locator(".sis-group", { has: page.locator("h4", { hasText: "identical files" }) });
  if (await identical.count() !== 1) throw new Error(`want one group of identical files, got ${await identical.count()}:\n${dupText}`);
  const members = await identical.locator("figcaption").allInnerTexts();
  const names = members.map((m) => m.split("\n")[0].split("/").pop()).sort();
  if (JSON.stringify(names) !== JSON.stringify(duplicate)) throw new Error(`the identical group shows ${JSON.stringify(members)}, want ${duplicate}`);
  if (await displayed(identical.locator("img")) !== 2) throw new Error("the identical group does not display its 2 thumbnails");
  if (!dupText.includes("Nothing was moved or deleted.") || !dupText.includes("duplicates.csv")) {
    throw new Error(`the duplicates cell does not say that nothing was moved, or where the list is:\n${dupText}`);
  }
  await dupCell.locator(".output_wrapper").screenshot({ path: path.join(shots, "duplicates-cell.png") });
  log(`duplicates: the identical group shows ${names.join(" and ")}`);
  await page.waitForFunction(() => !document.querySelector("#kernel_indicator_icon.kernel_busy_icon"), null, { timeout: seconds(60) });
  // Save, as an investigator would: the shell script checks what the saved notebook shows.
  await page.evaluate(() => Jupyter.notebook.save_notebook());
  await page.waitForFunction(() => !Jupyter.notebook.dirty, null, { timeout: seconds(30) });
  log("notebook saved");

  // Pictures: the whole notebook, and the form cell (form, progress, summary, gallery) for the README. The
  // classic Notebook scrolls inside its own panel, not the page: make the window as tall as the notebook.
  const height = await page.evaluate(() =>
    document.querySelector("#notebook-container").scrollHeight + document.querySelector("#header").offsetHeight + 60);
  await page.setViewportSize({ width: 1280, height: Math.min(height, 12000) });
  await page.waitForTimeout(500); // the Notebook lays itself out again on resize
  await page.evaluate(() => { document.querySelector("#site").scrollTop = 0; });
  await page.screenshot({ path: path.join(shots, "page.png") });
  await formCell.locator(".output_wrapper").screenshot({ path: path.join(shots, "form-cell.png") });
  log(`screenshots in ${shots}`);
} catch (e) {
  failed = true;
  console.error(`notebook-browser-test: FAILED: ${e.stack || e}`);
  try {
    await page.screenshot({ path: path.join(shots, "failure.png"), fullPage: true, timeout: seconds(20) });
    fs.writeFileSync(path.join(shots, "failure.html"), await page.content());
    console.error(`notebook-browser-test: page saved in ${shots}/failure.png and failure.html`);
  } catch (e2) {
    console.error(`notebook-browser-test: could not save the page: ${e2}`);
  }
} finally {
  // Known and harmless: Jupyter's own comm manager sees the messages of GoNB's comm, which GoNB handles on
  // its own websocket; Debian's Notebook looks for the ipywidgets extension, which is not installed.
  // The connection made to fail (above) logs its failure.
  const known = /Comm promise not found for comm id|nbextensions\/widgets\/|Failed to load resource: the server responded with a status of 404|comm_open_ack not received in time/;
  const other = consoleErrors.filter((m) => !known.test(m));
  console.log(`notebook-browser-test: the page's console: ${consoleErrors.length - other.length} known harmless error(s), ${other.length} other(s)`);
  for (const m of other.slice(0, 20)) console.log(`  ${m}`);
  await context.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
