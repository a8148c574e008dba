/**
 * @module Where an inventory package is looked up in OSV: its ecosystem family, the name advisories use
 * and the version to compare, and which OSV ecosystems of that family apply to it. Distribution packages
 * are looked up by their SOURCE package and version (Debian's and Alpine's advisories name source
 * packages), in the release of the image's distribution (etc/os-release): "Debian:12", "Ubuntu:22.04"
 * (and its ":LTS" spelling), "Alpine:v3.20". Without a known release a distribution package is not looked up.
 */
import type { Distro, InventoryPackage } from '../scan/types.js';
import { normalizePypiName } from './versions/pep440.js';

export interface PackageQuery {
  family: string;
  name: string;
  version: string;
  /** Whether an affected entry's OSV ecosystem is this package's. */
  acceptsEcosystem(ecosystem: string): boolean;
  /** Set when the lookup used the source package rather than the binary one. */
  sourceName?: string;
}

const exactly =
  (...names: string[]) =>
  (ecosystem: string): boolean =>
    names.includes(ecosystem);

function distroQuery(pkg: InventoryPackage, family: string, ecosystems: string[]): PackageQuery {
  const name = pkg.sourceName ?? pkg.name;
  return {
    family,
    name,
    version: pkg.sourceVersion ?? pkg.version,
    acceptsEcosystem: exactly(...ecosystems),
    ...(name !== pkg.name && { sourceName: name }),
  };
}

function debQuery(pkg: InventoryPackage, distro: Distro | undefined): PackageQuery | undefined {
  const release = distro?.versionId;
  if (release === undefined) return undefined;
  if (distro?.id === 'debian') return distroQuery(pkg, 'Debian', [`Debian:${release.split('.')[0]}`]);
  if (distro?.id === 'ubuntu') return distroQuery(pkg, 'Ubuntu', [`Ubuntu:${release}`, `Ubuntu:${release}:LTS`]);
  return undefined;
}

function apkQuery(pkg: InventoryPackage, distro: Distro | undefined): PackageQuery | undefined {
  const m = distro?.id === 'alpine' ? /^(\d+)\.(\d+)/.exec(distro.versionId ?? '') : null;
  return m ? distroQuery(pkg, 'Alpine', [`Alpine:v${m[1]}.${m[2]}`]) : undefined;
}

const joined = (pkg: InventoryPackage, separator: string): string =>
  pkg.namespace ? `${pkg.namespace}${separator}${pkg.name}` : pkg.name;

export function queryFor(pkg: InventoryPackage, distro: Distro | undefined): PackageQuery | undefined {
  switch (pkg.ecosystem) {
    case 'deb':
      return debQuery(pkg, distro);
    case 'apk':
      return apkQuery(pkg, distro);
    case 'npm':
      return { family: 'npm', name: joined(pkg, '/'), version: pkg.version, acceptsEcosystem: exactly('npm') };
    case 'pypi':
      return {
        family: 'PyPI',
        name: normalizePypiName(pkg.name),
        version: pkg.version,
        acceptsEcosystem: exactly('PyPI'),
      };
    case 'golang': {
      // The scanner writes the toolchain as "v1.22.3"; OSV's stdlib records use Go's own spelling.
      const version = pkg.name === 'stdlib' && !pkg.namespace ? `go${pkg.version.replace(/^v/, '')}` : pkg.version;
      return { family: 'Go', name: joined(pkg, '/'), version, acceptsEcosystem: exactly('Go') };
    }
    case 'maven':
      return { family: 'Maven', name: joined(pkg, ':'), version: pkg.version, acceptsEcosystem: exactly('Maven') };
  }
}
