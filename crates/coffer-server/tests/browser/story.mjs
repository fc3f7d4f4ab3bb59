// The whole story in headless Chromium, through the page only:
// alice (tenant owner) signs in, creates a project, adds bob as a viewer
// and uploads a 1 MiB file; bob is refused an upload, gets the wrong-
// password message, downloads the file (the bytes must match), and a
// replayed session is refused; alice's audit view shows every step and
// "verified". A screenshot of each screen goes to OUT_DIR.
//
// With STORY=ecdh (a service started with `--session-suite ECDH-P256`) a
// short story instead: alice creates a project, uploads and downloads a
// file through ECDH-P256 offers.
//
// Environment: COFFER_URL, ALICE_KEY, BOB_KEY, OUT_DIR, CHROMIUM, STORY,
// and CHROMIUM_ARGS (extra command-line switches, space-separated: the TLS
// test trusts its certificate with --ignore-certificate-errors-spki-list;
// certificate errors are never ignored otherwise).

import { randomBytes } from "node:crypto";
import { readFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium } from "playwright-core";

const { COFFER_URL, ALICE_KEY, BOB_KEY, OUT_DIR, CHROMIUM, STORY, CHROMIUM_ARGS } = process.env;
const PASSWORD = "correct horse battery staple";
const file = randomBytes(1024 * 1024);

await mkdir(OUT_DIR, { recursive: true });
const extraArgs = (CHROMIUM_ARGS ?? "").split(" ").filter((a) => a !== "");
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", ...extraArgs],
});
const problems = [];

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

async function open(who, key) {
  const context = await browser.newContext({ acceptDownloads: true, ignoreHTTPSErrors: false });
  const page = await context.newPage();
  // Anything the content security policy blocks, and any script error, is
  // a failure of the page (refused API calls are logged by the browser as
  // failed resource loads: those are expected here).
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() === "error" && !text.startsWith("Failed to load resource")) {
      problems.push(`${who}: ${text}`);
    }
  });
  page.on("pageerror", (error) => problems.push(`${who}: ${error}`));
  const response = await page.goto(COFFER_URL);
  if (COFFER_URL.startsWith("https:")) {
    check(
      response.headers()["strict-transport-security"] === "max-age=63072000; includeSubDomains",
      `${who}: the page came over TLS with HSTS`,
    );
  }
  await page.screenshot({ path: join(OUT_DIR, `${who}-01-sign-in.png`) });
  await page.fill("#api-key", key);
  await page.click("#signin-form button");
  await page.waitForSelector("#app:not([hidden])");
  return page;
}

// Clears the status line, so the next wait sees only the next message.
async function clear(page) {
  await page.evaluate(() => { document.getElementById("status").textContent = ""; });
}

async function status(page, pattern) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById("status").textContent),
    pattern.source,
  );
  return page.textContent("#status");
}

async function shot(page, name) {
  await page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true });
}

async function upload(page, project, document, content) {
  await page.fill("#upload-project", project);
  await page.fill("#upload-document", document);
  await page.setInputFiles("#upload-file", { name: document, mimeType: "application/octet-stream", buffer: content });
  await page.fill("#upload-password", PASSWORD);
  await clear(page);
  await page.click("#upload-form button");
  return status(page, /Uploaded|Refused|wrong|failed/);
}

async function create(page, project) {
  await page.fill("#create-project", project);
  await page.fill("#create-password", PASSWORD);
  await clear(page);
  await page.click("#create-form button");
  await status(page, /created/);
}

async function ecdhStory() {
  const alice = await open("ecdh-alice", ALICE_KEY);
  await create(alice, "ecdh");
  const small = randomBytes(100 * 1024);
  check((await upload(alice, "ecdh", "notes.bin", small)).startsWith("Uploaded"), "ecdh: alice uploads");
  await alice.fill("#list-project", "ecdh");
  await clear(alice);
  await alice.click("#list-form button");
  await status(alice, /document\(s\)/);
  const suites = [];
  alice.on("response", async (response) => {
    if (response.url().endsWith("/offer")) suites.push((await response.json()).suite);
  });
  await alice.fill("#download-password", PASSWORD);
  await clear(alice);
  const [saved] = await Promise.all([
    alice.waitForEvent("download"),
    alice.locator('#document-rows tr[data-document="notes.bin"] button').click(),
  ]);
  await status(alice, /Downloaded/);
  check(Buffer.compare(await readFile(await saved.path()), small) === 0, "ecdh: the download matches");
  check(suites.length === 1 && suites[0] === "ECDH-P256", `ecdh: the offer was ECDH-P256 (${suites})`);
  await shot(alice, "ecdh-alice-downloaded");
}

try {
  if (STORY === "ecdh") {
    await ecdhStory();
  } else {
    await fullStory();
  }
  check(problems.length === 0, `no script errors or content security policy violations (${problems.join("; ")})`);
} finally {
  await browser.close();
}

async function fullStory() {
  // alice: project, member, upload.
  const alice = await open("alice", ALICE_KEY);
  check((await page_text(alice, "#who")).includes("acme/alice"), "alice is signed in");
  await create(alice, "payroll");
  await alice.fill("#member-project", "payroll");
  await alice.fill("#member-id", "bob");
  await alice.selectOption("#member-role", "viewer");
  await clear(alice);
  await alice.click("#member-form button");
  await status(alice, /viewer/);
  await shot(alice, "alice-02-project");
  check((await upload(alice, "payroll", "report.bin", file)).includes("1048576 bytes"), "alice uploads 1 MiB");
  check((await alice.getAttribute("#upload-progress", "value")) === "100", "the progress bar is full");
  await shot(alice, "alice-03-uploaded");

  // bob: refused upload, wrong password, download, replay.
  const bob = await open("bob", BOB_KEY);
  check((await upload(bob, "payroll", "forged.bin", Buffer.from("forged"))).startsWith("Refused by policy"), "bob is refused an upload");
  await shot(bob, "bob-02-upload-refused");

  await bob.fill("#list-project", "payroll");
  await clear(bob);
  await bob.click("#list-form button");
  await status(bob, /document\(s\)/);
  check((await bob.locator("#document-rows tr").count()) === 1, "bob lists one document");
  const download = bob.locator('#document-rows tr[data-document="report.bin"] button');

  await bob.fill("#download-password", "not the password");
  await clear(bob);
  await download.click();
  check((await status(bob, /Wrong password|Downloaded/)).startsWith("Wrong password"), "a wrong password has its message");
  await shot(bob, "bob-03-wrong-password");

  // The first successful download's session message, kept for the replay.
  let posted = null;
  bob.on("request", (request) => {
    if (posted === null && request.url().endsWith("/download")) posted = request.postData();
  });
  await bob.fill("#download-password", PASSWORD);
  await clear(bob);
  const [saved] = await Promise.all([bob.waitForEvent("download"), download.click()]);
  await status(bob, /Downloaded/);
  const bytes = await readFile(await saved.path());
  check(Buffer.compare(bytes, file) === 0, "bob's download matches alice's upload byte for byte");
  await shot(bob, "bob-04-downloaded");

  // Replay: the next download posts the first one's session message again.
  check(typeof posted === "string" && posted.includes("encrypted_password"), "the download's session message was seen");
  await bob.route(/\/download$/, (route) => route.continue({ postData: posted }));
  await clear(bob);
  await download.click();
  const replayed = await status(bob, /expired|Downloaded/);
  check(replayed.includes("already used"), `a replayed session is refused (${replayed})`);
  await shot(bob, "bob-05-replay-refused");

  // alice: the audit view.
  await alice.fill("#audit-project", "payroll");
  await clear(alice);
  await alice.click("#audit-form button");
  await status(alice, /audit record/);
  check((await page_text(alice, "#audit-verified")).startsWith("verified"), "the audit chain verifies");
  const rows = await alice.locator("#audit-rows tr").allTextContents();
  const seen = (operation, outcome, who) =>
    rows.some((row) => row.includes(operation) && row.includes(outcome) && row.includes(who));
  check(seen("create_project", "succeeded", "acme/alice"), "audit: alice created the project");
  check(seen("add_member", "succeeded", "acme/alice"), "audit: alice added bob");
  check(seen("encrypt", "succeeded", "acme/alice"), "audit: alice's upload");
  check(seen("encrypt", "denied", "acme/bob"), "audit: bob's refused upload");
  check(seen("download", "failed", "acme/bob"), "audit: bob's wrong password and replay");
  check(seen("download", "succeeded", "acme/bob"), "audit: bob's download");
  await shot(alice, "alice-04-audit");
}

async function page_text(page, selector) {
  return (await page.textContent(selector)) ?? "";
}
