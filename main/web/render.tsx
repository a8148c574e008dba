/**
 * @module Turns a page body into the HTML response: the layout around it (with the caller and
 * the session's CSRF token from the context), the flash message, and the headers every page
 * carries (no caching of personal pages, no framing, a strict Content-Security-Policy).
 */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Layout, type Flash, type Section, type Viewer } from './layout.js';
import type { WebCookies } from './cookies.js';
import type { Principal } from '../accounts/permissions.js';

// Scripts and styles come only from /static; forms post only to main itself.
const CSP =
  "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action " +
  "'self'; frame-ancestors 'none'; base-uri 'none'";

export const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * Who the pages act for: the user of the session cookie, else anonymous. Credentials in an
 * Authorization header are for the APIs; pages never use them, so every signed-in page has a
 * session and with it the CSRF token its forms need.
 */
export function webPrincipal(c: Context): Principal {
  const principal: Principal | undefined = c.get('principal');
  return c.get('session') && principal?.kind === 'user' ? principal : { kind: 'anonymous' };
}

/** The signed-in user, or undefined for anonymous visitors. */
export function viewerOf(c: Context): Viewer | undefined {
  const principal = webPrincipal(c);
  return principal.kind === 'user' ? { name: principal.name, isAdmin: principal.isAdmin } : undefined;
}

export interface PageOptions {
  title: string;
  section?: Section;
  status?: ContentfulStatusCode;
  /** A message for this response; otherwise the one left by the previous redirect, if any. */
  flash?: Flash;
}

export function renderPage(c: Context, cookies: WebCookies, options: PageOptions, body: Child): Promise<Response> {
  const flash = options.flash ?? cookies.takeFlash(c);
  const page = (
    <Layout
      title={options.title}
      viewer={viewerOf(c)}
      csrfToken={c.get('session')?.csrfToken}
      section={options.section}
      flash={flash}
    >
      {body}
    </Layout>
  );
  return Promise.resolve(html`<!DOCTYPE html>${page}`).then((text) =>
    c.html(text, options.status ?? 200, PAGE_HEADERS),
  );
}

/** Post/Redirect/Get: a 303 to `location`, with a message for the next page. */
export function redirectWithFlash(c: Context, cookies: WebCookies, location: string, flash?: Flash): Response {
  if (flash) cookies.setFlash(c, flash);
  return c.redirect(location, 303);
}
