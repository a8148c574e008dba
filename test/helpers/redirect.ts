/**
 * For the redirect tests (main -> edge, DESIGN 3.3): a main with authentication on holding one
 * public image, users, blob GETs that do not follow redirects, and main's metrics.
 */
import { expect } from 'vitest';
import { ADMIN, pushImageAs } from './api-client.js';
import { basicAuth, bearer, makePublic, tokenFor } from './auth-http.js';
import { readMetric } from './edge.js';
import { randomBlob, type Blob } from './oci-fixtures.js';
import type { TestMain } from './servers.js';

export const USER_PASSWORD = 'redirect-test-password';
export const REPO = 'team/app';

/** Creates users (password USER_PASSWORD) and returns their Basic `Authorization` values by name. */
export async function createUsers(main: TestMain, names: string[]): Promise<Record<string, string>> {
  const auth: Record<string, string> = {};
  for (const name of names) {
    await main.service.accounts.createUser({ name, password: USER_PASSWORD });
    auth[name] = basicAuth(name, USER_PASSWORD);
  }
  return auth;
}

/** Sets an account's (user's or organization's) cache; '' for none. */
export async function setCache(main: TestMain, account: string, cache: string): Promise<void> {
  await main.service.accounts.updateSettings(account, { defaultContentCache: cache });
}

export interface PublishedImage {
  manifest: Blob & { config: Blob };
  layers: Blob[];
}

/**
 * Pushes an image with `layerSizes` to `repo:tag` as admin (organization created if need be) and
 * makes the repository public.
 */
export async function publishImage(
  main: TestMain,
  layerSizes: number[] = [1000, 2000],
  repo = REPO,
  tag = 'v1',
  makeLayer: (size: number, index: number) => Blob = (size) => randomBlob(size),
): Promise<PublishedImage> {
  const namespace = repo.split('/')[0]!;
  if (!main.service.accounts.getOrg(namespace)) await main.service.accounts.createOrg({ name: namespace });
  const layers = layerSizes.map(makeLayer);
  const manifest = await pushImageAs(main.url, ADMIN, repo, tag, layers);
  await makePublic(main.url, repo, ADMIN);
  return { manifest, layers };
}

/** A pull token for `repo`, as docker would fetch it with Basic credentials. */
export function pullToken(main: TestMain, authorization: string, repo = REPO): Promise<string> {
  return tokenFor(main.url, authorization, [`repository:${repo}:pull`]);
}

/** `GET|HEAD /v2/<repo>/blobs/<digest>` on main without following a redirect. */
export function getBlob(
  main: TestMain,
  digest: string,
  authorization?: string,
  options: { repo?: string; method?: string } = {},
): Promise<Response> {
  return fetch(`${main.url}/v2/${options.repo ?? REPO}/blobs/${digest}`, {
    method: options.method ?? 'GET',
    redirect: 'manual',
    headers: authorization ? { Authorization: authorization } : {},
  });
}

/** Expects a 307 to `<cacheUrl>/v2/<repo>/blobs/<digest>?token=...`; returns the Location. */
export async function expectRedirect(res: Response, cacheUrl: string, digest: string, repo = REPO): Promise<string> {
  expect(res.status, await res.text()).toBe(307);
  const location = res.headers.get('location')!;
  const url = new URL(location);
  expect(`${url.origin}${url.pathname}`).toBe(`${cacheUrl}/v2/${repo}/blobs/${digest}`);
  expect([...url.searchParams.keys()]).toEqual(['token']);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return location;
}

/** Expects main to answer with the blob's bytes itself. */
export async function expectServedByMain(res: Response, blob: Blob): Promise<void> {
  expect(res.status).toBe(200);
  expect(res.headers.get('location')).toBeNull();
  expect(Buffer.from(await res.arrayBuffer()).equals(blob.bytes)).toBe(true);
}

/** The redirect token in a Location. */
export const tokenIn = (location: string): string => new URL(location).searchParams.get('token')!;

/** A series of main's /metrics, 0 when absent. */
export const mainMetric = (main: TestMain, series: string): Promise<number> => readMetric(main.url, series);

export { bearer };
