// Huddle's service worker: the app opens without a network.
//
// - Install: cache the app shell (the page, the stylesheet, the wasm and its JS glue).
// - Navigations (`/`, `/b/{id}`): the network first, so a new deploy is picked up online;
//   the cached page if the network fails or is slower than NAVIGATION_TIMEOUT_MS.
// - Static assets: the cache first (instant start), refreshed from the network behind it.
// - `/api/*` and `/ws/*` never touch the cache: they are live data (the board itself is kept
//   by the app in IndexedDB, not here).
//
// `cargo xtask build-client` replaces the build id below with a hash of the built files, so
// each build is a new service worker with a new cache, and the old cache is deleted when it
// activates.

const BUILD = "__HUDDLE_BUILD_ID__";
const CACHE_PREFIX = "huddle-shell-";
const CACHE = CACHE_PREFIX + BUILD;
const SHELL = [
  "/",
  "/index.html",
  "/style.css",
  "/boot.js",
  "/favicon.svg",
  "/pkg/huddle_client.js",
  "/pkg/huddle_client_bg.wasm",
];
// A server that does not answer a navigation this fast is treated as gone: a slow network
// should not keep the board from opening from the cache.
const NAVIGATION_TIMEOUT_MS = 3000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith("/api/") || path.startsWith("/ws/") || path === "/sw.js") return;
  if (request.mode === "navigate") {
    if (path === "/" || path === "/index.html" || path.startsWith("/b/")) {
      event.respondWith(navigation(request));
    }
    return;
  }
  if (SHELL.includes(path)) {
    event.respondWith(asset(event, request));
  }
});

// The network's page (kept as the cached page), else the cached page.
async function navigation(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS);
    if (response.ok) {
      // Every app path serves the same index.html.
      await cache.put("/index.html", response.clone());
      return response;
    }
    // A 4xx (a bad board id) is the server's answer; a 5xx falls back to the cache.
    if (response.status < 500) return response;
  } catch (_) {
    // Offline, refused, or too slow: the cached page below.
  }
  const cached = await cache.match("/index.html");
  return cached || Response.error();
}

// The cached copy now and a fresh one into the cache for next time; the network if uncached.
async function asset(event, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
  const refresh = fetch(request)
    .then(async (response) => {
      if (response.ok) await cache.put(new URL(request.url).pathname, response.clone());
      return response;
    })
    .catch(() => undefined);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  return (await refresh) || Response.error();
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timed out")), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
