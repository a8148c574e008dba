/**
 * What routing a long path costs main's event loop (issue 9, item 2), without the path guard
 * in front: builds main's real Hono app (services stubbed, as only the router is measured) and
 * times `app.fetch` for the slowest path shapes found, at and beyond the guard's limit.
 *
 *   npm run build && node load/route-cost.mjs [length ...]
 *
 * Prints milliseconds per request (mean of 20, after 3 warm-up requests) per shape and length.
 */
import { createMainApp } from '../dist/main/app.js';
import { MAX_PATH_LENGTH } from '../dist/src/http/path-guard.js';
import { silentLogger } from '../dist/src/log/logger.js';

/** Answers every property and every call with another stub (not a thenable): enough to build the app. */
function stub() {
  return new Proxy(() => undefined, { get: (_t, key) => (key === 'then' ? undefined : stub()), apply: () => stub() });
}
const SERVICES = ['registry', 'metrics', 'health', 'accessPolicy', 'auth', 'sessions', 'management', 'caches'];
const app = createMainApp({
  ...Object.fromEntries(SERVICES.map((name) => [name, stub()])),
  logger: silentLogger,
  deleteEnabled: true,
  maxManifestBytes: 4 << 20,
  trustedProxies: [],
  web: new Proxy({ publicUrl: 'http://127.0.0.1' }, { get: (t, key) => t[key] ?? stub() }),
});

const fill = (unit, length, suffix) => {
  const prefix = '/v2/';
  return (
    prefix + unit.repeat(Math.ceil(length / unit.length)).slice(0, length - prefix.length - suffix.length) + suffix
  );
};
const SHAPES = {
  'baseline /v2/a/b/tags/list': () => '/v2/a/b/tags/list',
  'a/ then /tags/list': (n) => fill('a/', n, '-/tags/list'),
  'slashes then /tags/list': (n) => fill('/', n, '-/tags/list'),
  'a/ only': (n) => fill('a/', n, ''),
  'a/blobs/ repeated': (n) => fill('a/blobs/', n, '-/tags/list'),
  'web /repositories/a/': (n) => `/repositories/${'a/'.repeat(n)}`.slice(0, n),
};
const lengths = process.argv.slice(2).map(Number);
for (const length of lengths.length > 0 ? lengths : [MAX_PATH_LENGTH, 1024, 2048, 4096]) {
  for (const [shape, make] of Object.entries(SHAPES)) {
    const request = () => app.fetch(new Request(`http://127.0.0.1${make(length)}`), {});
    for (let i = 0; i < 3; i++) await request();
    const started = performance.now();
    for (let i = 0; i < 20; i++) await request();
    console.log(
      `${String(length).padStart(5)}  ${shape.padEnd(26)} ${((performance.now() - started) / 20).toFixed(3)} ms`,
    );
  }
}
