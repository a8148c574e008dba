/**
 * The pruning page of a repository (main/web/handlers/pruning.tsx): linked from the repository
 * page for its administrators only, the policy form saved and shown again, a refused policy shown
 * as typed with its reason (400), the dry run listing what would go with the rule, deleting
 * nothing, and "Prune now" deleting exactly that (tags and the manifests they leave untagged),
 * refused without the form's CSRF token. Others get 403; visitors are sent to sign in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { apiOk, createUser, PASSWORD, pushImageAs } from '../helpers/api-client.js';
import { textOf, WebClient } from '../helpers/web-client.js';

const DAY_MS = 86_400_000;
const NOW = Date.now();
let clock = NOW;

let main: TestMain;
let alice: WebClient;
let bob: WebClient;
const PAGE = '/repositories/alice/app/pruning';

const tags = async () =>
  (
    (await (await fetch(`${main.url}/v2/alice/app/tags/list`, { headers: { Authorization: aliceAuth } })).json()) as {
      tags: string[];
    }
  ).tags.sort();
let aliceAuth: string;

beforeAll(async () => {
  main = await startTestMain({ auth: true, now: () => clock });
  aliceAuth = await createUser(main.url, 'alice');
  await createUser(main.url, 'bob');
  await apiOk(main.url, 'POST', '/repositories/alice', 201, {
    auth: aliceAuth,
    body: { name: 'app', visibility: 'public' },
  });
  for (const [tag, daysAgo] of [
    ['old-1', 30],
    ['old-2', 20],
    ['new-1', 1],
  ] as const) {
    clock = NOW - daysAgo * DAY_MS;
    await pushImageAs(main.url, aliceAuth, 'alice/app', tag);
  }
  clock = NOW;
  alice = new WebClient(main.url);
  await alice.signIn('alice', PASSWORD);
  bob = new WebClient(main.url);
  await bob.signIn('bob', PASSWORD);
});
afterAll(async () => {
  await main.stop();
});

describe('the pruning page', () => {
  it('is linked from the repository page for its administrators only; others get 403, visitors sign in', async () => {
    expect((await alice.get('/repositories/alice/app')).html).toContain(`href="${PAGE}"`);
    expect((await bob.get('/repositories/alice/app')).html).not.toContain(PAGE);
    const refused = await bob.get(PAGE);
    expect(refused.status).toBe(403);
    expect(textOf(refused.html)).toContain('Only administrators of "alice/app" may change or delete it.');
    const visitor = await new WebClient(main.url).get(PAGE);
    expect(visitor.status).not.toBe(200);
    expect(textOf(visitor.html)).not.toContain('Save policy');
  });

  it('saves the policy from the form and shows it again', async () => {
    const page = await alice.get(PAGE);
    expect(page.status).toBe(200);
    expect(textOf(page.html)).toContain('Not set: nothing is pruned');
    const saved = await alice.submit(PAGE, PAGE, {
      'tagPattern-0': 'old-*',
      'olderThanDays-0': '25',
      'tagPattern-1': '',
      'olderThanDays-1': '3',
      keepPulledWithinDays: '7',
      maxTags: '',
    });
    expect(saved.status).toBe(303);
    expect(saved.location).toBe(PAGE);
    const shown = await alice.get(PAGE);
    expect(textOf(shown.html)).toContain('Pruning policy saved.');
    expect(textOf(shown.html)).toContain('Saved by alice');
    expect(shown.html).toContain('name="tagPattern-0" value="old-*"');
    expect(shown.html).toContain('name="olderThanDays-0" value="25"');
    expect(shown.html).toContain('name="keepPulledWithinDays" type="number" min="0" value="7"');
    expect(shown.html).toContain('name="tagPattern-1" value=""');
  });

  it('shows a refused policy as typed, with the reason, and keeps the saved one', async () => {
    const refused = await alice.submit(PAGE, PAGE, { 'tagPattern-0': '(a+)+', 'olderThanDays-0': '1' });
    expect(refused.status).toBe(400);
    expect(textOf(refused.html)).toContain('Rules.0.tagPattern: a glob of tag characters');
    expect(refused.html).toContain('name="tagPattern-0" value="(a+)+"');
    const noCondition = await alice.submit(PAGE, PAGE, { 'tagPattern-0': 'x*' });
    expect(noCondition.status).toBe(400);
    expect(textOf(noCondition.html)).toContain('a rule needs a condition besides its pattern');
    expect((await alice.get(PAGE)).html).toContain('name="tagPattern-0" value="old-*"');
  });

  it('dry run lists what the saved policy would delete, with the rule, and deletes nothing', async () => {
    const result = await alice.submit(PAGE, `${PAGE}/test`, {});
    expect(result.status).toBe(200);
    const text = textOf(result.html);
    expect(text).toContain('1 tags would be deleted');
    expect(text).toMatch(/old-1 .* Rule 1 rule 1 \("old-\*"\): pushed 30 days ago \(more than 25\)/);
    expect(text).not.toMatch(/old-2 sha256/);
    expect(await tags()).toEqual(['new-1', 'old-1', 'old-2']);
    expect((await bob.submit('/repositories/alice/app', `${PAGE}/test`, {})).status).toBe(403);
  });

  it('"Prune now" deletes what the dry run listed, tag and manifest, and shows it; never without CSRF or admin', async () => {
    const old1 = await (
      await fetch(`${main.url}/v2/alice/app/manifests/old-1`, { method: 'HEAD', headers: { Authorization: aliceAuth } })
    ).headers.get('docker-content-digest');
    expect(textOf((await alice.submit(PAGE, `${PAGE}/test`, {})).html)).toContain(
      `1 untagged manifests would be deleted (their layers are reclaimed by the next garbage collection) ${old1}`,
    );
    expect((await alice.postRaw(`${PAGE}/run`, {})).status).toBe(403);
    expect((await alice.postRaw(`${PAGE}/run`, { _csrf: 'x'.repeat(32) })).status).toBe(403);
    expect((await bob.submit('/repositories/alice/app', `${PAGE}/run`, {})).status).toBe(403);
    expect(await tags()).toEqual(['new-1', 'old-1', 'old-2']);

    const pruned = await alice.submit(PAGE, `${PAGE}/run`, {});
    expect(pruned.status).toBe(200);
    const text = textOf(pruned.html);
    expect(text).toContain('1 tags deleted');
    expect(text).toMatch(/old-1 .* Rule 1 rule 1 \("old-\*"\)/);
    expect(text).toContain(
      `1 untagged manifests deleted (their layers are reclaimed by the next garbage collection) ${old1}`,
    );
    expect(await tags()).toEqual(['new-1', 'old-2']);
    const byDigest = await fetch(`${main.url}/v2/alice/app/manifests/${old1}`, {
      headers: { Authorization: aliceAuth },
    });
    expect(byDigest.status).toBe(404);
    expect(textOf((await alice.submit(PAGE, `${PAGE}/run`, {})).html)).toContain('Nothing was deleted');
    const activity = textOf((await alice.get('/repositories/alice/app')).html);
    expect(activity).toContain('alice pruned the tag old-1');
    expect(activity).toContain('alice pruned the untagged manifest');
  });

  it('keeps the "Keep the manifests left untagged" choice of the form', async () => {
    const saved = await alice.submit(PAGE, PAGE, {
      'tagPattern-0': 'old-*',
      'olderThanDays-0': '25',
      keepUntaggedManifests: 'on',
    });
    expect(saved.status).toBe(303);
    expect((await alice.get(PAGE)).html).toMatch(/name="keepUntaggedManifests" value="on" checked/);
    expect(
      await apiOk(main.url, 'GET', '/repositories/alice/app/pruningPolicies', 200, { auth: aliceAuth }),
    ).toMatchObject({
      keepUntaggedManifests: true,
    });
    expect((await alice.submit(PAGE, PAGE, { 'tagPattern-0': 'old-*', 'olderThanDays-0': '25' })).status).toBe(303);
    expect((await alice.get(PAGE)).html).not.toMatch(/name="keepUntaggedManifests" value="on" checked/);
  });
});
