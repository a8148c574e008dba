/**
 * Inventories built from real package databases (test/fixtures/inventory/, see test/fixtures/osv/README.md)
 * through the scanner's own parsers, as a scan of an image holding those files would list them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseApkInstalled } from '../../main/scan/analyzers/apk.js';
import { parseDpkgStatus } from '../../main/scan/analyzers/dpkg.js';
import { parsePackageJson } from '../../main/scan/analyzers/npm.js';
import { parseMetadata } from '../../main/scan/analyzers/python.js';
import { purlOf } from '../../main/scan/purl.js';
import type { Distro, FoundPackage, Inventory, InventoryPackage } from '../../main/scan/types.js';

const REPO = join(import.meta.dirname, '..', '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'inventory');
export const LAYER = `sha256:${'a'.repeat(64)}`;

const read = (path: string): string => readFileSync(path, 'utf8');

export function inventoryOf(found: FoundPackage[], distro?: Distro): Inventory {
  const packages: InventoryPackage[] = found.map((pkg) => ({ ...pkg, layer: LAYER, purl: purlOf(pkg, distro) }));
  return { packages, skipped: [], layers: [LAYER], ...(distro && { distro }) };
}

/** A Debian 12 image: an excerpt of this machine's /var/lib/dpkg/status (stanzas unchanged). */
export function debianInventory(): Inventory {
  const found = parseDpkgStatus('var/lib/dpkg/status', read(join(FIXTURES, 'dpkg-status')));
  return inventoryOf(found, { id: 'debian', versionId: '12' });
}

/** An Alpine 3.15 image: an installed database in apk's documented format. */
export function alpineInventory(): Inventory {
  const found = parseApkInstalled('lib/apk/db/installed', read(join(FIXTURES, 'apk-installed')));
  return inventoryOf(found, { id: 'alpine', versionId: '3.15.4' });
}

/** This project's own node_modules/nanoid/package.json, as installed. */
export function nanoidOfThisProject(): FoundPackage {
  const path = 'node_modules/nanoid/package.json';
  const [pkg] = parsePackageJson(path, read(join(REPO, path)));
  if (!pkg) throw new Error(`${path}: no package read`);
  return pkg;
}

/** pip's METADATA as Debian 12 installs it (/usr/lib/python3/dist-packages/pip-23.0.1.dist-info). */
export function pipOfDebian12(): FoundPackage {
  const path = 'usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA';
  const [pkg] = parseMetadata(path, read(join(FIXTURES, 'pip-23.0.1-METADATA')));
  if (!pkg) throw new Error(`${path}: no package read`);
  return pkg;
}
