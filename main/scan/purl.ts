/**
 * @module scan/purl
 * Builds package URLs (package-url spec, "purl specification" and PURL-TYPES):
 * pkg:type/namespace/name@version?qualifiers. Each namespace segment, the name, the version and each
 * qualifier value are percent-encoded (UTF-8) except the unreserved characters A-Z a-z 0-9 . - _ ~ and the
 * colon, which the spec says shall not be encoded (so a dpkg epoch reads "1:2.3-4"). Qualifier keys are
 * lower case and sorted; empty values are left out. Type rules applied: deb, apk, npm names lower case;
 * pypi names lower case with "_" as "-" (PURL-TYPES "pypi").
 */
import type { Distro, FoundPackage } from './types.js';

export interface PurlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
}

export function encodePurlComponent(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9.\-_~:]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

export function formatPurl(parts: PurlParts): string {
  let out = `pkg:${parts.type.toLowerCase()}/`;
  if (parts.namespace) {
    out += `${parts.namespace
      .split('/')
      .filter((s) => s !== '')
      .map(encodePurlComponent)
      .join('/')}/`;
  }
  out += encodePurlComponent(parts.name);
  if (parts.version) out += `@${encodePurlComponent(parts.version)}`;
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (qualifiers.length > 0) out += `?${qualifiers.map(([k, v]) => `${k}=${encodePurlComponent(v)}`).join('&')}`;
  return out;
}

/** The distro qualifier as the deb and apk examples of PURL-TYPES write it: "<id>-<version_id>". */
function distroQualifier(distro: Distro | undefined): string | undefined {
  if (!distro) return undefined;
  return distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id;
}

export function purlOf(pkg: FoundPackage, distro: Distro | undefined): string {
  switch (pkg.ecosystem) {
    case 'deb': {
      const upstream =
        pkg.sourceName && pkg.sourceName !== pkg.name
          ? pkg.sourceVersion && pkg.sourceVersion !== pkg.version
            ? `${pkg.sourceName}@${pkg.sourceVersion}`
            : pkg.sourceName
          : undefined;
      return formatPurl({
        type: 'deb',
        namespace: distro?.id === 'ubuntu' ? 'ubuntu' : 'debian',
        name: pkg.name.toLowerCase(),
        version: pkg.version,
        qualifiers: { arch: pkg.arch, distro: distroQualifier(distro), upstream },
      });
    }
    case 'apk':
      return formatPurl({
        type: 'apk',
        namespace: distro?.id ?? 'alpine',
        name: pkg.name.toLowerCase(),
        version: pkg.version,
        qualifiers: { arch: pkg.arch, distro: distroQualifier(distro) },
      });
    case 'npm':
      return formatPurl({ type: 'npm', namespace: pkg.namespace, name: pkg.name.toLowerCase(), version: pkg.version });
    case 'pypi':
      return formatPurl({ type: 'pypi', name: pkg.name.toLowerCase().replace(/_/g, '-'), version: pkg.version });
    case 'golang':
    case 'maven':
      return formatPurl({ type: pkg.ecosystem, namespace: pkg.namespace, name: pkg.name, version: pkg.version });
  }
}
