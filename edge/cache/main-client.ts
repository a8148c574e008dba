/**
 * @module A small client of main's registry API, for warm: a pull token for one repository
 * (Docker token spec), manifests and tag lists. It talks to main only, never to another edge.
 *
 * Credentials go into the one token request and nowhere else: they are not kept, not put in an
 * error message, not logged.
 */
import { request, type Dispatcher } from 'undici';
import { digestOf, type Digest } from '../../src/oci/digest.js';
import { parseManifest, type Manifest } from '../../src/oci/manifest.js';
import { MANIFEST_MEDIA_TYPES } from '../../src/oci/media-types.js';
import { parseReference, type RepoName } from '../../src/oci/reference.js';
import { readResponseBytes, readResponseJson, ResponseTooLargeError } from '../../src/http/read-response.js';
import { OciError } from '../../src/oci/errors.js';
import { CACHE_HEADER } from './upstream.js';

export type MainClientErrorCode =
  /** Main refused the credentials, or the token does not let us pull. */
  | 'OUTPOST_MAIN_DENIED'
  /** The repository or manifest does not exist. */
  | 'OUTPOST_MAIN_NOT_FOUND'
  /** Main could not be reached or answered 5xx. */
  | 'OUTPOST_MAIN_UNAVAILABLE'
  /** Main answered something we cannot use (a manifest that does not parse or match its digest). */
  | 'OUTPOST_MAIN_PROTOCOL';

export class MainClientError extends Error {
  constructor(
    readonly code: MainClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MainClientError';
  }
}

export interface MainCredentials {
  username: string;
  password: string;
}

export interface FetchedManifest {
  digest: Digest;
  size: number;
  manifest: Manifest;
}

export interface MainClient {
  /** A pull token for `name`; undefined when main answers `/v2/` without asking for one. */
  pullToken(name: RepoName, credentials?: MainCredentials): Promise<string | undefined>;
  /** A manifest by tag or digest, parsed; a manifest fetched by digest must hash to it. */
  manifest(name: RepoName, reference: string, token: string | undefined): Promise<FetchedManifest>;
  /** Every tag of `name`, following `Link` pages. */
  tags(name: RepoName, token: string | undefined): Promise<string[]>;
}

// Main's own limit is configurable; manifests in the wild stay far below this.
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TAG_PAGES = 100;
// Main's JSON answers (a token, a page of tags) are small: anything larger is not main's answer.
const MAX_JSON_BYTES = 1024 * 1024;
const ACCEPT = [...MANIFEST_MEDIA_TYPES].join(', ');

/** `service` from a `WWW-Authenticate: Bearer realm=...,service=...` challenge. */
function challengeService(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value ? /service="([^"]*)"/.exec(value)?.[1] : undefined;
}

export function createMainClient(baseUrl: string, dispatcher: Dispatcher, cacheName: string): MainClient {
  async function get(path: string, headers: Record<string, string>): Promise<Dispatcher.ResponseData> {
    try {
      return await request(`${baseUrl}${path}`, { dispatcher, headers: { [CACHE_HEADER]: cacheName, ...headers } });
    } catch (err) {
      throw new MainClientError(
        'OUTPOST_MAIN_UNAVAILABLE',
        `main at ${baseUrl} unreachable: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** Maps a failed status to an error, after draining the body (keeps the connection usable). */
  async function failure(res: Dispatcher.ResponseData, what: string): Promise<MainClientError> {
    await res.body.dump().catch(() => {});
    if (res.statusCode === 401 || res.statusCode === 403)
      return new MainClientError('OUTPOST_MAIN_DENIED', `main refused access to ${what} (${res.statusCode})`);
    if (res.statusCode === 404) return new MainClientError('OUTPOST_MAIN_NOT_FOUND', `${what} not found on main`);
    return new MainClientError('OUTPOST_MAIN_UNAVAILABLE', `main answered ${res.statusCode} for ${what}`);
  }

  const bearer = (token: string | undefined): Record<string, string> =>
    token === undefined ? {} : { authorization: `Bearer ${token}` };

  async function json(res: Dispatcher.ResponseData, what: string): Promise<Record<string, unknown>> {
    let body: unknown;
    try {
      body = await readResponseJson(res.body, MAX_JSON_BYTES, `main's answer to ${what}`);
    } catch (err) {
      if (err instanceof ResponseTooLargeError) {
        throw new MainClientError('OUTPOST_MAIN_PROTOCOL', err.message, { cause: err });
      }
      throw new MainClientError('OUTPOST_MAIN_PROTOCOL', `main answered ${what} with something that is not JSON`, {
        cause: err,
      });
    }
    if (typeof body !== 'object' || body === null)
      throw new MainClientError(
        'OUTPOST_MAIN_PROTOCOL',
        `main answered ${what} with something that is not a JSON object`,
      );
    return body as Record<string, unknown>;
  }

  return {
    async pullToken(name, credentials) {
      const probe = await get('/v2/', {});
      await probe.body.dump().catch(() => {});
      if (probe.statusCode === 200) return undefined;
      if (probe.statusCode !== 401)
        throw new MainClientError('OUTPOST_MAIN_UNAVAILABLE', `main answered ${probe.statusCode} for /v2/`);
      const query = new URLSearchParams({ scope: `repository:${name}:pull` });
      const service = challengeService(probe.headers['www-authenticate']);
      if (service !== undefined) query.set('service', service);
      const basic: Record<string, string> = credentials
        ? {
            authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
          }
        : {};
      const res = await get(`/auth/token?${query}`, basic);
      if (res.statusCode !== 200) throw await failure(res, 'a pull token');
      const body = await json(res, 'the token request');
      const token = typeof body.token === 'string' ? body.token : body.access_token;
      if (typeof token !== 'string')
        throw new MainClientError('OUTPOST_MAIN_PROTOCOL', 'main answered the token request without a token');
      return token;
    },

    async manifest(name, reference, token) {
      const ref = parseReference(reference);
      const what = `manifest ${name}:${reference}`;
      const res = await get(`/v2/${name}/manifests/${reference}`, { accept: ACCEPT, ...bearer(token) });
      if (res.statusCode !== 200) throw await failure(res, what);
      const bytes = await readResponseBytes(res.body, MAX_MANIFEST_BYTES, what).catch((err: unknown) => {
        if (!(err instanceof ResponseTooLargeError)) throw err;
        throw new MainClientError('OUTPOST_MAIN_PROTOCOL', err.message, { cause: err });
      });
      const digest = digestOf(bytes);
      if (ref.kind === 'digest' && ref.digest !== digest)
        throw new MainClientError('OUTPOST_MAIN_PROTOCOL', `${what} does not match its digest`);
      const contentType = res.headers['content-type'];
      try {
        return {
          digest,
          size: bytes.byteLength,
          manifest: parseManifest(bytes, Array.isArray(contentType) ? contentType[0] : contentType),
        };
      } catch (err) {
        throw new MainClientError('OUTPOST_MAIN_PROTOCOL', `${what} is not a manifest the edge understands`, {
          cause: err,
        });
      }
    },

    async tags(name, token) {
      const tags: string[] = [];
      let path: string | undefined = `/v2/${name}/tags/list`;
      for (let page = 0; path && page < MAX_TAG_PAGES; page++) {
        const res = await get(path, bearer(token));
        if (res.statusCode !== 200) throw await failure(res, `tags of ${name}`);
        const body = await json(res, `the tags of ${name}`);
        if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
        // RFC 8288: `<path?n=..&last=..>; rel="next"`, relative to main.
        const link = res.headers.link;
        path = /<([^>]+)>;\s*rel="?next"?/.exec(Array.isArray(link) ? link.join(',') : (link ?? ''))?.[1];
        if (path && !path.startsWith('/')) path = new URL(path).pathname + new URL(path).search;
      }
      return tags;
    },
  };
}

/**
 * What the operator is told when main fails warm: main's refusal is 403 (not 401, which would
 * read as a bad operator token), a missing image 404, anything else 503.
 */
export function mainClientFailure(err: MainClientError): OciError {
  switch (err.code) {
    case 'OUTPOST_MAIN_DENIED':
      return new OciError('DENIED', { message: `${err.message}: check the credentials and that they may pull` });
    case 'OUTPOST_MAIN_NOT_FOUND':
      return new OciError('MANIFEST_UNKNOWN', { message: err.message });
    default:
      return new OciError('UNAVAILABLE', { message: err.message });
  }
}
