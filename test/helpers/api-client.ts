/**
 * Management API calls for integration tests (`/api/v0`), and the check of its error envelope:
 * `{"errors":[{"code","message"}]}` with the code's status.
 */
import { expect } from 'vitest';
import { basicAuth, TEST_ADMIN_PASSWORD } from './servers.js';

export const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD);
export const PASSWORD = 'correct-horse-battery';

export interface ApiCallOptions {
  /** `Authorization` header value; none when absent. */
  auth?: string;
  /** Sent as JSON unless a string (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls `<base>/api/v0<path>`. */
export function api(base: string, method: string, path: string, options: ApiCallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== undefined) headers.Authorization = options.auth;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return fetch(`${base}/api/v0${path}`, { method, headers, ...(body !== undefined && { body }) });
}

/** Calls the API and expects `status`; returns the parsed JSON body (undefined when empty). */
export async function apiOk<T = unknown>(base: string, method: string, path: string, status: number, options: ApiCallOptions = {}): Promise<T> {
  const res = await api(base, method, path, options);
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * Asserts status, the envelope holding exactly one error of `code`, and that its message
 * matches `message`; returns the message.
 */
export async function expectApiError(res: Response, status: number, code: string, message: RegExp): Promise<string> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = JSON.parse(text) as { errors: Array<{ code: string; message: string }> };
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0]!.code).toBe(code);
  expect(body.errors[0]!.message).toMatch(message);
  if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Basic realm="outpost"');
  return body.errors[0]!.message;
}

/** Creates a user (as admin) and returns its Basic `Authorization` value. */
export async function createUser(base: string, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  await apiOk(base, 'POST', '/accounts', 201, { auth: ADMIN, body: { type: 'user', name, password: PASSWORD, ...extra } });
  return basicAuth(name, PASSWORD);
}

export async function createOrg(base: string, name: string): Promise<void> {
  await apiOk(base, 'POST', '/accounts', 201, { auth: ADMIN, body: { type: 'organization', name } });
}
