/**
 * @module Attaches a platform's SBOM to the image as an OCI referrer (image-spec 1.1 "Guidelines for
 * artifact usage", distribution-spec "Listing Referrers"): an image manifest whose `artifactType` is the
 * SBOM's media type, whose config is the empty descriptor, whose one layer is the SBOM document, and whose
 * `subject` is the platform's manifest. OCI tools (`oras discover`, `cosign tree`, the referrers API) then
 * find it next to the image, and the tag page lists it.
 *
 * Pushed through the registry's own domain (repository blobs and manifests), never over HTTP to itself:
 * the same checks as a client's push, and the push event is recorded with the caller as actor. The
 * document is rendered at the scan's time, so attaching twice stores the same manifest: idempotent.
 *
 * Access: the pull right to read the SBOM and the push right to attach it; a caller who may pull but not
 * push gets NO_PERMISSION, one who may not pull gets the NOT_FOUND of a repository that does not exist.
 */
import { Readable } from 'node:stream';
import { digestOf } from '../../src/oci/digest.js';
import { MediaType } from '../../src/oci/media-types.js';
import type { RepoName } from '../../src/oci/reference.js';
import type { AccessControl } from '../accounts/access-control.js';
import { AccountError } from '../accounts/errors.js';
import type { Principal } from '../accounts/permissions.js';
import { actorOf } from '../accounts/repositories.js';
import type { Registry } from '../registry/registry.js';
import type { SbomExport } from './sbom-export.js';

// The empty JSON object, the config of artifacts without one (image-spec "Guidance for an Empty Descriptor").
const EMPTY_CONFIG = Buffer.from('{}');

export interface AttachedSbom {
  /** The referrer's manifest digest. */
  digest: string;
  /** The platform manifest it refers to. */
  subject: string;
  artifactType: string;
  platform: string;
}

export interface SbomAttach {
  attach(principal: Principal, name: string, tag: string, format: string, platform?: string): Promise<AttachedSbom>;
}

export interface SbomAttachDeps {
  sboms: SbomExport;
  accessControl: Pick<AccessControl, 'actionsFor'>;
  registry: Pick<Registry, 'blobs' | 'manifests'>;
}

export function createSbomAttach({ sboms, accessControl, registry }: SbomAttachDeps): SbomAttach {
  async function store(repo: RepoName, bytes: Buffer) {
    const digest = digestOf(bytes);
    if (!(await registry.blobs.has(repo, digest)))
      await registry.blobs.ingest(repo, Readable.from([bytes]), { digest, size: bytes.byteLength });
    return { digest, size: bytes.byteLength };
  }

  return {
    async attach(principal, name, tag, format, platform) {
      const sbom = await sboms.render(principal, name, tag, format, platform);
      if (!(await accessControl.actionsFor(principal, name)).includes('push'))
        throw new AccountError('NO_PERMISSION', `attaching an SBOM to "${name}" needs the push right`);
      const repo = name as RepoName;
      const subject = await registry.manifests.get(repo, { kind: 'digest', digest: sbom.digest });
      const layer = await store(repo, Buffer.from(JSON.stringify(sbom.document)));
      const config = await store(repo, EMPTY_CONFIG);
      const manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: sbom.mediaType,
        config: { mediaType: MediaType.OciEmpty, ...config },
        layers: [
          {
            mediaType: sbom.mediaType,
            ...layer,
            annotations: { 'org.opencontainers.image.title': sbom.fileName },
          },
        ],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
        annotations: { 'org.opencontainers.image.created': sbom.createdAt },
      };
      const bytes = Buffer.from(JSON.stringify(manifest));
      const { digest } = await registry.manifests.put(
        repo,
        { kind: 'digest', digest: digestOf(bytes) },
        bytes,
        MediaType.OciManifest,
        actorOf(principal),
      );
      return { digest, subject: subject.digest, artifactType: sbom.mediaType, platform: sbom.platform };
    },
  };
}
