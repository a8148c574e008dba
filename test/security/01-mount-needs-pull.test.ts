/**
 * Issue 9, item 1: a cross-repository mount (`POST /v2/<name>/blobs/uploads/?mount=&from=`)
 * is a read of `from`. It links the blob only when the caller may pull `from`; otherwise the
 * answer is an ordinary upload session (202), the same whether the digest exists anywhere or
 * not, and nothing is linked. Without `from` nothing is looked for.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, createUser, pushImageAs } from '../helpers/api-client.js';
import { bearer, makePublic, tokenFor } from '../helpers/auth-http.js';
import { expectOciError } from '../helpers/registry-http.js';
import { randomBlob, type Blob } from '../helpers/oci-fixtures.js';

let main: TestMain;
let alice: string;
let bob: string;
/** A layer only alice's private repository holds. */
let secret: Blob;
/** A layer of alice's public repository. */
let shared: Blob;

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  alice = await createUser(main.url, 'alice');
  bob = await createUser(main.url, 'bob');
  secret = randomBlob(2048);
  shared = randomBlob(1024);
  await pushImageAs(main.url, alice, 'alice/secret', 'v1', [secret]);
  await pushImageAs(main.url, alice, 'alice/open', 'v1', [shared]);
  await makePublic(main.url, 'alice/open', ADMIN);
  await pushImageAs(main.url, bob, 'bob/mine', 'v1');
});
afterAll(async () => {
  await main?.stop();
});

const mount = (auth: string, into: string, digest: string, from?: string) =>
  fetch(`${main.url}/v2/${into}/blobs/uploads/?mount=${digest}${from !== undefined ? `&from=${from}` : ''}`, {
    method: 'POST',
    headers: { Authorization: auth },
  });

/** Asserts an ordinary upload session in `into`, and returns the answer without its session id. */
async function expectSession(res: Response, into: string): Promise<unknown> {
  expect(res.status, await res.text()).toBe(202);
  const uuid = res.headers.get('docker-upload-uuid')!;
  expect(res.headers.get('location')).toBe(`/v2/${into}/blobs/uploads/${uuid}`);
  expect(res.headers.get('range')).toBe('0-0');
  const location = res.headers.get('location')!.replace(uuid, '<uuid>');
  return { status: res.status, location, range: res.headers.get('range') };
}

async function expectNotInRepository(auth: string, name: string, digest: string): Promise<void> {
  const res = await fetch(`${main.url}/v2/${name}/blobs/${digest}`, { headers: { Authorization: auth } });
  await expectOciError(res, 404, 'BLOB_UNKNOWN');
}

describe('POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repository> without pull rights on from', () => {
  it("answers 202 with an ordinary session and links nothing: bob cannot read alice's private layer", async () => {
    await expectSession(await mount(bob, 'bob/mine', secret.digest, 'alice/secret'), 'bob/mine');
    await expectNotInRepository(bob, 'bob/mine', secret.digest);
    const head = await fetch(`${main.url}/v2/bob/mine/blobs/${secret.digest}`, {
      method: 'HEAD',
      headers: { Authorization: bob },
    });
    expect(head.status).toBe(404);
  });

  it('answers the same whether the digest exists in from, exists nowhere, or from does not exist', async () => {
    const answers = [
      await expectSession(await mount(bob, 'bob/mine', secret.digest, 'alice/secret'), 'bob/mine'),
      await expectSession(await mount(bob, 'bob/mine', randomBlob(16).digest, 'alice/secret'), 'bob/mine'),
      await expectSession(await mount(bob, 'bob/mine', secret.digest, 'alice/missing'), 'bob/mine'),
    ];
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('answers 202 and links nothing for a bearer token that does not grant pull on from', async () => {
    const scopes = ['repository:bob/mine:pull,push', 'repository:alice/secret:pull'];
    const token = await tokenFor(main.url, bob, scopes);
    await expectSession(await mount(bearer(token), 'bob/mine', secret.digest, 'alice/secret'), 'bob/mine');
    await expectNotInRepository(bearer(token), 'bob/mine', secret.digest);
  });
});

describe('POST /v2/<name>/blobs/uploads/?mount=<digest> without from', () => {
  it('answers 202 and looks nowhere, even for a blob the caller may pull', async () => {
    await expectSession(await mount(bob, 'bob/mine', shared.digest), 'bob/mine');
    await expectNotInRepository(bob, 'bob/mine', shared.digest);
  });
});

describe('POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repository> with pull rights on from', () => {
  it('mounts from a public repository: 201, and the blob is then part of the target', async () => {
    const res = await mount(bob, 'bob/mine', shared.digest, 'alice/open');
    expect(res.status, await res.text()).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/bob/mine/blobs/${shared.digest}`);
    const blob = await fetch(`${main.url}/v2/bob/mine/blobs/${shared.digest}`, { headers: { Authorization: bob } });
    expect(blob.status).toBe(200);
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(Buffer.from(shared.bytes));
  });

  it("mounts between the owner's own repositories, with Basic credentials and with a token", async () => {
    expect((await mount(alice, 'alice/copy', secret.digest, 'alice/secret')).status).toBe(201);
    const token = await tokenFor(main.url, alice, ['repository:alice/copy2:pull,push', 'repository:alice/secret:pull']);
    expect((await mount(bearer(token), 'alice/copy2', secret.digest, 'alice/secret')).status).toBe(201);
    const blob = await fetch(`${main.url}/v2/alice/copy2/blobs/${secret.digest}`, {
      method: 'HEAD',
      headers: { Authorization: alice },
    });
    expect(blob.status).toBe(200);
  });
});
