/**
 * @module Scenario parameters from environment variables (`k6 run -e NAME=value` or the
 * environment), each with a default, parsed once at init and refused early when malformed.
 */

export function envString(name: string, fallback?: string): string {
  const value = __ENV[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new Error(`${name} is required (k6 run -e ${name}=...)`);
}

export function envNumber(name: string, fallback: number): number {
  const raw = __ENV[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name}: expected a non-negative number, got "${raw}"`);
  return value;
}

/** A comma-separated list: `IMAGES=team/app:1,team/web:2`. */
export function envList(name: string, fallback?: string): string[] {
  return envString(name, fallback)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Base URL without a trailing slash. */
export function envUrl(name: string, fallback?: string): string {
  const url = envString(name, fallback).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new Error(`${name}: expected an http(s) URL, got "${url}"`);
  return url;
}

export interface Credentials {
  user: string;
  password: string;
}

/**
 * `USERS=alice:pw1,bob:pw2`: the accounts virtual users sign in as, each with the cache profile
 * (defaultContentCache) the operator gave it on main. Virtual user N uses entry N mod count.
 */
export function envUsers(name = 'USERS'): Credentials[] {
  return envList(name).map((entry) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new Error(`${name}: expected user:password pairs separated by commas`);
    return { user: entry.slice(0, colon), password: entry.slice(colon + 1) };
  });
}

/** The credentials of the running virtual user. */
export function userOf(users: readonly Credentials[]): Credentials {
  return users[(__VU - 1 + users.length) % users.length]!;
}
