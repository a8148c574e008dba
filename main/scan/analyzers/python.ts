/**
 * @module scan/analyzers/python
 * Python distributions from <name>-<version>.dist-info/METADATA (Python Packaging "Core metadata
 * specifications": RFC 822 style headers, "Name" and "Version" required, headers end at the first blank
 * line). Egg-info directories are not read (TODO(#12)).
 */
import type { FoundPackage, WholeFileAnalyzer } from '../types.js';

export function parseMetadata(path: string, text: string): FoundPackage[] {
  let name: string | undefined;
  let version: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') break;
    const m = /^(Name|Version):\s*(.*?)\s*$/i.exec(line);
    if (m?.[1]?.toLowerCase() === 'name') name ??= m[2];
    if (m?.[1]?.toLowerCase() === 'version') version ??= m[2];
  }
  return name && version ? [{ ecosystem: 'pypi', name, version, path }] : [];
}

export const pythonAnalyzer: WholeFileAnalyzer = {
  kind: 'whole',
  name: 'python',
  accepts: (file) => /(?:^|\/)[^/]+\.dist-info\/METADATA$/.test(file.path),
  parse: (path, bytes) => parseMetadata(path, bytes.toString('utf8')),
};
