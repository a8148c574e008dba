/**
 * Management API calls for integration tests (`/api/v0`), and the check of its error envelope:
 * `{"errors":[{"code","message"}]}` with the code's status.
 */
import { expect } from 'vitest';
import { basicAuth, TEST_ADMIN_PASSWORD } from './servers.js';
import { imageManifest, randomBlob, type Blob } from './oci-fixtures.js';

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
export async function apiOk<T = unknown>(
  base: string,
  method: string,
  path: string,
  status: number,
  options: ApiCallOptions = {},
): Promise<T> {
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
  // The API challenges only requests that sent Basic credentials (test/security/05); never Bearer.
  if (status === 401) expect([null, 'Basic realm="outpost"']).toContain(res.headers.get('www-authenticate'));
  return body.errors[0]!.message;
}

/** Creates a user (as admin) and returns its Basic `Authorization` value. */
export async function createUser(base: string, name: string, extra: Record<string, unknown> = {}): Promise<string> {
  await apiOk(base, 'POST', '/accounts', 201, {
    auth: ADMIN,
    body: { type: 'user', name, password: PASSWORD, ...extra },
  });
  return basicAuth(name, PASSWORD);
}

export async function createOrg(base: string, name: string): Promise<void> {
  await apiOk(base, 'POST', '/accounts', 201, { auth: ADMIN, body: { type: 'organization', name } });
}

/** PUTs a manifest with credentials; returns the response for the caller to check. */
export function putManifestAs(
  base: string,
  auth: string,
  name: string,
  reference: string,
  manifest: { bytes: Uint8Array; mediaType: string },
): Promise<Response> {
  return fetch(`${base}/v2/${name}/manifests/${reference}`, {
    method: 'PUT',
    headers: { Authorization: auth, 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
}

/** Pushes config, layers and an image manifest under `tag` with Basic credentials; expects 201s. */
export async function pushImageAs(
  base: string,
  auth: string,
  name: string,
  tag: string,
  layers: Blob[] = [randomBlob(300), randomBlob(700)],
): Promise<Blob & { config: Blob }> {
  const manifest = imageManifest({ layers });
  for (const blob of [manifest.config, ...layers]) {
    const res = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: auth },
      body: blob.bytes,
    });
    expect(res.status, await res.text()).toBe(201);
  }
  const res = await putManifestAs(base, auth, name, tag, manifest);
  expect(res.status, await res.text()).toBe(201);
  return manifest;
}
