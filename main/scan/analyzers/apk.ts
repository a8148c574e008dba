/**
 * @module scan/analyzers/apk
 * Alpine packages from lib/apk/db/installed. Format (Alpine wiki "Apk spec", installed database):
 * blank-line separated records of "K:value" lines; P name, V version, A arch, o origin (the source package
 * that Alpine's secdb advisories name).
 */
import type { FoundPackage, WholeFileAnalyzer } from '../types.js';

export function parseApkInstalled(path: string, text: string): FoundPackage[] {
  const found: FoundPackage[] = [];
  let record = new Map<string, string>();
  const flush = (): void => {
    const name = record.get('P');
    const version = record.get('V');
    if (name && version) {
      const origin = record.get('o');
      const arch = record.get('A');
      found.push({ ecosystem: 'apk', name, version, arch, sourceName: origin ?? name, sourceVersion: version, path });
    }
    record = new Map();
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') flush();
    else if (line[1] === ':' && !record.has(line[0]!)) record.set(line[0]!, line.slice(2).trim());
  }
  flush();
  return found;
}

export const apkAnalyzer: WholeFileAnalyzer = {
  kind: 'whole',
  name: 'apk',
  accepts: (file) => file.path === 'lib/apk/db/installed',
  parse: (path, bytes) => parseApkInstalled(path, bytes.toString('utf8')),
};
