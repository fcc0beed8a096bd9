// Starts Huddle: loads the WebAssembly app (its start function reads the path and draws the
// page into #app) and registers the service worker that keeps the app for offline use.
// A file of its own, not an inline script: the server's Content-Security-Policy runs only
// the server's own scripts.
import init from "/pkg/huddle_client.js";

init({ module_or_path: "/pkg/huddle_client_bg.wasm" }).catch((err) => {
  document.getElementById("app").textContent = "Huddle could not start: " + err;
  console.error(err);
});
// The service worker (sw.js) keeps the app itself, so a board opens without a network.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((err) => {
    console.warn("Huddle works online only: no service worker:", err);
  });
}
