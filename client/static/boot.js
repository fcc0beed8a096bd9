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
// The service worker (sw.js) keeps the app itself, so a board opens without a network.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) => {
    console.warn("Huddle works online only: no service worker:", err);
  });
}
