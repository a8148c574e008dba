/**
 * @module The SBOM of one platform of a tag, rendered from the inventory its last finished scan stored
 * (main/scans/types.ts): CycloneDX 1.5 or SPDX 2.3 JSON (main/scan/sbom-*.ts). Never scans: an image
 * whose scan has not finished has no SBOM yet, and the answer says what state the scan is in.
 *
 * The document's time is the scan's, so the same scan always renders to the same bytes: an SBOM
 * attached as a referrer (sbom-attach.ts) is then pushed once, however often it is asked for.
 *
 * Access is the pull right (images.ts checks it first); errors are `AccountError`: NOT_FOUND (no such
 * repository, tag or platform, or not scanned yet), INVALID_INPUT (a format or platform that is no such
 * thing, or an index asked for without a platform).
 */
import type { Digest } from '../../src/oci/digest.js';
import { AccountError } from '../accounts/errors.js';
import type { Principal } from '../accounts/permissions.js';
import { toCycloneDx } from '../scan/sbom-cyclonedx.js';
import { toSpdx } from '../scan/sbom-spdx.js';
import type { ImageScan, ScanResults } from '../scans/types.js';
import type { ImageView } from './image-details.js';
import type { Images } from './images.js';
import { platformName } from './platforms.js';

export type SbomFormat = 'cyclonedx' | 'spdx';

export const SBOM_FORMATS: Record<SbomFormat, { mediaType: string; extension: string }> = {
  // CycloneDX's registered media type (IANA, "application/vnd.cyclonedx+json").
  cyclonedx: { mediaType: 'application/vnd.cyclonedx+json', extension: 'cdx.json' },
  // SPDX's registered media type (IANA, "application/spdx+json").
  spdx: { mediaType: 'application/spdx+json', extension: 'spdx.json' },
};

export const isSbomFormat = (value: string): value is SbomFormat => Object.hasOwn(SBOM_FORMATS, value);

export interface RenderedSbom {
  format: SbomFormat;
  mediaType: string;
  /** The platform's image manifest the SBOM describes. */
  digest: Digest;
  /** When the scan the SBOM comes from finished (RFC 3339): the document's time. */
  createdAt: string;
  platform: string;
  /** A file name for downloads: `<repo>_<tag>_<os>-<arch>.<ext>`. */
  fileName: string;
  document: Record<string, unknown>;
}

export interface SbomExport {
  /**
   * The SBOM of `name:tag`, of the platform named `platform` (`linux/amd64`, `linux/arm/v7`; optional
   * for a single-platform tag). NOT_FOUND or INVALID_INPUT as the module says.
   */
  render(principal: Principal, name: string, tag: string, format: string, platform?: string): Promise<RenderedSbom>;
}

export interface SbomExportDeps {
  images: Pick<Images, 'byTag'>;
  scans: ScanResults;
  /** Main's public URL: SPDX document namespaces start with it. */
  publicUrl: string;
  /** Tool name and version for the documents' creator fields, e.g. "outpost-0.1.0". */
  tool: string;
}

/** Why there is no SBOM yet, in words for the caller. */
function notScanned(what: string, scan: ImageScan | undefined): AccountError {
  const why =
    scan === undefined
      ? 'has not been scanned yet'
      : scan.state === 'failed'
        ? `could not be scanned (${scan.error ?? 'the scan failed'})`
        : `has no finished scan yet (the scan is ${scan.state})`;
  return new AccountError('NOT_FOUND', `${what} ${why}; start one with POST /api/v0/imagescan/scan/<name>/<tag>`);
}

export function pickPlatform(platforms: readonly ImageView[], wanted: string | undefined, what: string): ImageView {
  if (platforms.length === 0) throw new AccountError('NOT_FOUND', `${what} is not an image: it has no SBOM`);
  if (wanted === undefined || wanted === '') {
    if (platforms.length === 1) return platforms[0]!;
    const names = platforms.map((p) => platformName(p.platform)).join(', ');
    throw new AccountError(
      'INVALID_INPUT',
      `${what} has ${platforms.length} platforms: pass ?platform= one of ${names}`,
    );
  }
  const found = platforms.find((p) => platformName(p.platform) === wanted);
  if (!found) throw new AccountError('NOT_FOUND', `${what} has no platform "${wanted.slice(0, 100)}"`);
  return found;
}

export function createSbomExport({ images, scans, publicUrl, tool }: SbomExportDeps): SbomExport {
  return {
    async render(principal, name, tag, format, platform) {
      const details = await images.byTag(principal, name, tag);
      if (!isSbomFormat(format)) throw new AccountError('INVALID_INPUT', 'format must be cyclonedx or spdx');
      const what = `${name}:${tag}`;
      const image = pickPlatform(details.platforms, platform, what);
      const platformLabel = platformName(image.platform);
      const scan = await scans.forManifest(image.digest);
      if (!scan?.result) throw notScanned(`${what} (${platformLabel})`, scan);
      const subject = { name, digest: image.digest, createdAt: new Date(scan.result.scannedAt), tool };
      const { inventory } = scan.result;
      const document =
        format === 'cyclonedx'
          ? toCycloneDx(inventory, subject)
          : toSpdx(inventory, subject, { namespaceBase: `${publicUrl.replace(/\/+$/, '')}/spdx` });
      const { mediaType, extension } = SBOM_FORMATS[format];
      const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-');
      return {
        format,
        mediaType,
        digest: image.digest as Digest,
        createdAt: subject.createdAt.toISOString(),
        platform: platformLabel,
        fileName: `${safe(name)}_${safe(tag)}_${safe(platformLabel)}.${extension}`,
        document,
      };
    },
  };
}
