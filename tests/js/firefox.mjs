// The board's end-to-end essentials in Firefox (issue 16): two people editing, presence, and
// offline and back, in Debian's firefox-esr driven through WebDriver BiDi by puppeteer-core.
//
//   node firefox.mjs <firefox binary> <board page URL> [screenshot.png]
//
// Person A opens the board through a TCP proxy on 127.0.0.1 that this script can cut (A's
// "network"); person B opens it directly. Each has a fresh profile. Steps, each waited for:
//   1. A double-clicks the canvas and types a note; B sees its text.
//   2. A points at the canvas; B sees A's cursor among its peers.
//   3. The proxy cuts A off; A's page says so; A writes a second note while offline; B does
//      not see it. The proxy comes back on the same port; A's page reconnects and B sees the
//      offline note.
// Prints one JSON line with what it saw and exits 0, or prints the failing step and exits 1.
// Firefox talks only to 127.0.0.1: every other address goes to a closed loopback port.

import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const [firefox, pageUrl, screenshot] = process.argv.slice(2);
if (!firefox || !pageUrl) {
  console.error("usage: node firefox.mjs <firefox binary> <board page URL>");
  process.exit(2);
}
const WAIT_MS = 20000;
const target = new URL(pageUrl);

/// A TCP proxy to the server that can be cut and restored on the same port.
class Cable {
  constructor(host, port) {
    this.to = { host, port };
    this.sockets = new Set();
    this.port = 0;
  }
  async listen() {
    this.server = net.createServer((inbound) => {
      const outbound = net.connect(this.to);
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {});
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
    await new Promise((ok, fail) => {
      this.server.once("error", fail);
      this.server.listen(this.port, "127.0.0.1", ok);
    });
    this.port = this.server.address().port;
  }
  async cut() {
    await new Promise((ok) => {
      this.server.close(() => ok());
      for (const s of this.sockets) s.destroy();
    });
  }
}

// Prefs that keep Firefox on loopback: no updates, telemetry, safe browsing, remote settings,
// captive portal or DNS-over-HTTPS, and a proxy (a closed port on 127.0.0.1) for the rest.
const PREFS = {
  "network.proxy.type": 1,
  "network.proxy.http": "127.0.0.1",
  "network.proxy.http_port": 9,
  "network.proxy.ssl": "127.0.0.1",
  "network.proxy.ssl_port": 9,
  "network.proxy.socks": "127.0.0.1",
  "network.proxy.socks_port": 9,
  "network.proxy.no_proxies_on": "127.0.0.1",
  "network.proxy.allow_hijacking_localhost": false,
  "network.trr.mode": 5,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.http.speculative-parallel-limit": 0,
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "app.update.enabled": false,
  "app.update.auto": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.unified": false,
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "services.settings.server": "http://127.0.0.1:9/",
  "geo.provider.network.url": "",
  "browser.newtabpage.enabled": false,
  "browser.startup.page": 0,
};

async function launch(name) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), `huddle-firefox-${name}-`));
  const browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: firefox,
    headless: true,
    // The window's size, not `page.setViewport`: puppeteer-core's BiDi `setViewport` also
    // sends `emulation.setScreenOrientationOverride`, which Debian's firefox-esr 140.10 does
    // not know (the whole call then fails).
    defaultViewport: null,
    args: ["--window-size=1200,800"],
    userDataDir: profile,
    extraPrefsFirefox: PREFS,
    protocolTimeout: WAIT_MS * 2,
  });
  return { browser, profile };
}

let step = "starting";
/// Whether A is cut off (from the cut until A's page is back online).
let cutOff = false;
const errors = [];

async function open(browser, url, who) {
  const page = await browser.newPage();
  // While A is cut off, Firefox reports each failed reconnection as an error: expected then.
  const refused = (text) => cutOff && /can.t establish a connection to the server at ws:/.test(text);
  page.on("pageerror", (e) => {
    if (!refused(e.message)) errors.push(`${who}: ${e.message}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" && !refused(m.text())) errors.push(`${who} console: ${m.text()}`);
  });
  await page.goto(url);
  await waitFor(page, `${who}'s page to connect`, READY);
  return page;
}

const READY =
  "window.huddle && ['online', 'saved'].includes(document.querySelector('#status')?.textContent)";

async function waitFor(page, what, js) {
  step = what;
  // Polled from here, not with `page.waitForFunction`: puppeteer builds its predicate with
  // `new Function` inside the page, which our CSP (no 'unsafe-eval') blocks in firefox-esr 140.10.
  try {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const value = await page.evaluate(js);
      if (value) return value;
      if (Date.now() > deadline) throw new Error("Waiting failed");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (e) {
    const status = await page
      .evaluate(() => document.querySelector("#status")?.textContent)
      .catch(() => "?");
    throw new Error(`timed out waiting for ${what} (status: ${status}): ${e.message}`);
  }
}

/// The note texts a page holds, sorted.
const texts = (page) =>
  page.evaluate(() =>
    Object.values(huddle.snapshot().items)
      .filter((i) => i.kind === "note")
      .map((i) => i.text)
      .sort(),
  );

const hasText = (text) =>
  `Object.values(huddle.snapshot().items).some(i => i.kind === 'note' && i.text === ${JSON.stringify(text)})`;

/// Double-clicks an empty spot of the canvas (`dx`, `dy` from its top-left) and types `text`
/// into the new note's editor, then closes it.
async function writeNote(page, dx, dy, text) {
  const before = await page.evaluate(() => Object.keys(huddle.snapshot().items));
  const box = await page.evaluate(() => {
    const r = document.querySelector("#board-canvas").getBoundingClientRect();
    return [r.left, r.top];
  });
  await page.mouse.click(box[0] + dx, box[1] + dy, { count: 2 });
  const id = await waitFor(
    page,
    `a new note's editor for ${JSON.stringify(text)}`,
    `(() => { const id = huddle.editing(); return !${JSON.stringify(before)}.includes(id) && id; })()`,
  );
  await page.keyboard.type(text);
  await page.keyboard.press("Escape");
  await waitFor(page, `the note to hold ${JSON.stringify(text)}`, hasText(text));
  return id;
}

const cable = new Cable(target.hostname, Number(target.port));
const people = [];
let exitCode = 0;
try {
  await cable.listen();
  const viaCable = new URL(pageUrl);
  viaCable.port = String(cable.port);
  const a = await launch("a");
  const b = await launch("b");
  people.push(a, b);
  const version = await a.browser.version();
  const pageA = await open(a.browser, viaCable.href, "A");
  const pageB = await open(b.browser, pageUrl, "B");

  // 1. Two people editing.
  await writeNote(pageA, 120, 120, "Written in Firefox");
  await waitFor(pageB, "B to see A's note", hasText("Written in Firefox"));

  // 2. Presence: A's cursor reaches B.
  const box = await pageA.evaluate(() => {
    const r = document.querySelector("#board-canvas").getBoundingClientRect();
    return [r.left, r.top];
  });
  for (const [x, y] of [
    [400, 300],
    [410, 305],
    [420, 310],
  ]) {
    await pageA.mouse.move(box[0] + x, box[1] + y);
  }
  const peer = await waitFor(
    pageB,
    "B to see A's cursor",
    "huddle.peers().find(p => p.cursor) || false",
  );

  // B's page as B sees it (A's note and cursor), to look at.
  if (screenshot) {
    await pageB.screenshot({ path: screenshot });
  }

  // 3. Offline and back.
  cutOff = true;
  await cable.cut();
  await waitFor(
    pageA,
    "A's page to notice it is offline",
    "document.querySelector('#status')?.textContent === 'offline'",
  );
  const offlineStatus = await pageA.evaluate(() => document.querySelector("#status")?.textContent);
  await writeNote(pageA, 420, 120, "Written offline in Firefox");
  await new Promise((ok) => setTimeout(ok, 500));
  step = "B must not see the offline note while A is cut off";
  if ((await texts(pageB)).includes("Written offline in Firefox")) {
    throw new Error("B saw A's note while A was offline");
  }
  await cable.listen();
  await waitFor(pageA, "A's page to reconnect", READY);
  cutOff = false;
  await waitFor(pageB, "B to see the note A wrote offline", hasText("Written offline in Firefox"));
  await waitFor(pageA, "A to say saved", "document.querySelector('#status')?.textContent === 'saved'");

  step = "no errors in either page";
  if (errors.length > 0) {
    throw new Error(`the pages logged errors:\n${errors.join("\n")}`);
  }
  console.log(
    JSON.stringify({
      firefox: version,
      a: await texts(pageA),
      b: await texts(pageB),
      peer,
      offlineStatus,
    }),
  );
} catch (e) {
  console.error(`firefox: failed at "${step}": ${e.stack || e}`);
  if (errors.length > 0) console.error(`page errors:\n${errors.join("\n")}`);
  exitCode = 1;
} finally {
  for (const p of people) {
    await p.browser.close().catch(() => {});
    fs.rmSync(p.profile, { recursive: true, force: true });
  }
  await cable.cut().catch(() => {});
}
process.exit(exitCode);
