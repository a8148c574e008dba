/**
 * A browser stand-in for the web pages' integration tests: fetch with a cookie jar, redirects
 * left to the test (`redirect: 'manual'`), form posts with the page's CSRF token, and small
 * readers for the HTML that came back.
 */
import { expect } from 'vitest';
import { TEST_ADMIN_PASSWORD } from './servers.js';

export interface WebPage {
  status: number;
  headers: Headers;
  html: string;
  /** The Location header of a redirect, if any. */
  location: string | null;
  /** Every Set-Cookie header of the response. */
  setCookies: string[];
}

/** The value of the first `_csrf` hidden field in a page. */
export function csrfFieldOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no _csrf field in the page:\n${html.slice(0, 500)}`);
  return match[1]!;
}

/** The page's text without tags and with whitespace collapsed, for readable assertions. */
export function textOf(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}

export class WebClient {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  private remember(res: Response): string[] {
    const setCookies = res.headers.getSetCookie();
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const expired = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) < Date.now()),
      );
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
    return setCookies;
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { Cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async request(
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<WebPage> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...this.cookieHeader(), ...init.headers },
      ...(init.body !== undefined && { body: init.body }),
    });
    const setCookies = this.remember(res);
    return {
      status: res.status,
      headers: res.headers,
      html: await res.text(),
      location: res.headers.get('location'),
      setCookies,
    };
  }

  get(path: string): Promise<WebPage> {
    return this.request('GET', path);
  }

  /** Posts a form as a browser does (urlencoded), fields as given (no CSRF token added). */
  postRaw(path: string, fields: Record<string, string>): Promise<WebPage> {
    return this.request('POST', path, {
      body: new URLSearchParams(fields).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Opens `formPage` to read its CSRF token, then posts `fields` with it to `path`. */
  async submit(formPage: string, path: string, fields: Record<string, string>): Promise<WebPage> {
    const page = await this.get(formPage);
    expect(page.status, page.html.slice(0, 300)).toBe(200);
    return this.postRaw(path, { _csrf: csrfFieldOf(page.html), ...fields });
  }

  /** Signs in through the form and expects the redirect of a success. */
  async signIn(username: string, password: string, next?: string): Promise<WebPage> {
    const res = await this.submit(next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in', '/sign-in', {
      username,
      password,
      ...(next && { next }),
    });
    expect(res.status, textOf(res.html).slice(0, 300)).toBe(303);
    return res;
  }

  signInAsAdmin(): Promise<WebPage> {
    return this.signIn('admin', TEST_ADMIN_PASSWORD);
  }
}
