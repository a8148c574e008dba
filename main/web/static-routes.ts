/**
 * @module `/static/outpost.css` and `/static/outpost.js`. Their URLs carry a hash of the content
 * (`?v=`), so browsers may keep them for a year and still pick up a new version at once.
 */
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { STYLESHEET } from './stylesheet.js';
import { CLIENT_SCRIPT } from './client-script.js';

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export const STYLESHEET_URL = `/static/outpost.css?v=${version(STYLESHEET)}`;
export const SCRIPT_URL = `/static/outpost.js?v=${version(CLIENT_SCRIPT)}`;

export function staticRoutes(): Hono {
  const app = new Hono();
  const cache = 'public, max-age=31536000, immutable';
  app.get('/static/outpost.css', (c) =>
    c.body(STYLESHEET, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': cache }),
  );
  app.get('/static/outpost.js', (c) =>
    c.body(CLIENT_SCRIPT, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': cache }),
  );
  return app;
}
