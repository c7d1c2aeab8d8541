// The console's service worker: it caches the shell (styles, scripts, icons, the offline
// page) and nothing else. Pages and fragments carry a user's data, so they always come from
// the network; when the network is gone, a navigation gets the offline page instead.
const CACHE = "conveyor-shell-v1";
const SHELL = [
  "/offline",
  "/static/console.css",
  "/static/console.js",
  "/static/theme.js",
  "/static/icon.svg",
  "/static/icon-maskable.svg",
  "/static/manifest.webmanifest",
  "/vendor/htmx/htmx.min.js",
];

self.addEventListener("install", (event) => {
  // addAll fails whole if one asset is missing (HTMX without npm): cache what exists.
  event.waitUntil(
    caches.open(CACHE).then((cache) => Promise.all(SHELL.map((url) => cache.add(url).catch(() => null))))
  );
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
  );
  self.clients.claim();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/offline")));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
  // Anything else (data, HTMX fragments) is left to the network, uncached.
});
