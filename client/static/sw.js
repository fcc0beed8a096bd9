// Huddle's service worker: the app opens without a network.
//
// - Install: cache the app shell (the page, the stylesheet, the wasm and its JS glue).
// - Navigations (`/`, `/b/{id}`): the network first, so a new deploy is picked up online;
//   the cached page if the network fails or is slower than NAVIGATION_TIMEOUT_MS. Navigation
//   preload asks the network while the worker starts, instead of after.
// - Static assets: from the cache, which holds this build's files. They are not fetched
//   again behind the page: a new build is a new worker with a new cache (below), and
//   replacing the cached wasm would throw away the browser's compiled code for it.
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
  const preload = self.registration.navigationPreload?.enable() ?? Promise.resolve();
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
            .map((name) => caches.delete(name))
            .concat(preload.catch(() => undefined)),
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
      event.respondWith(navigation(event));
    }
    return;
  }
  if (SHELL.includes(path)) {
    event.respondWith(asset(event, request));
  }
});

// The network's page (kept as the cached page, after the page is answered), else the cached
// page.
async function navigation(event) {
  const network = Promise.resolve(event.preloadResponse).then(
    (preloaded) => preloaded || fetch(event.request),
  );
  try {
    const response = await withTimeout(network, NAVIGATION_TIMEOUT_MS);
    if (response.ok) {
      // Every app path serves the same index.html. The copy is taken now, before the page
      // reads the body; a cache that cannot be opened only misses this copy.
      const copy = response.clone();
      event.waitUntil(
        shellCache()
          .then((cache) => cache.put("/index.html", copy))
          .catch(() => undefined),
      );
      return response;
    }
    // A 4xx (a bad board id) is the server's answer; a 5xx falls back to the cache.
    if (response.status < 500) return response;
  } catch (_) {
    // Offline, refused, or too slow: the cached page below.
  }
  const cached = await shellCache()
    .then((cache) => cache.match("/index.html"))
    .catch(() => undefined);
  return cached || Response.error();
}

// The cached copy; else the network's, kept for next time (an install cut short).
async function asset(event, request) {
  const cache = await shellCache();
  const cached = await cache.match(request, { ignoreVary: true, ignoreSearch: true });
  if (cached) return cached;
  try {
    const response = await fetch(request);
    if (response.ok) {
      event.waitUntil(cache.put(new URL(request.url).pathname, response.clone()));
    }
    return response;
  } catch (_) {
    return Response.error();
  }
}

// This build's cache, opened once per start of the worker rather than once per request.
let opened;
function shellCache() {
  opened ??= caches.open(CACHE).catch((err) => {
    opened = undefined; // tried again by the next request
    throw err;
  });
  return opened;
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
