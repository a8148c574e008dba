/**
 * Pruning through the management API (main/routes/api-v0/pruning.ts) on a real main with an
 * injected clock: a repository of 50 tags of varied age and pull history (pulls counted from real
 * manifest GETs, flushed in one batch), the policy read and replaced by the repository's admin,
 * refusals (401, 403, 400 with the field), the dry run, and a real run that deletes exactly what
 * the dry run listed and records each deletion as a `prune` event. Runs on PostgreSQL too
 * (services-postgres).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { imageManifest, randomBlob, type Blob } from '../helpers/oci-fixtures.js';
import { ADMIN, api, apiOk, createUser, expectApiError, putManifestAs } from '../helpers/api-client.js';

const DAY_MS = 86_400_000;
// The repository's "now"; pushes and pulls happen before it, as many days back as the fixture says.
const NOW = Date.now();
let clock = NOW;

let main: TestMain;
let base: string;
let alice: string;
let bob: string;
const digests = new Map<string, string>();

interface Planned {
  tag: string;
  digest: string;
  rule: number | 'maxTags';
  reason: string;
}
interface Report {
  repository: string;
  dryRun: boolean;
  immutableTags: boolean;
  tags: Planned[];
  skipped: unknown[];
  manifests: string[];
}

async function pushAt(daysAgo: number, name: string, tag: string, layer: Blob): Promise<void> {
  clock = NOW - daysAgo * DAY_MS;
  const manifest = imageManifest({
    layers: [layer],
    config: randomBlob(40, 'application/vnd.oci.image.config.v1+json'),
  });
  const res = await fetch(`${base}/v2/${name}/blobs/uploads/?digest=${manifest.config.digest}`, {
    method: 'POST',
    headers: { Authorization: alice },
    body: manifest.config.bytes,
  });
  expect(res.status).toBe(201);
  expect((await putManifestAs(base, alice, name, tag, manifest)).status).toBe(201);
  digests.set(tag, manifest.digest);
}

async function pullAt(daysAgo: number, reference: string, method = 'GET'): Promise<void> {
  clock = NOW - daysAgo * DAY_MS;
  const res = await fetch(`${base}/v2/alice/app/manifests/${reference}`, { method, headers: { Authorization: bob } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

const tagsOf = async (name: string) =>
  (
    (await (await fetch(`${base}/v2/${name}/tags/list?n=1000`, { headers: { Authorization: alice } })).json()) as {
      tags: string[];
    }
  ).tags.sort();

const POLICY = {
  rules: [
    { tagPattern: 'dev-*', olderThanDays: 10, notPulledForDays: 10 },
    { tagPattern: 'v*', keepMostRecent: 10 },
  ],
  maxTags: 20,
  keepPulledWithinDays: 7,
};

beforeAll(async () => {
  main = await startTestMain({ auth: true, now: () => clock });
  base = main.url;
  alice = await createUser(base, 'alice');
  bob = await createUser(base, 'bob');
  await apiOk(base, 'POST', '/repositories/alice', 201, { auth: alice, body: { name: 'app', visibility: 'public' } });
  const layer = randomBlob(200);
  const res = await fetch(`${base}/v2/alice/app/blobs/uploads/?digest=${layer.digest}`, {
    method: 'POST',
    headers: { Authorization: alice },
    body: layer.bytes,
  });
  expect(res.status).toBe(201);
  // 30 releases v<k> pushed 2k days ago (2 to 60), 20 builds dev-<k> pushed k days ago; oldest first.
  const fixture = [
    ...Array.from({ length: 30 }, (_, i) => ({ tag: `v${i + 1}`, daysAgo: 2 * (i + 1) })),
    ...Array.from({ length: 20 }, (_, i) => ({ tag: `dev-${i + 1}`, daysAgo: i + 1 })),
  ].sort((a, b) => b.daysAgo - a.daysAgo);
  for (const { tag, daysAgo } of fixture) await pushAt(daysAgo, 'alice/app', tag, layer);
  // Pulls: v5, v10, v15 a day ago; v20 by digest 2 days ago; dev-15 12 days ago; dev-12 only checked (HEAD).
  for (const tag of ['v5', 'v10', 'v15']) await pullAt(1, tag);
  await pullAt(2, digests.get('v20')!);
  await pullAt(12, 'dev-15');
  await pullAt(1, 'dev-12', 'HEAD');
  await main.service.pulls.flush();
  clock = NOW;
});
afterAll(async () => {
  await main.stop();
});

const PATH = '/repositories/alice/app/pruningPolicies';

describe('pruning policies API', () => {
  it('answers 401 without credentials and 403 to a user who may only pull', async () => {
    await expectApiError(await api(base, 'GET', PATH), 401, 'UNAUTHORIZED', /.+/);
    for (const [method, path] of [
      ['GET', PATH],
      ['PUT', PATH],
      ['POST', `${PATH}/test`],
      ['POST', '/repositories/alice/app/pruneNow'],
    ] as const) {
      const res = await api(base, method, path, {
        auth: bob,
        ...(method !== 'GET' && { body: method === 'PUT' ? POLICY : {} }),
      });
      await expectApiError(res, 403, 'NO_PERMISSION', /only administrators of "alice\/app"/);
    }
    expect(await tagsOf('alice/app')).toHaveLength(50);
  });

  it('refuses an invalid policy with 400 naming the field, and keeps the stored one', async () => {
    const tooMany = { rules: Array.from({ length: 21 }, () => ({ tagPattern: '*', olderThanDays: 1 })) };
    await expectApiError(
      await api(base, 'PUT', PATH, { auth: alice, body: tooMany }),
      400,
      'INVALID_INPUT',
      /^rules: at most 20 rules/,
    );
    const longPattern = { rules: [{ tagPattern: 'x'.repeat(129), olderThanDays: 1 }] };
    await expectApiError(
      await api(base, 'PUT', PATH, { auth: alice, body: longPattern }),
      400,
      'INVALID_INPUT',
      /^rules\.0\.tagPattern: at most 128 characters/,
    );
    const regex = { rules: [{ tagPattern: '(a+)+', olderThanDays: 1 }] };
    await expectApiError(
      await api(base, 'PUT', PATH, { auth: alice, body: regex }),
      400,
      'INVALID_INPUT',
      /tagPattern: a glob/,
    );
    await expectApiError(
      await api(base, 'PUT', PATH, { auth: alice, body: '{"rules":' }),
      400,
      'INVALID_INPUT',
      /not valid JSON/,
    );
    expect(await apiOk(base, 'GET', PATH, 200, { auth: alice })).toEqual({ rules: [] });
  });

  it("stores the admin's policy and answers it with who changed it when", async () => {
    const stored = await apiOk<Record<string, unknown>>(base, 'PUT', PATH, 200, { auth: alice, body: POLICY });
    expect(stored).toEqual({ ...POLICY, updatedAt: new Date(NOW).toISOString(), updatedBy: 'alice' });
    expect(await apiOk(base, 'GET', PATH, 200, { auth: ADMIN })).toEqual(stored);
  });

  it('dry run lists what would go with the rule that matched, and deletes nothing; the real run deletes exactly that', async () => {
    const dry = await apiOk<Report>(base, 'POST', `${PATH}/test`, 200, { auth: alice, body: {} });
    expect(dry).toMatchObject({ repository: 'alice/app', dryRun: true, immutableTags: false, skipped: [] });
    const byRule = (rule: Planned['rule']) =>
      dry.tags
        .filter((t) => t.rule === rule)
        .map((t) => t.tag)
        .sort();
    // Rule 1: builds older than 10 days not pulled for 10 (dev-15 was pulled 12 days ago; a HEAD is no pull).
    expect(byRule(0)).toEqual(Array.from({ length: 10 }, (_, i) => `dev-${i + 11}`).sort());
    // Rule 2: releases beyond the 10 newest, except v15 and v20, pulled within 7 days (v20 by digest).
    const protectedTags = new Set(['v15', 'v20']);
    expect(byRule(1)).toEqual(
      Array.from({ length: 20 }, (_, i) => `v${i + 11}`)
        .filter((tag) => !protectedTags.has(tag))
        .sort(),
    );
    // 22 stand after the rules; v20, v15 and v10 (the oldest) were pulled within 7 days: the next 2 oldest go.
    expect(byRule('maxTags')).toEqual(['v8', 'v9']);
    expect(dry.tags.find((t) => t.tag === 'dev-15')!.reason).toBe(
      'rule 1 ("dev-*"): pushed 15 days ago (more than 10); last pulled 12 days ago (more than 10)',
    );
    for (const planned of dry.tags) expect(planned.digest).toBe(digests.get(planned.tag));
    // Each tag has its own manifest: every one the tags leave untagged goes with them.
    expect(dry.manifests).toEqual(dry.tags.map((t) => t.digest).sort());
    expect(await tagsOf('alice/app')).toHaveLength(50);

    const real = await apiOk<Report>(base, 'POST', '/repositories/alice/app/pruneNow', 200, { auth: alice, body: {} });
    expect(real).toEqual({ ...dry, dryRun: false });
    const gone = new Set(dry.tags.map((t) => t.tag));
    expect(await tagsOf('alice/app')).toEqual([...digests.keys()].filter((tag) => !gone.has(tag)).sort());
    expect(await tagsOf('alice/app')).toHaveLength(20);

    const { events } = await apiOk<{ events: Array<{ type: string; actor: string; tag?: string; digest?: string }> }>(
      base,
      'GET',
      '/repositories/alice/app/events?pageSize=1000',
      200,
      { auth: alice },
    );
    const pruned = events.filter((event) => event.type === 'prune' && event.tag !== undefined);
    expect(pruned.map((event) => event.tag).sort()).toEqual([...gone].sort());
    for (const event of pruned) expect(event).toMatchObject({ actor: 'alice', digest: digests.get(event.tag!) });
    const manifestEvents = events.filter((event) => event.type === 'prune' && event.tag === undefined);
    expect(manifestEvents.map((event) => event.digest).sort()).toEqual(dry.manifests);
    // Run again: the policy holds, nothing more goes.
    expect(
      (await apiOk<Report>(base, 'POST', '/repositories/alice/app/pruneNow', 200, { auth: alice, body: {} })).tags,
    ).toEqual([]);
  });

  it('prunes nothing in a repository with immutable tags, and says so', async () => {
    await apiOk(base, 'POST', '/repositories/alice', 201, {
      auth: alice,
      body: { name: 'frozen', immutableTags: true },
    });
    const layer = randomBlob(100);
    const res = await fetch(`${base}/v2/alice/frozen/blobs/uploads/?digest=${layer.digest}`, {
      method: 'POST',
      headers: { Authorization: alice },
      body: layer.bytes,
    });
    expect(res.status).toBe(201);
    await pushAt(90, 'alice/frozen', 'old', layer);
    clock = NOW;
    await apiOk(base, 'PUT', '/repositories/alice/frozen/pruningPolicies', 200, {
      auth: alice,
      body: { rules: [{ tagPattern: '*', olderThanDays: 1 }] },
    });
    const report = await apiOk<Report>(base, 'POST', '/repositories/alice/frozen/pruneNow', 200, {
      auth: alice,
      body: {},
    });
    expect(report).toMatchObject({ immutableTags: true, tags: [], skipped: [] });
    expect(await tagsOf('alice/frozen')).toEqual(['old']);
  });
});
