import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { ADMIN, PASSWORD, createOrg, createUser, pushImageAs, putManifestAs } from '../helpers/api-client.js';
import type { Blob } from '../helpers/oci-fixtures.js';
import { textOf, WebClient } from '../helpers/web-client.js';
import { formatBytes } from '../../main/web/format.js';

let main: TestMain;
let host: string;
let admin: WebClient;
let bob: WebClient;
let api: Blob;

const ADMIN_PRINCIPAL = { kind: 'user', name: 'admin', isAdmin: true } as const;
const setVisibility = (name: string, visibility: 'public' | 'private') =>
  fetch(`${main.url}/api/v0/repositories/${name}`, {
    method: 'PATCH',
    headers: { Authorization: ADMIN, 'Content-Type': 'application/json' },
    body: JSON.stringify({ visibility }),
  });

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  host = new URL(main.url).host;
  const bobAuth = await createUser(main.url, 'bob');
  await createOrg(main.url, 'acme');
  api = await pushImageAs(main.url, ADMIN, 'acme/api', '1.0');
  expect((await putManifestAs(main.url, ADMIN, 'acme/api', 'latest', api)).status).toBe(201);
  expect((await setVisibility('acme/api', 'public')).status).toBe(200);
  await pushImageAs(main.url, ADMIN, 'admin/secret', '1.0');
  await pushImageAs(main.url, bobAuth, 'bob/tool', '0.1');
  admin = new WebClient(main.url);
  await admin.signInAsAdmin();
  bob = new WebClient(main.url);
  await bob.signIn('bob', PASSWORD);
});
afterAll(async () => {
  await main.stop();
});

/** Repository names linked from a list page, in order. */
const listed = (html: string) => [...html.matchAll(/<a href="\/repositories\/([^"?]+)">/g)].map((m) => m[1]);

describe('GET /repositories', () => {
  it('redirects / to it', async () => {
    const res = await new WebClient(main.url).get('/');
    expect(res.status).toBe(302);
    expect(res.location).toBe('/repositories');
  });

  it('shows anonymous visitors the public repositories only, and invites them to sign in', async () => {
    const page = await new WebClient(main.url).get('/repositories');
    expect(page.status).toBe(200);
    expect(listed(page.html)).toEqual(['acme/api']);
    expect(textOf(page.html)).toContain('You are browsing public repositories.');
    expect(textOf(page.html)).toMatch(/acme\/ api public 2/);
  });

  it('shows a user what they may pull: public ones and their own namespace', async () => {
    expect(listed((await bob.get('/repositories')).html)).toEqual(['acme/api', 'bob/tool']);
  });

  it('shows an admin everything, with the namespaces on the side', async () => {
    const page = await admin.get('/repositories');
    expect(listed(page.html)).toEqual(['acme/api', 'admin/secret', 'bob/tool']);
    for (const ns of ['acme', 'admin', 'bob']) expect(page.html).toContain(`href="/repositories?namespace=${ns}"`);
  });

  it('narrows to one namespace, and lists an unknown one as empty (test/security/16)', async () => {
    const page = await admin.get('/repositories?namespace=acme');
    expect(listed(page.html)).toEqual(['acme/api']);
    expect(page.html).toContain('aria-current="page">acme</a>');
    const unknown = await admin.get('/repositories?namespace=nobody');
    expect(unknown.status).toBe(200);
    expect(listed(unknown.html)).toEqual([]);
  });

  it('pages through long lists, 50 at a time', async () => {
    await createOrg(main.url, 'bulk');
    for (let i = 1; i <= 55; i++)
      await main.service.repositories.create(ADMIN_PRINCIPAL, 'bulk', { name: `r${String(i).padStart(2, '0')}` });
    const first = await admin.get('/repositories?namespace=bulk');
    expect(listed(first.html)).toHaveLength(50);
    const next = /href="([^"]+)" rel="next"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
    expect(next).toBe('/repositories?namespace=bulk&after=bulk%2Fr50');
    const second = await admin.get(next);
    expect(listed(second.html)).toEqual(['bulk/r51', 'bulk/r52', 'bulk/r53', 'bulk/r54', 'bulk/r55']);
    expect(second.html).not.toContain('rel="next"');
    expect(textOf(second.html)).toContain('First page');
  });
});

describe('searching and sizing the list', () => {
  it('finds repositories by a part of their name, in any case, across the namespaces the viewer can see', async () => {
    expect(listed((await admin.get('/repositories?q=API')).html)).toEqual(['acme/api']);
    expect(listed((await admin.get('/repositories?q=e')).html)).toEqual(['acme/api', 'admin/secret']);
    const page = await admin.get('/repositories?q=bulk%2Fr5&namespace=bulk');
    expect(listed(page.html)).toEqual(['bulk/r50', 'bulk/r51', 'bulk/r52', 'bulk/r53', 'bulk/r54', 'bulk/r55']);
    expect(page.html).toContain('value="bulk/r5"');
  });

  it('never finds what the viewer may not pull, and says that nothing matched', async () => {
    const page = await bob.get('/repositories?q=secret');
    expect(listed(page.html)).toEqual([]);
    expect(textOf(page.html)).toContain('No repositories match "secret"');
  });

  it('keeps the search term in the pages of a long result', async () => {
    const first = await admin.get('/repositories?q=bulk');
    expect(listed(first.html)).toHaveLength(50);
    const next = /href="([^"]+)" rel="next"/.exec(first.html)![1]!.replace(/&amp;/g, '&');
    expect(next).toBe('/repositories?q=bulk&after=bulk%2Fr50');
    expect(listed((await admin.get(next)).html)).toHaveLength(5);
  });

  it("shows each repository's size: its distinct blobs added up", async () => {
    const { bytes } = await main.service.registryMetadata.repositoryBytes('acme/api', 1000);
    expect(bytes).toBeGreaterThan(0);
    const row = /<tr>(?:(?!<\/tr>)[\s\S])*acme\/(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(
      (await admin.get('/repositories')).html,
    )![0];
    expect(textOf(row)).toContain(formatBytes(bytes));
  });

  it('tells an anonymous visitor with nothing to see to sign in, and a user that nothing was pushed yet', async () => {
    const anonymous = await new WebClient(main.url).get('/repositories?namespace=bob');
    expect(textOf(anonymous.html)).toContain('Nothing public here Sign in to see the repositories you have access to.');
    expect(textOf(anonymous.html)).not.toContain('No repositories yet');
    expect(textOf((await bob.get('/repositories?namespace=nobody')).html)).toContain('No repositories yet');
  });

  it('searches through the API too (?q=), refusing an overlong term', async () => {
    const res = await fetch(`${main.url}/api/v0/repositories?q=TOOL`, { headers: { Authorization: ADMIN } });
    expect(((await res.json()) as { repositories: Array<{ name: string }> }).repositories.map((r) => r.name)).toEqual([
      'tool',
    ]);
    const long = await fetch(`${main.url}/api/v0/repositories?q=${'x'.repeat(101)}`, {
      headers: { Authorization: ADMIN },
    });
    expect(long.status).toBe(400);
  });
});

describe('GET /repositories/<name>', () => {
  it('shows the tags with short digest (full on hover), size, pushed date and pull command', async () => {
    const page = await new WebClient(main.url).get('/repositories/acme/api');
    expect(page.status).toBe(200);
    const text = textOf(page.html);
    const short = api.digest.slice(0, 'sha256:'.length + 12);
    expect(page.html).toContain(`title="${api.digest}"`);
    expect(text).toMatch(new RegExp(`1\\.0 ${short} 1\\.0 kB just now docker pull ${host}/acme/api:1\\.0`));
    expect(text).toMatch(new RegExp(`latest ${short} 1\\.0 kB just now docker pull ${host}/acme/api:latest`));
    expect(page.html).toMatch(
      /<time datetime="\d{4}-\d\d-\d\dT[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">just now<\/time>/,
    );
    expect(page.html).toContain(`data-copy="docker pull ${host}/acme/api:latest"`);
    expect(text).toContain(`Pull this image docker pull ${host}/acme/api:latest`);
  });

  it('shows the event log, newest first', async () => {
    const text = textOf((await admin.get('/repositories/acme/api')).html);
    const activity = text.slice(text.indexOf('Activity'));
    expect(activity).toMatch(/admin changed the settings .*admin pushed latest .*admin pushed 1\.0/);
  });

  it('answers 404 alike for a repository that does not exist and one the caller may not pull', async () => {
    const anonymous = new WebClient(main.url);
    for (const [client, path] of [
      [anonymous, '/repositories/admin/secret'],
      [anonymous, '/repositories/admin/nothing'],
      [bob, '/repositories/admin/secret'],
      [admin, '/repositories/NOT/valid'],
      [admin, '/repositories/a/../b'],
    ] as const) {
      const res = await client.get(path);
      expect(res.status, path).toBe(404);
      expect(textOf(res.html)).toContain('Repository not found');
    }
    expect(textOf((await anonymous.get('/repositories/admin/secret')).html)).toContain('Sign in');
  });

  it('pages through many tags', async () => {
    const image = await pushImageAs(main.url, ADMIN, 'acme/many', 't01');
    for (let i = 2; i <= 55; i++)
      expect((await putManifestAs(main.url, ADMIN, 'acme/many', `t${String(i).padStart(2, '0')}`, image)).status).toBe(
        201,
      );
    const first = await admin.get('/repositories/acme/many');
    expect(textOf(first.html)).toContain('50 of 55 tags shown');
    const next = /href="([^"]+)" rel="next"/.exec(first.html)![1]!;
    expect(next).toBe('/repositories/acme/many?after=t50');
    expect(textOf((await admin.get(next)).html)).toContain('5 of 55 tags shown');
  });
});

describe('repository settings on the page', () => {
  it("are offered to the repository's administrators only", async () => {
    expect((await admin.get('/repositories/acme/api')).html).toContain('action="/repositories/acme/api/settings"');
    expect((await bob.get('/repositories/acme/api')).html).not.toContain('/settings"');
    expect((await bob.get('/repositories/bob/tool')).html).toContain('action="/repositories/bob/tool/settings"');
  });

  it('change visibility and immutability; others are refused with 403', async () => {
    const saved = await bob.submit('/repositories/bob/tool', '/repositories/bob/tool/settings', {
      visibility: 'public',
      immutableTags: 'on',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/repositories/bob/tool');
    const page = await new WebClient(main.url).get('/repositories/bob/tool');
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toMatch(/public immutable tags/);
    const refused = await bob.submit('/repositories/acme/api', '/repositories/acme/api/settings', {
      visibility: 'private',
    });
    expect(refused.status).toBe(403);
    expect(textOf((await new WebClient(main.url).get('/repositories/acme/api')).html)).toContain('acme/api');
  });
});
