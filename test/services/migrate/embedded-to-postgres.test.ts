/**
 * `outpost main migrate`: an embedded main (LMDB and its blob directory) with users, an
 * organization with a team and a grant, images, a content cache and a refresh token is stopped
 * and copied into PostgreSQL and another blob directory; a main started there with the same
 * key-encryption key is the same installation. The first run is cut short half-way through the
 * manifests; the second resumes it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOk } from '../../helpers/api-client.js';
import { basicAuth, bearer, postToken, pushImageAs, tokenFor, type PushedAs } from '../../helpers/auth-http.js';
import {
  MIGRATE_ADMIN_PASSWORD,
  migrate,
  startMainProcess,
  writeKek,
  type MigrateRun,
} from '../../helpers/migrate-fixtures.js';
import { runOutpost, type OutpostProcess } from '../../helpers/outpost-processes.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

const ADMIN = basicAuth('admin', MIGRATE_ADMIN_PASSWORD);
// Every tag goes, except those pulled within a day.
const PRUNING_POLICY = { rules: [{ tagPattern: '*', keepMostRecent: 0 }], keepPulledWithinDays: 1 };
const ALICE = basicAuth('alice', 'alice-password-1');

let postgres: TestPostgres;
let work: string;
let target: OutpostProcess | undefined;
let images: Record<string, PushedAs>;
let refreshToken: string;
let tokenBefore: string;
let interrupted: unknown;
let resumed: MigrateRun;

const refreshGrant = (base: string, token: string) =>
  postToken(base, {
    grant_type: 'refresh_token',
    refresh_token: token,
    service: 'outpost',
    client_id: 'migrate-test',
    scope: 'repository:alice/tool:pull',
  });

beforeAll(async () => {
  postgres = await startPostgres();
  work = await mkdtemp(join(tmpdir(), 'outpost-migrate-'));
  const kek = await writeKek(work);
  const source = join(work, 'embedded');
  const embedded = await startMainProcess(source);
  try {
    const base = embedded.url;
    await apiOk(base, 'POST', '/accounts', 201, { auth: ADMIN, body: { name: 'alice', password: 'alice-password-1' } });
    await apiOk(base, 'POST', '/accounts', 201, { auth: ADMIN, body: { name: 'acme', isOrg: true } });
    await apiOk(base, 'PUT', '/accounts/acme/members/alice', 200, { auth: ADMIN, body: {} });
    await apiOk(base, 'POST', '/accounts/acme/teams', 201, { auth: ADMIN, body: { name: 'devs' } });
    await apiOk(base, 'PUT', '/accounts/acme/teams/devs/members/alice', 200, { auth: ADMIN });
    images = {
      'acme/app:v1': await pushImageAs(base, 'acme/app', 'v1', ADMIN),
      'acme/app:v2': await pushImageAs(base, 'acme/app', 'v2', ADMIN),
      'alice/tool:v1': await pushImageAs(base, 'alice/tool', 'v1', ALICE),
    };
    // A pruning policy, and a pull of v1 counted when main stops (its last flush).
    await apiOk(base, 'PUT', '/repositories/acme/app/pruningPolicies', 200, { auth: ADMIN, body: PRUNING_POLICY });
    const pulled = await fetch(`${base}/v2/acme/app/manifests/v1`, { headers: { Authorization: ADMIN } });
    expect(pulled.status).toBe(200);
    await pulled.arrayBuffer();
    await apiOk(base, 'PUT', '/repositories/acme/app/teamAccess/devs', 200, {
      auth: ADMIN,
      body: { accessLevel: 'read-write' },
    });
    await apiOk(base, 'PATCH', '/repositories/alice/tool', 200, {
      auth: ADMIN,
      body: { immutableTags: true, blockPullsAtSeverity: 'high' },
    });
    await apiOk(base, 'POST', '/content_caches', 201, {
      auth: ADMIN,
      body: { name: 'eu', host: 'http://127.0.0.1:9', region: 'eu-west-1' },
    });
    // A cache group: two edge nodes joined under one name.
    const created = await runOutpost(['main', 'cache', 'token', 'create', '--ttl', '1h', '--data', source]);
    expect(created.code, created.stderr).toBe(0);
    const join = (nodeId: string, host: string, status: number) =>
      apiOk(base, 'POST', '/content_caches/join', status, {
        body: { token: created.stdout.trim(), name: 'sg', nodeId, host },
      });
    await join('sg-a', 'http://127.0.0.1:10', 201);
    await join('sg-b', 'http://127.0.0.1:11', 200);
    const offline = await postToken(base, {
      grant_type: 'password',
      username: 'alice',
      password: 'alice-password-1',
      service: 'outpost',
      client_id: 'migrate-test',
      access_type: 'offline',
      scope: 'repository:alice/tool:pull',
    });
    const body = (await offline.json()) as { refresh_token: string; access_token: string };
    refreshToken = body.refresh_token;
    tokenBefore = body.access_token;
  } finally {
    await embedded.stop();
  }

  const toDatabase = await postgres.createDatabase();
  const toBlobs = join(work, 'shared-blobs');
  const command = { args: [], dataDir: source, toDatabase, toBlobs, secretKeyFile: kek, batchSize: 1 };
  interrupted = await migrate({
    ...command,
    beforeBatch: (step, batch) => {
      if (step === 'manifests' && batch === 2) throw new Error('cut short for the test');
    },
  }).catch((err: unknown) => err);
  resumed = await migrate(command);
  target = await startMainProcess(join(work, 'replica'), [
    '--database',
    toDatabase,
    '--secret-key-file',
    kek,
    '--blobs',
    toBlobs,
  ]);
});

afterAll(async () => {
  await target?.stop();
  await postgres?.remove();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('outpost main migrate --to-database --to-blobs', () => {
  it('was cut short half-way through the manifests, then resumed and verified every table', () => {
    expect(interrupted).toBeInstanceOf(Error);
    expect((interrupted as Error).message).toBe('cut short for the test');
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/^metadata: \d+ records in 22 tables, verified \(resumed\)$/m);
    // Three layers and the one config the three images share.
    expect(resumed.out).toMatch(/^blobs: 4 copied \(.+\), 0 already there, 0 corrupt$/m);
    // The resumed run started the manifests after the two loaded before the cut.
    expect(resumed.err).toMatch(/^ {2}manifests: 2 of 3$/m);
  });

  it("keeps the repository's pruning policy and its tags' pull counts", async () => {
    const policy = await apiOk<Record<string, unknown>>(
      target!.url,
      'GET',
      '/repositories/acme/app/pruningPolicies',
      200,
      {
        auth: ADMIN,
      },
    );
    expect(policy).toMatchObject({ ...PRUNING_POLICY, updatedBy: 'admin' });
    // v1 was pulled before the move: only v2 would go.
    const dryRun = await apiOk<{ tags: Array<{ tag: string }> }>(
      target!.url,
      'POST',
      '/repositories/acme/app/pruningPolicies/test',
      200,
      { auth: ADMIN, body: {} },
    );
    expect(dryRun.tags.map((t) => t.tag)).toEqual(['v2']);
  });

  it('serves every image byte for byte to a user who signs in with the old password', async () => {
    for (const [reference, { manifest, layer }] of Object.entries(images)) {
      const [name = '', tag = ''] = reference.split(':');
      const token = await tokenFor(target!.url, ALICE, [`repository:${name}:pull`]);
      const res = await fetch(`${target!.url}/v2/${name}/manifests/${tag}`, {
        headers: { Authorization: bearer(token), Accept: manifest.mediaType },
      });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(manifest.bytes));
      for (const blob of [manifest.config, layer]) {
        const got = await fetch(`${target!.url}/v2/${name}/blobs/${blob.digest}`, {
          headers: { Authorization: bearer(token) },
        });
        expect(got.status).toBe(200);
        expect(Buffer.from(await got.arrayBuffer())).toEqual(Buffer.from(blob.bytes));
      }
    }
  });

  it("keeps a repository's settings: immutable tags and the pull policy", async () => {
    expect(await apiOk(target!.url, 'GET', '/repositories/alice/tool', 200, { auth: ADMIN })).toMatchObject({
      immutableTags: true,
      blockPullsAtSeverity: 'high',
    });
  });

  it('keeps the organization, its team and the grant: alice may push to acme/app through the team', async () => {
    const token = await tokenFor(target!.url, ALICE, ['repository:acme/app:pull,push']);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { access: unknown };
    expect(claims.access).toEqual([{ type: 'repository', name: 'acme/app', actions: ['pull', 'push'] }]);
    const members = await apiOk<{ members: Array<{ name: string }> }>(
      target!.url,
      'GET',
      '/accounts/acme/teams/devs/members',
      200,
      { auth: ADMIN },
    );
    expect(members.members.map((m) => m.name)).toEqual(['alice']);
  });

  it('verifies tokens signed before the move and redeems the refresh token issued before it', async () => {
    const before = await fetch(`${target!.url}/v2/alice/tool/manifests/v1`, {
      headers: { Authorization: bearer(tokenBefore), Accept: images['alice/tool:v1']!.manifest.mediaType },
    });
    expect(before.status).toBe(200);
    const res = await refreshGrant(target!.url, refreshToken);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { refresh_token: string }).refresh_token).toBe(refreshToken);
  });

  it('keeps the content caches, and the nodes of a group', async () => {
    const caches = await apiOk<Array<{ name: string; region?: string }>>(target!.url, 'GET', '/content_caches', 200, {
      auth: ADMIN,
    });
    expect(caches.map(({ name, region }) => ({ name, region }))).toEqual([
      { name: 'eu', region: 'eu-west-1' },
      { name: 'sg', region: '' },
    ]);
    const group = caches.find((c) => c.name === 'sg') as unknown as { nodes: Array<{ id: string; host: string }> };
    expect(group.nodes.map(({ id, host }) => [id, host])).toEqual([
      ['sg-a', 'http://127.0.0.1:10'],
      ['sg-b', 'http://127.0.0.1:11'],
    ]);
  });

  it('refuses the wrong password after the move as before it', async () => {
    const res = await fetch(`${target!.url}/auth/token?service=outpost`, {
      headers: { Authorization: basicAuth('alice', 'not-her-password') },
    });
    expect(res.status).toBe(401);
  });
});
