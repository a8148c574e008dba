// An image made of real content and a scan of it written through the scans owner, for the tests of what reads
// scans (SBOM export, pull policy, tag page): a gzip layer holding Debian 12's os-release and a copy of this
// machine's /var/lib/dpkg/status (real package names and versions), its inventory from the real scanner, and
// findings from two published Debian advisories that affect every bookworm version of their package (no fix
// published): DEBIAN-CVE-2011-3374 (apt, NVD CVSS 3.1 3.7 low) and DEBIAN-CVE-2005-2541 (tar, NVD CVSS 2.0
// 10.0, rated high).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ScanStore } from '../../main/metadata/scans.js';
import { scanImage } from '../../main/scan/scan-image.js';
import type { Inventory } from '../../main/scan/types.js';
import type { ImageScan } from '../../main/scans/types.js';
import { SEVERITIES, type Finding, type SeverityCounts } from '../../main/vulndb/types.js';
import { pushImageAs } from './api-client.js';
import { compressedLayer } from './layer-tar.js';
import type { Blob } from './oci-fixtures.js';

// Debian 12's /etc/os-release, written here so the image is Debian whatever this machine runs.
const DEBIAN_OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n' +
  'VERSION_CODENAME=bookworm\nID=debian\n';

export interface DebianImage {
  layer: Blob;
  inventory: Inventory;
}

export async function debianImage(): Promise<DebianImage> {
  const source = await compressedLayer(
    [
      { path: 'etc/os-release', content: DEBIAN_OS_RELEASE },
      { path: 'var/lib/dpkg/status', content: readFileSync('/var/lib/dpkg/status') },
    ],
    'gzip',
  );
  const chunks: Buffer[] = [];
  for await (const chunk of await source.open()) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const layer = { digest: source.digest, size: bytes.length, bytes, mediaType: source.mediaType };
  return { layer, inventory: await scanImage([source]) };
}

/** The two published advisories, on the versions of apt and tar the inventory found. */
export function debianFindings(inventory: Inventory): Finding[] {
  const pkg = (name: string) => {
    const found = inventory.packages.find((p) => p.ecosystem === 'deb' && p.name === name);
    expect(found, `${name} in this machine's dpkg status`).toBeDefined();
    const { ecosystem, version, purl, layer } = found!;
    return { ecosystem, name, version, purl, layer };
  };
  return [
    { id: 'DEBIAN-CVE-2011-3374', aliases: ['CVE-2011-3374'], severity: 'low', cvssScore: 3.7, package: pkg('apt') },
    { id: 'DEBIAN-CVE-2005-2541', aliases: ['CVE-2005-2541'], severity: 'high', cvssScore: 10, package: pkg('tar') },
  ];
}

export function countsOf(findings: readonly Finding[]): SeverityCounts {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/**
 * A main that runs no scans itself (config scans.concurrency 0), so that the scans a test writes through the
 * owner are claimed by the test and by no worker of main.
 */
export const NO_SCAN_WORKER = { OUTPOST_MAIN_SCANS__CONCURRENCY: '0' };

/** Pushes the image under `tag` and returns its manifest digest. */
export async function pushDebianImage(
  base: string,
  auth: string,
  name: string,
  tag: string,
  image: DebianImage,
): Promise<string> {
  return (await pushImageAs(base, auth, name, tag, [image.layer])).digest;
}

/** Writes a finished scan of `digest` through the owner, as a scan worker does: queue, claim, complete. */
export async function storeScan(
  scans: ScanStore,
  digest: string,
  result: Omit<NonNullable<ImageScan['result']>, 'counts'>,
): Promise<void> {
  const at = Date.now();
  await scans.enqueue({ manifestDigest: digest, reason: 'request', layers: [], at });
  const claimed = await scans.claim('test-worker', at);
  expect(claimed?.scan.manifestDigest).toBe(digest);
  const outcome = { state: 'done' as const, result: { ...result, counts: countsOf(result.vulnerabilities) } };
  expect(await scans.complete(digest, 'test-worker', outcome, at)).toBe(true);
}
