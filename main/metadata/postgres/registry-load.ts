/**
 * @module Loads migration records into the registry tables (registry-schema.ts). Events have no
 * key but their order: they are appended, and the caller commits a batch together with its
 * progress, so that no batch is appended twice.
 */
import type { MigrationTargets } from './load-target.js';

type RegistryTargets = Pick<
  MigrationTargets,
  'repositories' | 'blobs' | 'repoBlobs' | 'manifests' | 'tags' | 'referrers' | 'blobRefs' | 'events'
>;

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

export const REGISTRY_LOADS: RegistryTargets = {
  repositories: {
    table: 'registry_repositories',
    async load(tx, repositories) {
      for (const r of repositories)
        await tx.query(
          `INSERT INTO registry_repositories (name, created_at, visibility, immutable_tags, block_pulls_at)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
          [r.name, r.createdAt, r.visibility ?? null, r.immutableTags ?? null, r.blockPullsAtSeverity ?? null],
        );
    },
  },
  blobs: {
    table: 'registry_blobs',
    async load(tx, blobs) {
      for (const b of blobs)
        await tx.query(
          `INSERT INTO registry_blobs (digest, size, created_at, linked_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [b.digest, b.size, b.createdAt, b.linkedAt],
        );
    },
  },
  repoBlobs: {
    table: 'registry_repo_blobs',
    async load(tx, links) {
      for (const l of links)
        await tx.query(
          'INSERT INTO registry_repo_blobs (repo, digest, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [l.repo, l.digest, l.linkedAt],
        );
    },
  },
  manifests: {
    table: 'registry_manifests',
    async load(tx, manifests) {
      for (const { repo, digest, record: m } of manifests)
        await tx.query(
          `INSERT INTO registry_manifests
             (repo, digest, media_type, size, bytes, blobs, children, subject, artifact_type, annotations, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
          [
            repo,
            digest,
            m.mediaType,
            m.size,
            Buffer.from(m.bytes),
            m.blobs,
            m.children,
            m.subject ?? null,
            m.artifactType ?? null,
            json(m.annotations),
            m.createdAt,
          ],
        );
    },
  },
  tags: {
    table: 'registry_tags',
    async load(tx, tags) {
      for (const t of tags)
        await tx.query(
          'INSERT INTO registry_tags (repo, tag, digest, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          [t.repo, t.tag, t.digest, t.updatedAt],
        );
    },
  },
  referrers: {
    table: 'registry_referrers',
    async load(tx, referrers) {
      for (const r of referrers)
        await tx.query(
          `INSERT INTO registry_referrers (repo, subject, digest, media_type, size, artifact_type, annotations)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
          [r.repo, r.subject, r.digest, r.mediaType, r.size, r.artifactType ?? null, json(r.annotations)],
        );
    },
  },
  blobRefs: {
    table: 'registry_blob_refs',
    async load(tx, refs) {
      for (const r of refs)
        await tx.query(
          'INSERT INTO registry_blob_refs (blob, repo, manifest) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [r.blob, r.repo, r.manifest],
        );
    },
  },
  events: {
    table: 'registry_events',
    async load(tx, events) {
      for (const { repo, event: e } of events)
        await tx.query(
          'INSERT INTO registry_events (repo, type, actor, at, tag, digest) VALUES ($1, $2, $3, $4, $5, $6)',
          [repo, e.type, e.actor, e.at, e.tag ?? null, e.digest ?? null],
        );
    },
  },
};
