/**
 * Calls for the authentication tests: the token endpoint, registry requests carrying an
 * `Authorization` header, pushes as a given user, and the `WWW-Authenticate` challenge parsed.
 */
import { expect } from 'vitest';
import { configBlob, imageManifest, randomBlob, type Blob } from './oci-fixtures.js';

export { basicAuth, TEST_ADMIN_PASSWORD } from './servers.js';

export const bearer = (token: string) => `Bearer ${token}`;

export interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
  refresh_token?: string;
}

/** `GET /auth/token?service=outpost&scope=...` with an optional `Authorization`. */
export function getToken(
  base: string,
  options: { authorization?: string; scopes?: string[]; offline?: boolean } = {},
): Promise<Response> {
  const query = new URLSearchParams({ service: 'outpost' });
  for (const scope of options.scopes ?? []) query.append('scope', scope);
  if (options.offline) query.set('offline_token', 'true');
  return fetch(`${base}/auth/token?${query}`, {
    headers: options.authorization ? { Authorization: options.authorization } : {},
  });
}

/** A token for `authorization` (Basic) with `scopes`; expects 200. */
export async function tokenFor(base: string, authorization: string | undefined, scopes: string[]): Promise<string> {
  const res = await getToken(base, { ...(authorization && { authorization }), scopes });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return (JSON.parse(text) as TokenBody).token;
}

/** `POST /auth/token` with a form body, as docker and containerd send it. */
export function postToken(base: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

/** The parameters of a `Bearer` challenge: `{ realm, service, scope?, error? }`. */
export function parseChallenge(header: string | null): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  const params: Record<string, string> = {};
  for (const match of header!.slice('Bearer '.length).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
    params[match[1]!] = match[2]!.replace(/\\(.)/g, '$1');
  return params;
}

/** The access claim of a token (not verified: the server's answers are the check). */
export function accessOf(token: string): unknown {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { access: unknown }).access;
}

export interface PushedAs {
  manifest: Blob & { config: Blob };
  layer: Blob;
}

/** Pushes one small image to `name:tag` with `authorization` on every request; expects success. */
export async function pushImageAs(base: string, name: string, tag: string, authorization: string): Promise<PushedAs> {
  const layer = randomBlob(1024);
  const manifest = imageManifest({ layers: [layer], config: configBlob() });
  for (const blob of [manifest.config, layer]) {
    const res = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
      method: 'POST',
      headers: { Authorization: authorization },
      body: blob.bytes,
    });
    expect(res.status, await res.text()).toBe(201);
  }
  const res = await fetch(`${base}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { Authorization: authorization, 'Content-Type': manifest.mediaType },
    body: manifest.bytes,
  });
  expect(res.status, await res.text()).toBe(201);
  return { manifest, layer };
}

/** Makes `namespace/repo` public through the management API (as an administrator). */
export async function makePublic(base: string, name: string, adminAuthorization: string): Promise<void> {
  const [namespace, ...rest] = name.split('/');
  const res = await fetch(`${base}/api/v0/repositories/${namespace}/${encodeURIComponent(rest.join('/'))}`, {
    method: 'PATCH',
    headers: { Authorization: adminAuthorization, 'Content-Type': 'application/json' },
    body: JSON.stringify({ visibility: 'public' }),
  });
  expect(res.status, await res.text()).toBe(200);
}

/** `HEAD /v2/<name>/blobs/<digest>` with an optional `Authorization`. */
export function headBlob(base: string, name: string, digest: string, authorization?: string): Promise<Response> {
  return fetch(`${base}/v2/${name}/blobs/${digest}`, {
    method: 'HEAD',
    headers: authorization ? { Authorization: authorization } : {},
  });
}
