/**
 * Issue 9, item 3: every body main reads has a limit. `POST /auth/token`, the JSON bodies of
 * `/api/v0`, the web forms and manifest pushes are refused with 413 as soon as they pass their limit: at once
 * for a Content-Length over it, and while a chunked body that never ends is still being sent
 * (so main never buffers it: an answer that arrives before the body ends cannot have waited
 * for it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, TEST_ADMIN_PASSWORD, type TestMain } from '../helpers/servers.js';
import { ADMIN, api, apiOk, expectApiError } from '../helpers/api-client.js';
import { openRequest, type OpenRequest, type StreamedResponse } from '../helpers/streamed-requests.js';
import { textOf, WebClient } from '../helpers/web-client.js';
import { bearer, pushImageAs, tokenFor } from '../helpers/auth-http.js';

let main: TestMain;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
});
afterAll(async () => {
  await main.stop();
});

// Far more than any limit (the token form's 16 KiB, the API's and the forms' 64 KiB, a manifest's 4 MiB).
const NEVER_MORE_THAN = 8 * 1024 * 1024;
const CHUNK = Buffer.alloc(16 * 1024, 'a');
const ANSWER_WAIT_MS = 20_000;

/**
 * Sends body chunks until the server answers, never ending the body; fails if it has not
 * answered after NEVER_MORE_THAN bytes. The request is destroyed afterwards.
 */
async function answerWhileSending(open: OpenRequest): Promise<StreamedResponse> {
  let answered = false;
  const outcome = open.outcome.finally(() => (answered = true));
  try {
    for (let sent = 0; !answered && sent < NEVER_MORE_THAN; sent += CHUNK.length) {
      // A server that stopped reading stops taking bytes: the answer wins the race then.
      await Promise.race([open.write(CHUNK).catch(() => undefined), outcome]);
    }
    // On a loaded machine the socket buffers may take all of it before main has read past its
    // limit: wait for the answer, still without ending the body (a server that waited for the
    // end would never answer).
    if (!answered) await Promise.race([outcome, new Promise((resolve) => setTimeout(resolve, ANSWER_WAIT_MS))]);
    expect(answered, 'the server answered before the body ended').toBe(true);
    const result = await outcome;
    if ('error' in result) throw result.error;
    return result;
  } finally {
    open.request.destroy();
  }
}

const endless = (path: string, headers: Record<string, string>, method = 'POST') =>
  openRequest(`${main.url}${path}`, method, headers);
const HUGE_LENGTH = { 'Content-Length': String(600 * 1024 * 1024) };
const jsonOf = (res: StreamedResponse): unknown => JSON.parse(res.body.toString());

describe('POST /auth/token', () => {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

  it('answers 413 invalid_request at once for a Content-Length over 16 KiB, before the body is sent', async () => {
    const res = await answerWhileSending(endless('/auth/token', { ...form, ...HUGE_LENGTH }));
    expect(res.status).toBe(413);
    const description = 'the request body is larger than 16384 bytes';
    expect(jsonOf(res)).toEqual({ error: 'invalid_request', error_description: description });
  });

  it('answers 413 invalid_request to a chunked body that never ends', async () => {
    const res = await answerWhileSending(endless('/auth/token', form));
    expect(res.status).toBe(413);
    expect(jsonOf(res)).toMatchObject({ error: 'invalid_request' });
  });

  it('still issues tokens for an ordinary password grant', async () => {
    const body = new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: TEST_ADMIN_PASSWORD,
      service: 'outpost',
      scope: 'repository:admin/app:pull',
    });
    const res = await fetch(`${main.url}/auth/token`, { method: 'POST', body });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { access_token: string }).access_token).toMatch(/^ey/);
  });
});

describe('JSON bodies of /api/v0', () => {
  const json = { 'Content-Type': 'application/json', Authorization: ADMIN };

  it('answers 413 TOO_LARGE at once for a Content-Length over 64 KiB', async () => {
    const res = await answerWhileSending(endless('/api/v0/accounts', { ...json, ...HUGE_LENGTH }));
    expect(res.status).toBe(413);
    const message = 'the request body is larger than 65536 bytes';
    expect(jsonOf(res)).toEqual({ errors: [{ code: 'TOO_LARGE', message }] });
  });

  it('answers 413 TOO_LARGE to a chunked body that never ends, and creates nothing', async () => {
    const res = await answerWhileSending(endless('/api/v0/accounts', json));
    expect(res.status).toBe(413);
    expect(jsonOf(res)).toMatchObject({ errors: [{ code: 'TOO_LARGE' }] });
    const announced = await api(main.url, 'POST', '/accounts', { auth: ADMIN, body: 'x'.repeat(70_000) });
    await expectApiError(announced, 413, 'TOO_LARGE', /65536/);
  });

  it('still accepts a body within the limit', async () => {
    const body = { type: 'organization', name: 'bounded', fullName: 'f'.repeat(200) };
    await apiOk(main.url, 'POST', '/accounts', 201, { auth: ADMIN, body });
  });
});

describe('web forms', () => {
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

  it('answer the 413 page at once for a Content-Length over 64 KiB', async () => {
    const res = await answerWhileSending(endless('/sign-in', { ...form, ...HUGE_LENGTH }));
    expect(res.status).toBe(413);
    expect(textOf(res.body.toString())).toContain('Form too large');
  });

  it('answer the 413 page to a chunked form that never ends', async () => {
    const res = await answerWhileSending(endless('/admin/users', form));
    expect(res.status).toBe(413);
    expect(textOf(res.body.toString())).toContain('Form too large');
  });

  it('still take an ordinary form', async () => {
    const web = new WebClient(main.url);
    await web.signInAsAdmin();
    expect(web.cookies.has('outpost_session')).toBe(true);
  });
});

describe('PUT /v2/<name>/manifests/<reference>', () => {
  const REPO = 'admin/bounded';
  const pushToken = () => tokenFor(main.url, ADMIN, [`repository:${REPO}:pull,push`]);
  const manifestHeaders = async () => ({
    Authorization: bearer(await pushToken()),
    'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
  });

  it('answers 413 MANIFEST_INVALID at once for a Content-Length over 4 MiB', async () => {
    const headers = { ...(await manifestHeaders()), ...HUGE_LENGTH };
    const res = await answerWhileSending(endless(`/v2/${REPO}/manifests/huge`, headers, 'PUT'));
    expect(res.status).toBe(413);
    const message = 'manifest larger than 4194304 bytes';
    expect(jsonOf(res)).toMatchObject({ errors: [{ code: 'MANIFEST_INVALID', message }] });
  });

  it('answers 413 MANIFEST_INVALID to a chunked manifest that never ends', async () => {
    const res = await answerWhileSending(endless(`/v2/${REPO}/manifests/endless`, await manifestHeaders(), 'PUT'));
    expect(res.status).toBe(413);
    expect(jsonOf(res)).toMatchObject({ errors: [{ code: 'MANIFEST_INVALID' }] });
  });

  it('still takes an ordinary manifest', async () => {
    const { manifest } = await pushImageAs(main.url, REPO, 'ordinary', bearer(await pushToken()));
    const res = await fetch(`${main.url}/v2/${REPO}/manifests/ordinary`, {
      headers: { Authorization: bearer(await pushToken()), Accept: manifest.mediaType },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(manifest.digest);
  });
});
