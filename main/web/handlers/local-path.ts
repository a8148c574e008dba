/**
 * @module Checks a "where to go next" value so that a sign-in link can never send the browser
 * to another site (open redirect): only absolute paths on this host are kept.
 */
export function localPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length > 1000) return fallback;
  // `//host` and `/\host` are protocol-relative to browsers; control characters are never needed.
  if (
    !value.startsWith('/') ||
    value.startsWith('//') ||
    value.startsWith('/\\') ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
    /[\u0000-\u001f\u007f]/.test(value)
  )
    return fallback;
  return value;
}

/** The sign-in URL that comes back to the current page. */
export function signInUrl(path: string): string {
  return path === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(path)}`;
}
