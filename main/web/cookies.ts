/**
 * @module The cookies the web pages set: the session, the sign-in form's CSRF token
 * (double-submit, since there is no session yet), and a one-time flash message.
 *
 * All are httpOnly and SameSite=Lax, and Secure when the request came over https or main's
 * public URL is https (TLS terminated by a proxy in front of main).
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { SESSION_COOKIE } from '../auth/sessions.js';
import type { Flash } from './layout.js';

export const SIGN_IN_CSRF_COOKIE = 'outpost_signin_csrf';
export const FLASH_COOKIE = 'outpost_flash';

// Long enough to fill in the form after a coffee; short enough to be worthless when leaked.
const SIGN_IN_TOKEN_MAX_AGE_S = 60 * 60;
const FLASH_MAX_AGE_S = 60;
const FLASH_KINDS: ReadonlySet<string> = new Set(['error', 'success', 'info', 'warning']);

export interface WebCookies {
  setSession(c: Context, id: string, expiresAt: number, now: number): void;
  clearSession(c: Context): void;
  /** The sign-in form's CSRF token: the one already in the cookie, or a new one (set now). */
  signInToken(c: Context): string;
  readSignInToken(c: Context): string | undefined;
  clearSignInToken(c: Context): void;
  setFlash(c: Context, flash: Flash): void;
  /** The flash message set by the previous response, removed as it is read. */
  takeFlash(c: Context): Flash | undefined;
}

export function createWebCookies(options: { alwaysSecure: boolean }): WebCookies {
  const base = (c: Context): CookieOptions => ({
    path: '/',
    httpOnly: true,
    sameSite: 'Lax',
    secure: options.alwaysSecure || new URL(c.req.url).protocol === 'https:',
  });

  return {
    setSession(c, id, expiresAt, now) {
      setCookie(c, SESSION_COOKIE, id, { ...base(c), maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)) });
    },
    clearSession: (c) => void deleteCookie(c, SESSION_COOKIE, base(c)),

    signInToken(c) {
      const existing = getCookie(c, SIGN_IN_CSRF_COOKIE);
      if (existing && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
      const token = randomBytes(24).toString('base64url');
      setCookie(c, SIGN_IN_CSRF_COOKIE, token, { ...base(c), maxAge: SIGN_IN_TOKEN_MAX_AGE_S });
      return token;
    },
    readSignInToken: (c) => getCookie(c, SIGN_IN_CSRF_COOKIE),
    clearSignInToken: (c) => void deleteCookie(c, SIGN_IN_CSRF_COOKIE, base(c)),

    setFlash(c, flash) {
      setCookie(c, FLASH_COOKIE, JSON.stringify({ kind: flash.kind, text: flash.text.slice(0, 300) }), {
        ...base(c),
        maxAge: FLASH_MAX_AGE_S,
      });
    },
    takeFlash(c) {
      const value = getCookie(c, FLASH_COOKIE);
      if (value === undefined) return undefined;
      deleteCookie(c, FLASH_COOKIE, base(c));
      try {
        const parsed = JSON.parse(value) as unknown;
        if (typeof parsed !== 'object' || parsed === null) return undefined;
        const { kind, text } = parsed as Record<string, unknown>;
        return typeof kind === 'string' && FLASH_KINDS.has(kind) && typeof text === 'string'
          ? { kind: kind as Flash['kind'], text: text.slice(0, 300) }
          : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
