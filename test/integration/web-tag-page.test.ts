/**
 * The tag page (`/repositories/<name>/-/tags/<tag>`) and manifest page (`.../-/manifests/<digest>`),
 * on images pushed through the registry (test/helpers/image-fixtures.ts): platform picker, pull by
 * digest, settings, Dockerfile-like history with layer sizes, referrers, artifacts, and access.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestMain, type TestMain } from '../helpers/servers.js';
import { apiOk, createUser, PASSWORD } from '../helpers/api-client.js';
import { CHART_CONFIG, pushDetailsFixtures, SBOM_TYPE, type DetailsFixtures } from '../helpers/image-fixtures.js';
import { textOf, WebClient } from '../helpers/web-client.js';

let main: TestMain;
let host: string;
let alice: WebClient;
let f: DetailsFixtures;

const PAGE = '/repositories/alice/app/-';

beforeAll(async () => {
  main = await startTestMain({ auth: true });
  host = new URL(main.url).host;
  const aliceAuth = await createUser(main.url, 'alice');
  await createUser(main.url, 'bob');
  await apiOk(main.url, 'POST', '/repositories/alice', 201, { auth: aliceAuth, body: { name: 'app' } });
  f = await pushDetailsFixtures(main.url, aliceAuth, 'alice/app');
  alice = new WebClient(main.url);
  await alice.signIn('alice', PASSWORD);
});
afterAll(async () => {
  await main.stop();
});

const page = async (path: string, client = alice) => {
  const res = await client.get(path);
  expect(res.status, path).toBe(200);
  return { html: res.html, text: textOf(res.html) };
};

describe('the repository page', () => {
  it('links each tag to its page and sizes an index by its largest platform', async () => {
    const { html, text } = await page('/repositories/alice/app');
    for (const tag of ['web', 'multi', 'chart']) expect(html).toContain(`href="${PAGE}/tags/${tag}"`);
    expect(text).toMatch(/multi sha256:\S+ 4\.0 kB largest of 2 platforms/);
    expect(html).toContain('title="linux/amd64: 4.0 kB, linux/arm64/v8: 1.2 kB"');
  });
});

describe('GET /repositories/<name>/-/tags/<tag>', () => {
  it('shows the pull-by-digest command and the image settings', async () => {
    const { html, text } = await page(`${PAGE}/tags/web`);
    expect(text).toContain(`alice/app:web`);
    expect(html).toContain(`data-copy="docker pull ${host}/alice/app@${f.web.digest}"`);
    expect(text).toContain(
      'Platform linux/amd64 Created 2026-11-02T08:30:00Z Author Alice <alice@example.com> ' +
        'Entrypoint ["/srv/app/run"] Command ["--port","8080"] User app Working directory /srv/app ' +
        'Exposed ports 53/udp, 8080/tcp Compressed size 6.0 kB',
    );
    expect(text).toContain('org.opencontainers.image.source https://example.com/web');
  });

  it('hides secret-looking environment values', async () => {
    const { html, text } = await page(`${PAGE}/tags/web`);
    expect(text).toContain('DB_PASSWORD hidden GITHUB_TOKEN hidden AWS_SECRET_ACCESS_KEY hidden API_KEY hidden');
    expect(text).toContain('APP_HOME /srv/app');
    for (const secret of ['hunter2', 'ghp_notarealtoken', 'wJalrXUtnFEMI', 'k-123']) expect(html).not.toContain(secret);
  });

  it('shows the history as Dockerfile lines, each with the layer it made and its size', async () => {
    const { text } = await page(`${PAGE}/tags/web`);
    const short = (i: number) => f.web.layers[i]!.digest.slice(0, 'sha256:'.length + 12);
    const history = text.slice(text.indexOf('History'), text.indexOf('Layers'));
    expect(history).toContain(
      `ADD file:4b03b5f551e3 in / ${short(0)} 1.0 kB ` +
        'CMD ["sh"] no layer ENV APP_HOME=/srv/app no layer ' +
        `RUN apt-get install -y curl ${short(1)} 2.0 kB EXPOSE map[8080/tcp:{}] no layer ` +
        `COPY app /srv/app ${short(2)} 3.0 kB ENTRYPOINT ["/srv/app/run"] no layer`,
    );
  });

  it('lists the referrers, linked to their own page', async () => {
    const { html, text } = await page(`${PAGE}/tags/web`);
    expect(html).toContain(`href="${PAGE}/manifests/${f.sbom.digest}"`);
    expect(text).toContain(`Referrers Signatures, SBOMs and other artifacts attached ${SBOM_TYPE}`);
  });

  it('offers a platform picker for an index, the first platform shown by default', async () => {
    const { html, text } = await page(`${PAGE}/tags/multi`);
    expect(html).toMatch(
      new RegExp(`href="${PAGE}/tags/multi\\?platform=${f.amd64.digest}" aria-current="page">linux/amd64</a>`),
    );
    expect(html).toContain(`href="${PAGE}/tags/multi?platform=${f.arm64.digest}">linux/arm64/v8</a>`);
    expect(text).toContain('Compressed size 4.0 kB');
    expect(text).toContain(`Artifact application/vnd.oci.image.config.v1+json`);
    const arm = await page(`${PAGE}/tags/multi?platform=${f.arm64.digest}`);
    expect(arm.html).toMatch(/aria-current="page">linux\/arm64\/v8<\/a>/);
    expect(arm.text).toContain('Compressed size 1.2 kB');
    expect(arm.html).toContain(`data-copy="docker pull ${host}/alice/app@${f.multi.digest}"`);
  });

  it('shows an artifact as an artifact, with its blobs and referrers', async () => {
    const { html, text } = await page(`${PAGE}/tags/chart`);
    expect(text).toContain(`Artifact ${CHART_CONFIG}`);
    expect(text).toContain('application/vnd.cncf.helm.chart.content.v1.tar+gzip 700 B');
    expect(html).toContain(`href="${PAGE}/manifests/${f.chartSignature.digest}"`);
    expect(text).not.toContain('History');
  });

  it('says why the details of an unreadable config are unavailable', async () => {
    expect((await page(`${PAGE}/tags/huge`)).text).toContain(
      'Details unavailable: the config blob is larger than 4194304 bytes.',
    );
    expect((await page(`${PAGE}/tags/broken`)).text).toContain(
      'Details unavailable: the config blob is not a JSON object.',
    );
  });
});

describe('GET /repositories/<name>/-/manifests/<digest>', () => {
  it('shows a manifest by digest: a referrer names what it refers to', async () => {
    const { html, text } = await page(`${PAGE}/manifests/${f.sbom.digest}`);
    expect(text).toContain(`Artifact ${SBOM_TYPE}`);
    expect(html).toContain(`href="${PAGE}/manifests/${f.web.digest}"`);
  });
});

describe('access to the tag page', () => {
  it('answers 404 to an anonymous visitor and another user of a private repository, and for unknown names', async () => {
    const bob = new WebClient(main.url);
    await bob.signIn('bob', PASSWORD);
    for (const [client, path] of [
      [new WebClient(main.url), `${PAGE}/tags/web`],
      [bob, `${PAGE}/tags/web`],
      [bob, `${PAGE}/manifests/${f.web.digest}`],
      [alice, `${PAGE}/tags/nope`],
      [alice, `${PAGE}/manifests/sha256:${'0'.repeat(64)}`],
      [alice, `${PAGE}/manifests/sha256:bad`],
    ] as const) {
      const res = await client.get(path);
      expect(res.status, path).toBe(404);
      expect(res.html, path).not.toContain('hunter2');
      expect(textOf(res.html), path).toContain('Not found');
    }
  });
});
