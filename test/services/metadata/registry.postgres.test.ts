/**
 * The PostgreSQL registry metadata (main/metadata/postgres/registry.ts): the contract suite on a
 * private PostgreSQL cluster, then what LMDB got from its single writer and PostgreSQL must get
 * from its locks, with two pools standing for two replicas on one database, in bounded rounds.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDatabase } from '../../../main/metadata/postgres/database.js';
import { applyMigrations } from '../../../main/metadata/postgres/migrations.js';
import { REGISTRY_MIGRATIONS } from '../../../main/metadata/postgres/registry-schema.js';
import {
  countRepositoriesInNamespace,
  createPostgresRegistryMetadata,
} from '../../../main/metadata/postgres/registry.js';
import type { RegistryMetadata } from '../../../main/metadata/registry.js';
import type { RepoName } from '../../../src/oci/reference.js';
import { describeRegistryMetadata } from '../../contract/registry-metadata.js';
import { byTag, digest, manifestRecord } from '../../contract/registry-metadata-fixtures.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.remove());

describeRegistryMetadata('PostgreSQL', async () => {
  const db = await PostgresDatabase.connect(await server.createDatabase(), { maxConnections: 4 });
  await applyMigrations(db, REGISTRY_MIGRATIONS);
  return { metadata: createPostgresRegistryMetadata(db), cleanup: () => db.close() };
});

const opened: PostgresDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close().catch(() => {});
});

/** Two replicas' metadata over one fresh database, each with its own pool. */
async function twoReplicas(): Promise<[RegistryMetadata, RegistryMetadata, PostgresDatabase]> {
  const url = await server.createDatabase();
  const [a, b] = [await PostgresDatabase.connect(url), await PostgresDatabase.connect(url)];
  opened.push(a, b);
  await applyMigrations(a, REGISTRY_MIGRATIONS);
  return [createPostgresRegistryMetadata(a), createPostgresRegistryMetadata(b), a];
}

const repo = 'team/app' as RepoName;
const ROUNDS = 20;

describe('two replicas pushing the same tag at once', () => {
  it('leave the tag on one of the two manifests, both manifests stored, both pushes in the log', async () => {
    const [a, b] = await twoReplicas();
    await a.linkBlob(repo, digest('layer-a'), 1, 1);
    await a.linkBlob(repo, digest('layer-b'), 1, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const tag = `r${round}`;
      const pushes = (['a', 'b'] as const).map((side, i) =>
        [a, b][i]!.putManifest({
          repo,
          digest: digest(`${side}-${round}`),
          record: manifestRecord([digest(`layer-${side}`)], 1000 + round),
          tag,
          actor: side,
        }),
      );
      const outcomes = await Promise.all(pushes);
      expect(outcomes.every((outcome) => outcome.kind === 'stored')).toBe(true);
      // Exactly one of them moved the tag away from the other.
      const moved = outcomes.filter((outcome) => outcome.kind === 'stored' && outcome.movedFrom !== undefined);
      expect(moved).toHaveLength(1);
      const current = await a.resolve(repo, byTag(tag));
      expect([digest(`a-${round}`), digest(`b-${round}`)]).toContain(current);
      expect(await a.getManifest(repo, digest(`a-${round}`))).toBeDefined();
      expect(await b.getManifest(repo, digest(`b-${round}`))).toBeDefined();
    }
    const events = (await a.listEvents(repo, 10 * ROUNDS)).filter((event) => event.tag !== undefined);
    for (let round = 0; round < ROUNDS; round++) {
      const ofRound = events.filter((event) => event.tag === `r${round}`);
      expect(
        ofRound
          .filter((event) => event.type === 'push')
          .map((event) => event.actor)
          .sort(),
      ).toEqual(['a', 'b']);
      // The newest event of the round is the move, and names the manifest the tag ended on.
      expect(ofRound[0]).toMatchObject({ type: 'tag', digest: await a.resolve(repo, byTag(`r${round}`)) });
    }
  });

  it('store only one of two manifests pushed at once onto a new immutable tag', async () => {
    const [a, b] = await twoReplicas();
    await a.createRepository(repo, { createdAt: 1, immutableTags: true }, 'admin');
    await a.linkBlob(repo, digest('layer-a'), 1, 1);
    await a.linkBlob(repo, digest('layer-b'), 1, 1);
    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await Promise.all(
        (['a', 'b'] as const).map((side, i) =>
          [a, b][i]!.putManifest({
            repo,
            digest: digest(`${side}-${round}`),
            record: manifestRecord([digest(`layer-${side}`)], 1000 + round),
            tag: `r${round}`,
            actor: side,
          }),
        ),
      );
      const kinds = outcomes.map((outcome) => outcome.kind).sort();
      expect(kinds).toEqual(['immutable', 'stored']);
      const winner = outcomes[0]!.kind === 'stored' ? 'a' : 'b';
      const loser = winner === 'a' ? 'b' : 'a';
      expect(await a.resolve(repo, byTag(`r${round}`))).toBe(digest(`${winner}-${round}`));
      expect(await a.getManifest(repo, digest(`${loser}-${round}`))).toBeUndefined();
    }
  });
});

describe('garbage collection on one replica while another pushes a manifest naming the blob', () => {
  it('never removes a blob that a stored manifest references', async () => {
    const [gcReplica, pushReplica] = await twoReplicas();
    const results = { stored: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const blob = digest(`layer-${round}`);
      // Linked long ago and not yet referenced: a candidate for the collector.
      await pushReplica.linkBlob(repo, blob, 10, 1);
      const [collected, outcome] = await Promise.all([
        gcReplica.collectBlob(blob, 1_000, false),
        pushReplica.putManifest({
          repo,
          digest: digest(`manifest-${round}`),
          record: manifestRecord([blob], 2_000),
          actor: 'pusher',
        }),
      ]);
      if (outcome.kind === 'stored') {
        results.stored++;
        expect(collected).toBeUndefined();
        expect(await gcReplica.getBlob(blob)).toBeDefined();
        expect(await gcReplica.hasBlob(repo, blob)).toBe(true);
      } else {
        results.refused++;
        expect(outcome).toEqual({ kind: 'missing', digests: [blob], count: 1 });
        expect(collected).toBe(10);
        expect(await gcReplica.getBlob(blob)).toBeUndefined();
        expect(await gcReplica.getManifest(repo, digest(`manifest-${round}`))).toBeUndefined();
      }
    }
    expect(results.stored + results.refused).toBe(ROUNDS);
  });
});

describe('deleting a repository on PostgreSQL', () => {
  it("runs the other owners' clean-up in its transaction, and keeps everything when that fails", async () => {
    const url = await server.createDatabase();
    const db = await PostgresDatabase.connect(url);
    opened.push(db);
    await applyMigrations(db, REGISTRY_MIGRATIONS);
    await db.query('CREATE TABLE grants (repo text NOT NULL)');
    await db.query("INSERT INTO grants VALUES ('team/app'), ('team/other')");
    let fail = true;
    const metadata = createPostgresRegistryMetadata(db, {
      async onRepositoryDeleted(tx, name) {
        await tx.query('DELETE FROM grants WHERE repo = $1', [name]);
        if (fail) throw new Error('injected');
      },
    });
    await metadata.createRepository(repo, { createdAt: 1 }, 'admin');
    await expect(metadata.deleteRepository(repo)).rejects.toThrow('injected');
    expect(await metadata.getRepository(repo)).toBeDefined();
    expect((await db.query<{ repo: string }>('SELECT repo FROM grants ORDER BY repo')).map((r) => r.repo)).toEqual([
      'team/app',
      'team/other',
    ]);
    fail = false;
    await metadata.deleteRepository(repo);
    expect(await metadata.getRepository(repo)).toBeUndefined();
    expect((await db.query<{ repo: string }>('SELECT repo FROM grants')).map((r) => r.repo)).toEqual(['team/other']);
  });
});

describe('countRepositoriesInNamespace on PostgreSQL', () => {
  it('counts with the transaction client of another owner', async () => {
    const [a, , db] = await twoReplicas();
    for (const name of ['acme/a', 'acme/b', 'acme-x/c', 'acme0']) {
      await a.createRepository(name as RepoName, { createdAt: 1 }, 'admin');
    }
    expect(await db.transaction((tx) => countRepositoriesInNamespace(tx, 'acme'))).toBe(2);
    expect(await countRepositoriesInNamespace(db, 'nobody')).toBe(0);
  });
});
