/**
 * @module The registry metadata tables in PostgreSQL (main/metadata/postgres/registry.ts is their
 * only user). Names, tags and digests are compared in code-point order (COLLATE "C"), as LMDB
 * orders its keys, so listings and `last` cursors mean the same on both backends. Times are
 * milliseconds since the epoch, as in the records.
 *
 * Everything a repository owns refers to its row with ON DELETE CASCADE, so deleting the row
 * deletes tags, manifests (and through them their blob references), links, referrers and events
 * in the same statement. Blob records stand alone: other repositories may hold the same bytes,
 * and only the garbage collector removes them.
 */
import type { Migration } from './migrations.js';

export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'registry-001-tables',
    sql: `
      CREATE TABLE registry_repositories (
        name text COLLATE "C" PRIMARY KEY,
        created_at bigint NOT NULL,
        visibility text CHECK (visibility IN ('public', 'private')),
        immutable_tags boolean,
        namespace text COLLATE "C" GENERATED ALWAYS AS
          (CASE WHEN strpos(name, '/') > 0 THEN split_part(name, '/', 1) END) STORED
      );
      CREATE INDEX registry_repositories_namespace ON registry_repositories (namespace, name);

      CREATE TABLE registry_blobs (
        digest text COLLATE "C" PRIMARY KEY,
        size bigint NOT NULL,
        created_at bigint NOT NULL,
        linked_at bigint NOT NULL
      );

      CREATE TABLE registry_repo_blobs (
        repo text COLLATE "C" NOT NULL REFERENCES registry_repositories (name) ON DELETE CASCADE,
        digest text COLLATE "C" NOT NULL,
        linked_at bigint NOT NULL,
        PRIMARY KEY (repo, digest)
      );
      CREATE INDEX registry_repo_blobs_digest ON registry_repo_blobs (digest);

      CREATE TABLE registry_manifests (
        repo text COLLATE "C" NOT NULL REFERENCES registry_repositories (name) ON DELETE CASCADE,
        digest text COLLATE "C" NOT NULL,
        media_type text NOT NULL,
        size bigint NOT NULL,
        bytes bytea NOT NULL,
        blobs text[] NOT NULL,
        children text[] NOT NULL,
        subject text,
        artifact_type text,
        annotations jsonb,
        created_at bigint NOT NULL,
        PRIMARY KEY (repo, digest)
      );

      CREATE TABLE registry_tags (
        repo text COLLATE "C" NOT NULL REFERENCES registry_repositories (name) ON DELETE CASCADE,
        tag text COLLATE "C" NOT NULL,
        digest text COLLATE "C" NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (repo, tag),
        FOREIGN KEY (repo, digest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE
      );
      CREATE INDEX registry_tags_digest ON registry_tags (repo, digest);

      CREATE TABLE registry_referrers (
        repo text COLLATE "C" NOT NULL,
        subject text COLLATE "C" NOT NULL,
        digest text COLLATE "C" NOT NULL,
        media_type text NOT NULL,
        size bigint NOT NULL,
        artifact_type text,
        annotations jsonb,
        PRIMARY KEY (repo, subject, digest),
        FOREIGN KEY (repo, digest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE
      );

      -- A manifest needs this blob: the garbage collector keeps every blob named here.
      CREATE TABLE registry_blob_refs (
        blob text COLLATE "C" NOT NULL,
        repo text COLLATE "C" NOT NULL,
        manifest text COLLATE "C" NOT NULL,
        PRIMARY KEY (blob, repo, manifest),
        FOREIGN KEY (repo, manifest) REFERENCES registry_manifests (repo, digest) ON DELETE CASCADE
      );
      CREATE INDEX registry_blob_refs_manifest ON registry_blob_refs (repo, manifest);

      CREATE TABLE registry_uploads (
        id text PRIMARY KEY,
        repo text NOT NULL,
        size bigint NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        store jsonb
      );
      CREATE INDEX registry_uploads_updated_at ON registry_uploads (updated_at);

      -- id orders the events of one millisecond: a repository's writes hold its row lock, so ids follow them.
      CREATE TABLE registry_events (
        id bigserial PRIMARY KEY,
        repo text COLLATE "C" NOT NULL REFERENCES registry_repositories (name) ON DELETE CASCADE,
        type text NOT NULL,
        actor text NOT NULL,
        at bigint NOT NULL,
        tag text,
        digest text
      );
      CREATE INDEX registry_events_newest ON registry_events (repo, at DESC, id DESC);`,
  },
  {
    // A repository's pull policy (issue 12): NULL, like "none", refuses nothing.
    id: 'registry-002-pull-policy',
    sql: `
      ALTER TABLE registry_repositories ADD COLUMN block_pulls_at text
        CHECK (block_pulls_at IN ('critical', 'high', 'medium', 'low', 'none'));`,
  },
];
