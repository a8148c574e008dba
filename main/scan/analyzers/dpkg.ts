/**
 * @module scan/analyzers/dpkg
 * Debian and Ubuntu packages from var/lib/dpkg/status, and from the one-file-per-package
 * var/lib/dpkg/status.d/* that distroless images use instead. Format: deb822 paragraphs (deb-control(5),
 * dpkg(1) "status"); continuation lines start with a space. Only packages whose Status says "installed"
 * count; a held package ("hold ok installed") is installed too, and status.d files of distroless carry no
 * Status at all: they are installed by construction. "Source: name (version)" gives the source package,
 * which Debian advisories are keyed on.
 */
import type { FoundPackage, WholeFileAnalyzer } from '../types.js';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;

/** deb822 paragraphs as maps of field name to the first line of its value. */
export function parseDeb822(text: string): Map<string, string>[] {
  const paragraphs: Map<string, string>[] = [];
  let current = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) paragraphs.push(current);
      current = new Map();
    } else if (line[0] !== ' ' && line[0] !== '\t') {
      const colon = line.indexOf(':');
      if (colon > 0) current.set(line.slice(0, colon), line.slice(colon + 1).trim());
    }
  }
  if (current.size > 0) paragraphs.push(current);
  return paragraphs;
}

export function parseDpkgStatus(path: string, text: string): FoundPackage[] {
  const found: FoundPackage[] = [];
  for (const p of parseDeb822(text)) {
    const name = p.get('Package');
    const version = p.get('Version');
    const status = p.get('Status');
    if (!name || !version) continue;
    // Status is "want flag status" (dpkg(1)); only the third word says whether it is on disk ("hold ok installed"
    // is installed, "install ok half-installed" is not).
    if (status !== undefined && status.split(/\s+/)[2] !== 'installed') continue;
    const source = /^(\S+)(?:\s+\((\S+)\))?$/.exec(p.get('Source') ?? '');
    found.push({
      ecosystem: 'deb',
      name,
      version,
      arch: p.get('Architecture'),
      sourceName: source?.[1] ?? name,
      sourceVersion: source?.[2] ?? version,
      path,
    });
  }
  return found;
}

export const dpkgAnalyzer: WholeFileAnalyzer = {
  kind: 'whole',
  name: 'dpkg',
  accepts: (file) => file.path === STATUS || (STATUS_D.test(file.path) && !file.path.endsWith('.md5sums')),
  parse: (path, bytes) => parseDpkgStatus(path, bytes.toString('utf8')),
};
