// The verify page's service worker: keeps the page, its script and styles, and the platform's
// code-signing certificates, so that the page opens and verifies with no network. Network first, so
// that an online visit always refreshes the certificates (a revocation reaches the cache).
const CACHE = "crosstrust-verify-v2";
const KEPT = [
  "/verify/",
  "/static/verify.js",
  "/static/site.css",
  "/static/portal.css",
  "/.well-known/crosstrust/certificates",
  "/.well-known/crosstrust/jwks.json",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(KEPT)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !KEPT.includes(url.pathname)) {
    return;
  }
  event.respondWith(
    // revalidated, not from the HTTP cache: a revocation must reach the kept copy on the next online visit
    fetch(url.pathname, { cache: "no-cache" })
      .then((answer) => {
        if (answer.ok) {
          const copy = answer.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(url.pathname, copy)));
        }
        return answer;
      })
      .catch(() => caches.match(url.pathname).then((kept) => kept || Response.error())),
  );
});
