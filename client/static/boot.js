// Starts Huddle: loads the WebAssembly app (its start function reads the path and draws the
// page into #app) and registers the service worker that keeps the app for offline use.
// A file of its own, not an inline script: the server's Content-Security-Policy runs only
// the server's own scripts.

// A live board's first view is asked for now, while the app downloads and starts, so that
// it is there, read, when the app wants it (client/src/board/first_view.rs takes it).
const board = location.pathname.match(/^\/b\/([A-Za-z0-9_-]+)$/);
if (board && !new URLSearchParams(location.search).has("version")) {
  const view = fetch(`/api/boards/${board[1]}/view?format=binary`).then((r) =>
    r.ok ? r.arrayBuffer() : Promise.reject(new Error(`the board's view: HTTP ${r.status}`)),
  );
  // The app handles a failure (it goes on without the view); no "unhandled rejection".
  view.catch(() => {});
  globalThis.huddleFirstView = view;
}

import("/pkg/huddle_client.js")
  .then(({ default: init }) => init({ module_or_path: "/pkg/huddle_client_bg.wasm" }))
  .catch((err) => {
    document.getElementById("app").textContent = "Huddle could not start: " + err;
    console.error(err);
  });
// The service worker (sw.js) keeps the app itself, so a board opens without a network. Its
// first install downloads the app again and stores it, which competes with the first visit
// for the processor: it waits until the page has drawn (the app marks READY_MARK), or
// READY_WAIT_MS at most.
const READY_MARK = "huddle-ready";
const READY_WAIT_MS = 3000;
if ("serviceWorker" in navigator) {
  whenReady(() => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) => {
      console.warn("Huddle works online only: no service worker:", err);
    });
  });
}

function whenReady(then) {
  let done = false;
  const once = () => {
    if (!done) {
      done = true;
      then();
    }
  };
  setTimeout(once, READY_WAIT_MS);
  if (performance.getEntriesByName(READY_MARK).length > 0) return once();
  try {
    new PerformanceObserver((list, observer) => {
      if (list.getEntriesByName(READY_MARK).length > 0) {
        observer.disconnect();
        once();
      }
    }).observe({ type: "mark" });
  } catch (_) {
    // No PerformanceObserver for marks: the timeout registers it.
  }
}
