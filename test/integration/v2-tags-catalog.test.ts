/**
 * Content discovery by listing (distribution-spec "Listing Tags" and the `_catalog` extension
 * distribution serves): lexical order, `n`/`last` pagination, and the RFC 8288 `Link` header.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { randomBlob } from '../helpers/oci-fixtures.js';
import { expectOciError, pushBlob, pushImage, pushManifest } from '../helpers/registry-http.js';

// Pushed in shuffled order: listings must sort them (lexically, by code unit).
const TAGS = ['v2', 'latest', 'v10', 'V1', '1.0', 'a_b', 'a-b', 'v1', 'a.b'];
const SORTED_TAGS = [...TAGS].sort();
const REPOS = ['lib/zeta', 'alpha', 'lib/alpha', 'alpha/beta', 'alpha-2', 'omega', 'long/tags'];
const SORTED_REPOS = [...REPOS].sort();

let main: TestMain;
beforeAll(async () => {
  main = await startTestMain();
  const { manifest } = await pushImage(main.url, 'alpha');
  for (const tag of TAGS) await pushManifest(main.url, 'alpha', tag, manifest);
  for (const repo of REPOS.filter((r) => r !== 'alpha' && r !== 'long/tags'))
    await pushBlob(main.url, repo, randomBlob(8));
});
afterAll(async () => {
  await main.stop();
});

interface TagList {
  name: string;
  tags: string[];
}

const tagsUrl = (name: string, query = '') => `${main.url}/v2/${name}/tags/list${query}`;

/** Follows `Link: <...>; rel="next"` until it is absent; returns every page's items. */
async function collectPages(first: string, items: (body: unknown) => string[]): Promise<string[][]> {
  const pages: string[][] = [];
  let next: string | undefined = first;
  while (next !== undefined) {
    const res = await fetch(next);
    expect(res.status).toBe(200);
    pages.push(items(await res.json()));
    const link = res.headers.get('link');
    if (link === null) break;
    const match = /^<([^>]+)>; rel="next"$/.exec(link);
    expect(match, link).not.toBeNull();
    next = new URL(match![1]!, main.url).href;
    expect(pages.length).toBeLessThan(50);
  }
  return pages;
}

describe('GET /v2/<name>/tags/list', () => {
  it('answers 200 with the name and every tag in lexical order, without a Link', async () => {
    const res = await fetch(tagsUrl('alpha'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('link')).toBeNull();
    expect(await res.json()).toEqual({ name: 'alpha', tags: SORTED_TAGS });
  });

  it('limits the answer to n tags and links to the next page with n and last', async () => {
    const res = await fetch(tagsUrl('alpha', '?n=3'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as TagList;
    expect(body.tags).toEqual(SORTED_TAGS.slice(0, 3));
    expect(res.headers.get('link')).toBe(
      `</v2/alpha/tags/list?n=3&last=${encodeURIComponent(SORTED_TAGS[2]!)}>; rel="next"`,
    );
  });

  it('starts after last (exclusive)', async () => {
    const res = await fetch(tagsUrl('alpha', `?n=2&last=${SORTED_TAGS[3]}`));
    expect(((await res.json()) as TagList).tags).toEqual(SORTED_TAGS.slice(4, 6));
  });

  it('starts after a last that is not itself a tag, at the next one in order', async () => {
    const res = await fetch(tagsUrl('alpha', '?last=u'));
    expect(((await res.json()) as TagList).tags).toEqual(SORTED_TAGS.filter((t) => t > 'u'));
  });

  it('answers every tag exactly once when following the Link header page by page', async () => {
    const pages = await collectPages(tagsUrl('alpha', '?n=2'), (body) => (body as TagList).tags);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 2, 1]);
    expect(pages.flat()).toEqual(SORTED_TAGS);
  });

  it('answers no Link when the page ends exactly at the last tag', async () => {
    const res = await fetch(tagsUrl('alpha', `?n=${TAGS.length}`));
    expect(((await res.json()) as TagList).tags).toEqual(SORTED_TAGS);
    expect(res.headers.get('link')).toBeNull();
  });

  it('answers an empty list for last past every tag', async () => {
    const res = await fetch(tagsUrl('alpha', '?last=zzz'));
    expect(await res.json()).toEqual({ name: 'alpha', tags: [] });
    expect(res.headers.get('link')).toBeNull();
  });

  it('answers an empty list for n=0', async () => {
    const res = await fetch(tagsUrl('alpha', '?n=0'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: 'alpha', tags: [] });
  });

  it('answers an empty list for a repository that has blobs but no tags', async () => {
    expect(await (await fetch(tagsUrl('omega'))).json()).toEqual({ name: 'omega', tags: [] });
  });

  it('lists only the tags of the repository asked, not of names sharing its prefix', async () => {
    const { manifest } = await pushImage(main.url, 'alpha/beta');
    await pushManifest(main.url, 'alpha/beta', 'nested-only', manifest);
    expect(await (await fetch(tagsUrl('alpha/beta'))).json()).toEqual({ name: 'alpha/beta', tags: ['nested-only'] });
    expect(((await (await fetch(tagsUrl('alpha'))).json()) as TagList).tags).not.toContain('nested-only');
  });

  it('lists long tags too, in order, however long name and tag are together', async () => {
    const long = ['x'.repeat(128), 'b'.repeat(70), 'c'.repeat(40), 'a'];
    const { manifest } = await pushImage(main.url, 'long/tags');
    for (const tag of long) await pushManifest(main.url, 'long/tags', tag, manifest);
    expect(await (await fetch(tagsUrl('long/tags'))).json()).toEqual({ name: 'long/tags', tags: [...long].sort() });
    const pages = await collectPages(tagsUrl('long/tags', '?n=1'), (body) => (body as TagList).tags);
    expect(pages.flat()).toEqual([...long].sort());
  });

  it('answers 404 NAME_UNKNOWN for a repository that does not exist', async () => {
    const error = await expectOciError(await fetch(tagsUrl('does/not/exist')), 404, 'NAME_UNKNOWN');
    expect(error.detail).toEqual({ name: 'does/not/exist' });
  });

  it.each(['-1', 'abc', '1.5', '10001', '', '1e3', '0x10'])(
    'answers 400 PAGINATION_NUMBER_INVALID for n=%s',
    async (n) => {
      await expectOciError(await fetch(tagsUrl('alpha', `?n=${n}`)), 400, 'PAGINATION_NUMBER_INVALID');
    },
  );

  it('accepts the largest page size, n=10000', async () => {
    expect((await fetch(tagsUrl('alpha', '?n=10000'))).status).toBe(200);
  });

  it('answers 400 NAME_INVALID for a malformed name', async () => {
    await expectOciError(await fetch(tagsUrl('Alpha')), 400, 'NAME_INVALID');
  });
});

describe('GET /v2/_catalog', () => {
  const catalogUrl = (query = '') => `${main.url}/v2/_catalog${query}`;

  it('answers 200 with every repository in lexical order, without a Link', async () => {
    const res = await fetch(catalogUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('link')).toBeNull();
    expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await res.json()).toEqual({ repositories: SORTED_REPOS });
  });

  it('limits the answer to n repositories and links to the next page', async () => {
    const res = await fetch(catalogUrl('?n=2'));
    expect(await res.json()).toEqual({ repositories: SORTED_REPOS.slice(0, 2) });
    expect(res.headers.get('link')).toBe(`</v2/_catalog?n=2&last=${encodeURIComponent(SORTED_REPOS[1]!)}>; rel="next"`);
  });

  it('starts after last (exclusive), also for names with slashes', async () => {
    const res = await fetch(catalogUrl('?last=alpha/beta'));
    expect(await res.json()).toEqual({ repositories: SORTED_REPOS.filter((r) => r > 'alpha/beta') });
  });

  it('answers every repository exactly once when following the Link header', async () => {
    const pages = await collectPages(catalogUrl('?n=4'), (body) => (body as { repositories: string[] }).repositories);
    expect(pages.map((p) => p.length)).toEqual([4, 3]);
    expect(pages.flat()).toEqual(SORTED_REPOS);
  });

  it('does not list a repository whose only push was refused', async () => {
    const blob = randomBlob(10);
    const res = await fetch(`${main.url}/v2/refused/repo/blobs/uploads/?digest=${randomBlob(10).digest}`, {
      method: 'POST',
      body: blob.bytes,
    });
    await expectOciError(res, 400, 'DIGEST_INVALID');
    expect(((await (await fetch(catalogUrl())).json()) as { repositories: string[] }).repositories).not.toContain(
      'refused/repo',
    );
  });

  it.each(['-5', 'ten', '20000'])('answers 400 PAGINATION_NUMBER_INVALID for n=%s', async (n) => {
    await expectOciError(await fetch(catalogUrl(`?n=${n}`)), 400, 'PAGINATION_NUMBER_INVALID');
  });
});
